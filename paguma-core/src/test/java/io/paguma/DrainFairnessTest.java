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
}
