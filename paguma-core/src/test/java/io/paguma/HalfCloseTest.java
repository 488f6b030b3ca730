package io.paguma;

import io.paguma.testing.FrameSocket;
import io.paguma.testing.Servers;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A client that sends its requests and then shuts down its writing side ({@code nc -N},
 * {@code socket.shutdownOutput()}) gets every reply, then a clean end of stream.
 */
class HalfCloseTest {

    private static Server echo(int workers) {
        return Server.builder()
                .config(Servers.config().workerPoolSize(workers).build())
                .route(1, r -> r.reply(1, r.data()))
                .build().start();
    }

    @ParameterizedTest(name = "workerPoolSize {0}")
    @ValueSource(ints = {2, 0})
    void halfClosedClientGetsEveryReply(int workers) throws Exception {
        Server server = echo(workers);
        try {
            int trials = 200;
            int delivered = 0;
            for (int i = 0; i < trials; i++) {
                try (FrameSocket s = FrameSocket.connect(server.port())) {
                    s.send(1, "trial " + i);
                    s.socket().shutdownOutput();
                    try {
                        if (s.read().text().equals("trial " + i) && s.closedByPeer()) delivered++;
                    } catch (java.io.IOException lost) {
                        // counted below
                    }
                }
            }
            assertThat(delivered).as("trials answered (then FIN) of %d", trials).isEqualTo(trials);
        } finally {
            server.stop();
        }
    }

    @ParameterizedTest(name = "workerPoolSize {0}")
    @ValueSource(ints = {2, 0})
    void halfClosedClientGetsEveryPipelinedReply(int workers) throws Exception {
        Server server = echo(workers);
        int n = 5000;
        try (FrameSocket s = FrameSocket.connect(server.port())) {
            // Written on another thread, so replies are read while requests are still going out.
            CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
                try {
                    java.io.ByteArrayOutputStream all = new java.io.ByteArrayOutputStream();
                    for (int i = 0; i < n; i++) all.write(s.encode(new Message(1, Integer.toString(i).getBytes())));
                    s.sendRaw(all.toByteArray());
                    s.socket().shutdownOutput();
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            int received = 0;
            try {
                for (; received < n; received++) assertThat(s.read().text()).isEqualTo(Integer.toString(received));
            } catch (java.io.IOException e) {
                throw new AssertionError(received + " of " + n + " pipelined replies arrived before: " + e, e);
            }
            writer.get(20, SECONDS);
            assertThat(s.closedByPeer()).isTrue();
        } finally {
            server.stop();
        }
    }

    @ParameterizedTest(name = "workerPoolSize {0}")
    @ValueSource(ints = {2, 0})
    void aWholeFrameThenATruncatedOneThenFinGetsTheWholeFramesReply(int workers) throws Exception {
        Server server = echo(workers);
        try (FrameSocket s = FrameSocket.connect(server.port())) {
            byte[] whole = s.encode(new Message(1, "whole".getBytes()));
            byte[] next = s.encode(new Message(1, "truncated".getBytes()));
            byte[] both = new byte[whole.length + next.length - 3];
            System.arraycopy(whole, 0, both, 0, whole.length);
            System.arraycopy(next, 0, both, whole.length, next.length - 3);
            s.sendRaw(both);
            s.socket().shutdownOutput();
            assertThat(s.read().text()).isEqualTo("whole");
            assertThat(s.closedByPeer()).isTrue();
        } finally {
            server.stop();
        }
    }

    @ParameterizedTest(name = "workerPoolSize {0}")
    @ValueSource(ints = {2, 0})
    void aHalfClosedConnectionIsClosedAndRunsOnConnStopOnce(int workers) throws Exception {
        AtomicInteger stops = new AtomicInteger();
        Server server = Server.builder()
                .config(Servers.config().workerPoolSize(workers).build())
                .route(1, r -> r.reply(1, r.data()))
                .onConnStop(c -> stops.incrementAndGet())
                .build().start();
        try (FrameSocket s = FrameSocket.connect(server.port())) {
            s.send(1, "x");
            s.socket().shutdownOutput();
            assertThat(s.read().text()).isEqualTo("x");
            assertThat(s.closedByPeer()).isTrue();
            await().atMost(10, SECONDS).until(() -> stops.get() == 1 && server.connections().count() == 0);
        } finally {
            server.stop();
        }
        assertThat(stops.get()).isEqualTo(1);
    }

    @org.junit.jupiter.api.Test
    void aHalfClosedPeerThatNeverReadsIsStillClosed() throws Exception {
        byte[] chunk = new byte[16 * 1024];
        java.util.concurrent.CountDownLatch stopped = new java.util.concurrent.CountDownLatch(2);
        Server server = Server.builder()
                .config(Servers.config().workerPoolSize(2).maxPendingWriteBytes(256 * 1024)
                        .stopGracePeriod(java.time.Duration.ofSeconds(1)).closeLinger(java.time.Duration.ofSeconds(1)).build())
                // Far more than maxPendingWriteBytes: cut off at the limit.
                .route(2, r -> {
                    for (int i = 0; i < 4000; i++) r.connection().send(3, chunk);
                })
                // Below the limit, but never read: the close cannot flush it and gives up after stopGracePeriod.
                .route(4, r -> {
                    for (int i = 0; i < 8; i++) r.connection().send(3, chunk);
                })
                .onConnStop(c -> stopped.countDown())
                .build().start();
        try (java.net.Socket flood = new java.net.Socket(); java.net.Socket small = new java.net.Socket()) {
            for (java.net.Socket s : new java.net.Socket[] {flood, small}) {
                s.setReceiveBufferSize(4096);
                s.connect(new java.net.InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), server.port()));
            }
            flood.getOutputStream().write(new byte[] {0, 0, 0, 0, 2, 0, 0, 0});
            flood.shutdownOutput();
            small.getOutputStream().write(new byte[] {0, 0, 0, 0, 4, 0, 0, 0});
            small.shutdownOutput();
            assertThat(stopped.await(30, SECONDS)).as("both non-reading half-closed peers closed").isTrue();
            await().atMost(10, SECONDS).until(() -> server.connections().count() == 0);
        } finally {
            server.stop();
        }
    }

    @org.junit.jupiter.api.Test
    void aPeerThatHalfClosesBeforeOnConnStartRanGetsWhatTheHookSends() throws Exception {
        java.util.concurrent.CountDownLatch hookMayRun = new java.util.concurrent.CountDownLatch(1);
        Server server = Server.builder()
                .config(Servers.config().workerPoolSize(1).build())
                .onConnStart(c -> {
                    try {
                        hookMayRun.await(20, SECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    c.send(new Message(7, "welcome".getBytes(java.nio.charset.StandardCharsets.UTF_8)));
                })
                .build().start();
        try (FrameSocket s = FrameSocket.connect(server.port())) {
            s.socket().shutdownOutput();
            // The server has seen the FIN while the hook still waits.
            await().atMost(20, SECONDS).until(() -> server.connections().all().stream()
                    .anyMatch(c -> ((io.netty.channel.socket.DuplexChannel) c.channel()).isInputShutdown()));
            hookMayRun.countDown();
            assertThat(s.read().text()).isEqualTo("welcome");
            assertThat(s.closedByPeer()).isTrue();
        } finally {
            hookMayRun.countDown();
            server.stop();
        }
    }
}
