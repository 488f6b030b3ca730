package io.paguma;

import io.paguma.testing.FrameSocket;
import io.paguma.testing.Servers;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** A peer that stops reading costs the server a bounded amount of memory and nobody else anything. */
class SlowPeerTest {

    @Test
    void aPeerThatSendsButNeverReadsIsNoLongerReadRatherThanBuffered() throws Exception {
        Server server = Server.builder()
                .config(Servers.config().workerPoolSize(0).writeBufferLowWaterMark(8 * 1024).writeBufferHighWaterMark(16 * 1024).build())
                .route(1, r -> r.reply(1, r.data()))
                .build().start();
        try (Socket greedy = new Socket()) {
            greedy.setReceiveBufferSize(4096);
            greedy.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), server.port()));
            byte[] frame = new byte[8 + 1000];
            frame[0] = (byte) 0xe8;
            frame[1] = 0x03; // len 1000, little-endian
            frame[4] = 1;    // id 1
            AtomicLong written = new AtomicLong();
            Thread writer = new Thread(() -> {
                try {
                    OutputStream out = greedy.getOutputStream();
                    for (int i = 0; i < 200_000; i++) {
                        out.write(frame);
                        written.addAndGet(frame.length);
                    }
                } catch (IOException closedAtTheEnd) {
                    // the test closes the socket to end the writer
                }
            });
            writer.setDaemon(true);
            writer.start();
            // The writer stalls: the server stopped reading because its replies are not being read.
            AtomicLong previous = new AtomicLong(-1);
            await().atMost(20, SECONDS).during(Duration.ofMillis(500)).until(() -> {
                long now = written.get();
                return now > 0 && now == previous.getAndSet(now);
            });
            assertThat(written.get()).isLessThan(200_000L * frame.length);
            Connection conn = server.connections().all().iterator().next();
            long pending = conn.channel().unsafe().outboundBuffer().totalPendingWriteBytes();
            assertThat(pending).isLessThan(server.config().maxPendingWriteBytes());
            assertThat(conn.isOpen()).isTrue();

            // Everyone else is served meanwhile.
            try (FrameSocket other = FrameSocket.connect(server.port())) {
                other.send(1, "still serving");
                assertThat(other.read().text()).isEqualTo("still serving");
            }

            // Once the peer reads its replies again, the server reads it again and the writer moves on.
            greedy.setSoTimeout(10_000);
            InputStream in = greedy.getInputStream();
            byte[] buf = new byte[64 * 1024];
            long before = written.get();
            long deadline = System.nanoTime() + SECONDS.toNanos(20);
            while (written.get() <= before) {
                assertThat(System.nanoTime()).as("the writer resumes within 20 s").isLessThan(deadline);
                assertThat(in.read(buf)).isPositive();
            }
            assertThat(conn.isOpen()).isTrue();
        } finally {
            server.stop();
        }
    }

    @Test
    void aPeerThatDoesNotReadPushesIsClosedAtTheLimitAndOnlyIt() throws Exception {
        int limit = 256 * 1024;
        byte[] chunk = new byte[16 * 1024];
        AtomicReference<CompletableFuture<Void>> lastPush = new AtomicReference<>();
        CountDownLatch stopped = new CountDownLatch(1);
        Server server = Server.builder()
                .config(Servers.config().writeBufferLowWaterMark(8 * 1024).writeBufferHighWaterMark(16 * 1024)
                        .maxPendingWriteBytes(limit).build())
                .route(1, r -> r.reply(1, r.data()))
                .route(2, r -> {
                    CompletableFuture<Void> f = null;
                    for (int i = 0; i < 4000; i++) f = r.connection().send(3, chunk);
                    lastPush.set(f);
                })
                .onConnStop(c -> stopped.countDown())
                .build().start();
        try (Socket deaf = new Socket(); FrameSocket other = FrameSocket.connect(server.port())) {
            deaf.setReceiveBufferSize(4096);
            deaf.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), server.port()));
            deaf.getOutputStream().write(new byte[] {0, 0, 0, 0, 2, 0, 0, 0});
            assertThat(stopped.await(20, SECONDS)).isTrue();
            await().atMost(10, SECONDS).until(() -> lastPush.get() != null && lastPush.get().isDone());
            assertThat(lastPush.get()).isCompletedExceptionally();
            other.send(1, "unaffected");
            assertThat(other.read().text()).isEqualTo("unaffected");
            assertThat(server.connections().count()).isEqualTo(1);
        } finally {
            server.stop();
        }
    }

    @Test
    void aBurstWithinTheLimitFarAboveTheHighWaterMarkIsDelivered() throws Exception {
        byte[] chunk = new byte[64 * 1024];
        int count = 3 * 1024 * 1024 / chunk.length;
        Server server = Server.builder()
                .config(Servers.config().build())
                .route(1, r -> {
                    for (int i = 0; i < count; i++) r.reply(2, chunk);
                })
                .build().start();
        try (FrameSocket s = FrameSocket.connect(server.port())) {
            s.send(1, "");
            for (int i = 0; i < count; i++) assertThat(s.read().length()).isEqualTo(chunk.length);
        } finally {
            server.stop();
        }
    }

    @Test
    void aCloseAfterABigReplyDeliversAllOfItBeforeTheEnd() throws Exception {
        byte[] big = new byte[8 * 1024 * 1024];
        new java.util.Random(3).nextBytes(big);
        Server server = Server.builder()
                .config(Servers.config().closeLinger(Duration.ofMillis(200)).maxPacketSize(16 << 20).build())
                .route(1, r -> {
                    r.reply(2, big);
                    r.connection().close();
                })
                .build().start();
        try (FrameSocket s = FrameSocket.connect(server.port())) {
            s.send(1, "");
            assertThat(s.read().data()).isEqualTo(big);
            assertThat(s.closedByPeer()).isTrue();
        } finally {
            server.stop();
        }
    }
}
