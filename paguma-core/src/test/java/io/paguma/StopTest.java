package io.paguma;

import io.paguma.testing.CountingCodec;
import io.paguma.testing.FrameSocket;
import io.paguma.testing.Servers;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

class StopTest {

    private static List<String> threadsOf(String serverName) {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(Thread::isAlive)
                .map(Thread::getName)
                .filter(n -> n.startsWith("paguma-" + serverName + "-"))
                .toList();
    }

    @Test
    void gracefulStopLosesNoAcceptedRequest() throws Exception {
        CountingCodec codec = new CountingCodec();
        CountDownLatch release = new CountDownLatch(1);
        AtomicInteger stops = new AtomicInteger();
        Server server = Server.builder()
                .config(Servers.config().name("graceful").workerPoolSize(1).build())
                .codec(codec)
                .route(1, r -> {
                    if (r.text().equals("0")) release.await();
                    r.reply(1, r.data());
                })
                .onConnStop(c -> stops.incrementAndGet())
                .build().start();
        int n = 200;
        try (FrameSocket s = FrameSocket.connect(server.port())) {
            for (int i = 0; i < n; i++) s.send(1, Integer.toString(i));
            // Every request is off the wire and queued behind the first, which is still running.
            await().atMost(10, SECONDS).until(() -> codec.decoded.get() == n);
            CompletableFuture<StopReport> stopping = server.stopAsync();
            await().atMost(5, SECONDS).until(() -> !server.isRunning());
            release.countDown();
            for (int i = 0; i < n; i++) assertThat(s.read().text()).isEqualTo(Integer.toString(i));
            assertThat(s.closedByPeer()).isTrue();
            StopReport report = stopping.get(10, SECONDS);
            assertThat(report.connectionsClosed()).isEqualTo(1);
            assertThat(report.requestsDropped()).isZero();
            assertThat(report.graceExpired()).isFalse();
        }
        assertThat(stops.get()).isEqualTo(1);
    }

    @Test
    void stopStopsAcceptingFiresOnConnStopForEveryConnectionAndEndsEveryThread() throws Exception {
        AtomicInteger starts = new AtomicInteger();
        AtomicInteger stops = new AtomicInteger();
        Server server = Server.builder()
                .config(Servers.config().name("freeing").workerPoolSize(2).build())
                .route(1, r -> r.reply(1, r.data()))
                .onConnStart(c -> starts.incrementAndGet())
                .onConnStop(c -> stops.incrementAndGet())
                .build().start();
        int port = server.port();
        FrameSocket[] clients = new FrameSocket[10];
        for (int i = 0; i < clients.length; i++) {
            clients[i] = FrameSocket.connect(port);
            clients[i].send(1, "hi");
            assertThat(clients[i].read().text()).isEqualTo("hi");
        }
        assertThat(threadsOf("freeing")).isNotEmpty();
        StopReport report = server.stop();
        assertThat(report.connectionsClosed()).isEqualTo(10);
        assertThat(starts.get()).isEqualTo(10);
        assertThat(stops.get()).isEqualTo(10);
        for (FrameSocket c : clients) {
            assertThat(c.closedByPeer()).isTrue();
            c.close();
        }
        assertThatThrownBy(() -> FrameSocket.connect(port)).isInstanceOf(java.net.ConnectException.class);
        await().atMost(5, SECONDS).until(() -> threadsOf("freeing").isEmpty());
        assertThat(server.stop()).isSameAs(report);
    }

    @Test
    void aStuckRouterCannotHoldTheStopPastTheGracePeriod() throws Exception {
        CountDownLatch never = new CountDownLatch(1);
        CountDownLatch entered = new CountDownLatch(1);
        AtomicInteger stops = new AtomicInteger();
        Server server = Server.builder()
                .config(Servers.config().name("stuck").workerPoolSize(1).stopGracePeriod(Duration.ofMillis(300)).build())
                .route(1, r -> {
                    entered.countDown();
                    never.await();
                })
                .onConnStop(c -> stops.incrementAndGet())
                .build().start();
        try (FrameSocket s = FrameSocket.connect(server.port())) {
            s.send(1, "a");
            s.send(1, "b");
            s.send(1, "c");
            assertThat(entered.await(5, SECONDS)).isTrue();
            await().atMost(5, SECONDS).until(() -> server.connections().count() == 1);
            long t0 = System.nanoTime();
            StopReport report = server.stop();
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(10));
            assertThat(report.graceExpired()).isTrue();
            assertThat(report.requestsDropped()).isEqualTo(2);
            assertThat(stops.get()).isEqualTo(1);
            assertThat(s.closedByPeer()).isTrue();
        }
        await().atMost(5, SECONDS).until(() -> threadsOf("stuck").isEmpty());
    }

    @Test
    void serveBlocksUntilStopped() throws Exception {
        Server server = Server.builder().config(Servers.config().name("serving").build())
                .route(1, r -> r.reply(1, r.data())).build();
        AtomicReference<StopReport> served = new AtomicReference<>();
        Thread t = new Thread(() -> served.set(server.serve()));
        t.start();
        await().atMost(5, SECONDS).until(server::isRunning);
        assertThat(t.isAlive()).isTrue();
        StopReport report = server.stop();
        t.join(5000);
        assertThat(t.isAlive()).isFalse();
        assertThat(served.get()).isSameAs(report);
    }

    @Test
    void stopFromARouterMustBeAsync() throws Exception {
        AtomicReference<Throwable> fromRouter = new AtomicReference<>();
        CountDownLatch tried = new CountDownLatch(1);
        AtomicReference<Server> self = new AtomicReference<>();
        Server server = Server.builder().config(Servers.config().name("selfstop").build())
                .route(1, r -> {
                    try {
                        self.get().stop();
                    } catch (IllegalStateException e) {
                        fromRouter.set(e);
                    }
                    tried.countDown();
                    self.get().stopAsync();
                })
                .build();
        self.set(server);
        server.start();
        try (FrameSocket s = FrameSocket.connect(server.port())) {
            s.send(1, "stop please");
            assertThat(tried.await(5, SECONDS)).isTrue();
            assertThat(s.closedByPeer()).isTrue();
        }
        assertThat(fromRouter.get()).hasMessageContaining("call stopAsync() instead");
        server.stoppedFuture().get(10, SECONDS);
        assertThat(server.isRunning()).isFalse();
    }
}
