package io.paguma;

import io.paguma.testing.CountingCodec;
import io.paguma.testing.FrameSocket;
import io.paguma.testing.Servers;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

class BackpressureTest {

    /** One worker with room for {@code capacity} requests; every request waits for {@code release}, then echoes. */
    private static Server gatedEcho(int capacity, CountingCodec codec, CountDownLatch release) {
        return Server.builder()
                .config(Servers.config().workerPoolSize(1).maxWorkerTaskLen(capacity).build())
                .codec(codec)
                .route(1, r -> {
                    release.await();
                    r.reply(1, r.data());
                })
                .build().start();
    }

    /** Waits until the count of decoded requests has stopped moving (reading has paused) at {@code atLeast} or more. */
    private static void awaitPlateau(CountingCodec codec, int atLeast, Duration stableFor) {
        AtomicInteger previous = new AtomicInteger(-1);
        await().atMost(10, SECONDS).during(stableFor).until(() -> {
            int now = codec.decoded.get();
            return now >= atLeast && now == previous.getAndSet(now);
        });
    }

    @Test
    void aFullWorkerQueuePausesReadingAndDropsNothing() throws Exception {
        int capacity = 4;
        CountingCodec codec = new CountingCodec();
        CountDownLatch release = new CountDownLatch(1);
        Server server = gatedEcho(capacity, codec, release);
        int n = 5000;
        try (FrameSocket s = FrameSocket.connect(server.port())) {
            AtomicReference<Throwable> writerFailure = new AtomicReference<>();
            Thread writer = new Thread(() -> {
                try {
                    for (int i = 0; i < n; i++) s.send(1, "request number " + i);
                } catch (Throwable e) {
                    writerFailure.set(e);
                }
            });
            writer.start();
            // At most one request running, `capacity` queued and one held by the paused connection:
            // then nothing more is decoded. (The onConnStart step shares the queue, so where exactly
            // reading stops depends on when the worker took it.)
            awaitPlateau(codec, capacity, Duration.ofMillis(400));
            assertThat(codec.decoded.get()).isBetween(capacity, capacity + 2);
            release.countDown();
            for (int i = 0; i < n; i++) assertThat(s.read().text()).isEqualTo("request number " + i);
            writer.join(10_000);
            assertThat(writerFailure.get()).isNull();
            assertThat(codec.decoded.get()).isEqualTo(n);
        } finally {
            release.countDown();
            server.stop();
        }
    }

    @Test
    void oneStalledConnectionDoesNotStopTheOthersOnOtherWorkers() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        Server server = Server.builder()
                .config(Servers.config().workerPoolSize(2).maxWorkerTaskLen(2).build())
                .route(1, r -> {
                    release.await();
                    r.reply(1, r.data());
                })
                .route(2, r -> r.reply(2, r.data()))
                .build().start();
        try (FrameSocket blocked = FrameSocket.connect(server.port()); FrameSocket free = FrameSocket.connect(server.port())) {
            // Connection ids 1 and 2 land on workers 1 and 0 in hash mode.
            for (int i = 0; i < 20; i++) blocked.send(1, "x");
            for (int i = 0; i < 100; i++) free.send(2, "y" + i);
            for (int i = 0; i < 100; i++) assertThat(free.read().text()).isEqualTo("y" + i);
            release.countDown();
            for (int i = 0; i < 20; i++) assertThat(blocked.read().text()).isEqualTo("x");
        } finally {
            release.countDown();
            server.stop();
        }
    }

    @Test
    void aWaitingConnectionIsWokenEvenWhenLifecycleStepsShareTheQueue() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch blocked = new CountDownLatch(1);
        Server server = Server.builder()
                .config(Servers.config().workerPoolSize(1).maxWorkerTaskLen(1).build())
                .route(1, r -> {
                    if (r.text().equals("block")) {
                        blocked.countDown();
                        release.await();
                    }
                    r.reply(1, r.data());
                })
                .build().start();
        try (FrameSocket a = FrameSocket.connect(server.port())) {
            a.send(1, "block");
            assertThat(blocked.await(5, SECONDS)).isTrue();
            a.send(1, "queued");
            // A new connection's onConnStart joins the queue; then c's request finds no room and waits.
            try (FrameSocket d = FrameSocket.connect(server.port()); FrameSocket c = FrameSocket.connect(server.port())) {
                await().atMost(5, SECONDS).until(() -> server.connections().count() == 3);
                c.send(1, "waiting");
                release.countDown();
                assertThat(a.read().text()).isEqualTo("block");
                assertThat(a.read().text()).isEqualTo("queued");
                assertThat(c.read().text()).isEqualTo("waiting");
                d.send(1, "d");
                assertThat(d.read().text()).isEqualTo("d");
            }
        } finally {
            release.countDown();
            server.stop();
        }
    }

    @Test
    void stopHandsOverTheRequestsAPausedConnectionHasRead() throws Exception {
        int capacity = 2;
        CountingCodec codec = new CountingCodec();
        CountDownLatch release = new CountDownLatch(1);
        Server server = gatedEcho(capacity, codec, release);
        try (FrameSocket s = FrameSocket.connect(server.port())) {
            for (int i = 0; i < 50; i++) s.send(1, Integer.toString(i));
            awaitPlateau(codec, capacity, Duration.ofMillis(300));
            int accepted = codec.decoded.get();
            var stopping = server.stopAsync();
            await().atMost(5, SECONDS).until(() -> !server.isRunning());
            release.countDown();
            // Every request the server decoded, including whole frames it had read but not yet
            // decoded when it paused, is answered in order before the close.
            int replies = 0;
            try {
                for (;;) {
                    assertThat(s.read().text()).isEqualTo(Integer.toString(replies));
                    replies++;
                }
            } catch (java.io.EOFException closed) {
                // the server closed the connection after the last reply
            }
            StopReport report = stopping.get(10, SECONDS);
            assertThat(report.requestsDropped()).isZero();
            // Frames still unread when the stop began are decoded too, only to be counted as discarded.
            assertThat(replies).isGreaterThanOrEqualTo(accepted);
            assertThat(replies + report.requestsDiscarded()).isEqualTo(codec.decoded.get()).isEqualTo(50);
        } finally {
            release.countDown();
            server.stop();
        }
    }
}
