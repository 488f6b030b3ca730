package io.paguma;

import io.paguma.testing.FrameSocket;
import io.paguma.testing.Servers;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** A maxConn place is given back when the socket closes, not when onConnStop has finished. */
class MaxConnReleaseTest {
    private static final int HEARTBEAT = 99999;

    @Test
    void placesFreedBySocketsThatClosedAreReusableWhileOnConnStopIsStillRunning() throws Exception {
        int max = 3;
        CountDownLatch hooksMayFinish = new CountDownLatch(1);
        AtomicInteger stopsEntered = new AtomicInteger();
        AtomicInteger stopsDone = new AtomicInteger();
        Server server = Server.builder()
                .config(Servers.config().workerPoolSize(1).maxConn(max).serverFullMessage("full").build())
                .route(1, r -> r.reply(1, r.data()))
                .onConnStop(c -> {
                    stopsEntered.incrementAndGet();
                    try {
                        hooksMayFinish.await(30, SECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    stopsDone.incrementAndGet();
                })
                .build().start();
        List<FrameSocket> second = new ArrayList<>();
        try {
            for (int i = 0; i < max; i++) {
                try (FrameSocket s = FrameSocket.connect(server.port())) {
                    s.send(HEARTBEAT, "ping");
                    assertThat(s.read().text()).isEqualTo("pong");
                }
            }
            // Every socket has closed; the first hook blocks the worker, so no onConnStop has finished.
            await().atMost(20, SECONDS).until(() -> stopsEntered.get() == 1);
            // ... and the server has seen every one of those sockets close (still listed: hooks pending).
            await().atMost(20, SECONDS).until(() -> server.connections().all().stream().noneMatch(c -> c.channel().isActive()));
            assertThat(server.connections().count()).isEqualTo(max);
            assertThat(stopsDone.get()).isZero();
            for (int i = 0; i < max; i++) {
                FrameSocket s = FrameSocket.connect(server.port());
                second.add(s);
                // A ping is answered on the IO thread, so an accepted connection answers even while the worker is busy;
                // a refused one gets the serverFullMessage instead.
                s.send(HEARTBEAT, "ping");
                Message m = s.read();
                assertThat(m.text()).as("connection %d after %d sockets closed", i, max).isEqualTo("pong");
            }
            assertThat(stopsDone.get()).isZero();
        } finally {
            hooksMayFinish.countDown();
            for (FrameSocket s : second) s.close();
            server.stop();
        }
        assertThat(stopsDone.get()).isEqualTo(2 * max);
    }

    @Test
    void connectionsWaitingForASlowOnConnStopAreBoundedToo() throws Exception {
        int max = 3;
        CountDownLatch hooksMayFinish = new CountDownLatch(1);
        Server server = Server.builder()
                .config(Servers.config().workerPoolSize(1).maxConn(max).serverFullMessage("full").build())
                .onConnStop(c -> {
                    try {
                        hooksMayFinish.await(30, SECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                })
                .build().start();
        int accepted = 0;
        try {
            // A peer connecting and closing in a loop while the worker is stuck in onConnStop.
            for (int i = 0; i < 100; i++) {
                try (FrameSocket s = FrameSocket.connect(server.port())) {
                    s.send(HEARTBEAT, "ping");
                    if (s.read().text().equals("pong")) accepted++;
                }
            }
            assertThat(accepted).as("accepted of 100").isBetween(max, 2 * max + 2);
            assertThat(server.connections().count()).as("connections held with maxConn %d", max).isLessThanOrEqualTo(2 * max + 2);
        } finally {
            hooksMayFinish.countDown();
            server.stop();
        }
    }
}
