package io.paguma;

import io.netty.channel.EventLoop;
import io.paguma.internal.ChannelConnection;
import io.paguma.testing.Servers;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Sends from other threads are drained by the IO thread in bounded slices: producers that keep
 * pace with the drain must not hold the IO thread, so its other work (reads, timers, other
 * connections) still runs.
 */
class DrainFairnessTest {

    @Test
    void producersThatKeepPaceDoNotHoldTheIoThread() throws Exception {
        Server server = Server.builder().config(Servers.config().codec("paguma").build())
                .route(2, r -> { })
                .build().start();
        Client client = Client.builder().config(PagumaConfig.builder().name("flood").host("127.0.0.1")
                .port(server.port()).codec("paguma").maxPendingWriteBytes(Integer.MAX_VALUE).build()).build();
        try {
            client.connect().orTimeout(10, TimeUnit.SECONDS).join();
            EventLoop loop = ((ChannelConnection) client.connection()).channel().eventLoop();
            AtomicBoolean stop = new AtomicBoolean();
            AtomicLong sent = new AtomicLong();
            List<Thread> producers = new ArrayList<>();
            byte[] payload = new byte[16];
            for (int t = 0; t < 2; t++) {
                Thread p = new Thread(() -> {
                    for (int i = 0; i < 1_000_000 && !stop.get(); i++) {
                        client.send(2, payload);
                        sent.incrementAndGet();
                    }
                });
                p.start();
                producers.add(p);
            }
            // While they send, tasks handed to the IO thread must still run promptly.
            long worst = 0;
            for (int i = 0; i < 20 && producers.stream().anyMatch(Thread::isAlive); i++) {
                long start = System.nanoTime();
                loop.submit(() -> { }).get(30, TimeUnit.SECONDS);
                worst = Math.max(worst, System.nanoTime() - start);
                Thread.onSpinWait();
            }
            stop.set(true);
            for (Thread p : producers) p.join();
            System.out.println("DrainFairnessTest: " + sent.get() + " sent, worst wait " + TimeUnit.NANOSECONDS.toMillis(worst) + " ms");
            assertThat(sent.get()).isPositive();
            assertThat(TimeUnit.NANOSECONDS.toMillis(worst)).as("worst wait for a task on the IO thread, ms").isLessThan(3000);
        } finally {
            client.close().orTimeout(120, TimeUnit.SECONDS).join();
            server.stop();
        }
    }

    @Test
    void sendsQueuedBeforeACloseAreWrittenEvenBeyondOneDrainSlice() throws Exception {
        java.util.concurrent.atomic.AtomicInteger received = new java.util.concurrent.atomic.AtomicInteger();
        Server server = Server.builder().config(Servers.config().codec("paguma").build())
                .route(2, r -> received.incrementAndGet())
                .build().start();
        Client client = Client.builder().config(PagumaConfig.builder().name("close-drain").host("127.0.0.1")
                .port(server.port()).codec("paguma").reconnect(false).build()).build();
        try {
            client.connect().orTimeout(10, TimeUnit.SECONDS).join();
            ChannelConnection c = (ChannelConnection) client.connection();
            // Hold the IO thread so that more than one drain slice is queued before the close.
            java.util.concurrent.CountDownLatch hold = new java.util.concurrent.CountDownLatch(1);
            c.channel().eventLoop().execute(() -> {
                try {
                    hold.await(20, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            int n = 10_000;
            List<java.util.concurrent.CompletableFuture<Void>> sends = new ArrayList<>(n);
            for (int i = 0; i < n; i++) sends.add(c.send(new Message(2, new byte[8])));
            c.close();
            hold.countDown();
            long failed = sends.stream().map(f -> f.handle((v, e) -> e)).map(java.util.concurrent.CompletableFuture::join)
                    .filter(java.util.Objects::nonNull).count();
            assertThat(failed).as("sends made before close() that failed").isZero();
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> received.get() == n);
        } finally {
            client.close().orTimeout(20, TimeUnit.SECONDS).join();
            server.stop();
        }
    }
}
