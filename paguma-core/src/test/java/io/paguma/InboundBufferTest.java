package io.paguma;

import io.paguma.internal.ChannelConnection;
import io.paguma.testing.FrameSocket;
import io.paguma.testing.Servers;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** R3: the buffer of a partly received frame is released once the frame is whole, and compacted while frames straddle reads. */
class InboundBufferTest {

    @Test
    void aHugeFrameInManySmallPiecesLeavesNoBufferBehind() throws Exception {
        Server server = Server.builder().config(Servers.config().maxPacketSize(2 << 20).build())
                .route(1, r -> r.reply(1, "got " + r.message().length())).build().start();
        try (FrameSocket s = FrameSocket.connect(server.port())) {
            byte[] frame = s.encode(new Message(1, new byte[1 << 20]));
            await().atMost(Duration.ofSeconds(5)).until(() -> server.connections().count() == 1);
            ChannelConnection c = (ChannelConnection) server.connections().all().iterator().next();
            assertThat(c.inboundBufferCapacity()).isZero();
            int half = frame.length / 2;
            for (int at = 0; at < half; at += 1024) s.sendRaw(java.util.Arrays.copyOfRange(frame, at, Math.min(at + 1024, half)));
            // Half a frame is held (and only what arrived of it).
            await().atMost(Duration.ofSeconds(5)).until(() -> c.inboundBufferCapacity() >= half);
            for (int at = half; at < frame.length; at += 1024) {
                s.sendRaw(java.util.Arrays.copyOfRange(frame, at, Math.min(at + 1024, frame.length)));
            }
            assertThat(s.read().text()).isEqualTo("got " + (1 << 20));
            // The frame is whole and handled: the connection holds no buffer any more (back to an idle one's).
            assertThat(c.inboundBufferCapacity()).isZero();
        } finally {
            server.stop();
        }
    }

    @Test
    void framesStraddlingEveryReadKeepTheBufferSmall() throws Exception {
        framesStraddlingEveryRead(false);
    }

    /** zeroCopy: the payloads on the worker share the buffer, so it is moved rather than compacted in place. */
    @Test
    void framesStraddlingEveryReadKeepTheBufferSmallWhenPayloadsShareIt() throws Exception {
        framesStraddlingEveryRead(true);
    }

    private void framesStraddlingEveryRead(boolean zeroCopy) throws Exception {
        Server server = Server.builder().config(Servers.config().zeroCopy(zeroCopy).build())
                .route(1, r -> r.reply(1, r.data())).build().start();
        try (FrameSocket s = FrameSocket.connect(server.port())) {
            byte[] frame = s.encode(new Message(1, new byte[100]));
            await().atMost(Duration.ofSeconds(5)).until(() -> server.connections().count() == 1);
            ChannelConnection c = (ChannelConnection) server.connections().all().iterator().next();
            int maxCapacity = 0;
            // Each write ends inside a frame, so every read leaves a partial frame behind:
            // 2,000 frames (about 216 KB) pass through, the buffer is compacted as it goes.
            s.sendRaw(java.util.Arrays.copyOf(frame, 50));
            for (int i = 0; i < 2000; i++) {
                byte[] rest = new byte[frame.length];
                System.arraycopy(frame, 50, rest, 0, frame.length - 50);
                System.arraycopy(frame, 0, rest, frame.length - 50, 50);
                s.sendRaw(rest);
                assertThat(s.read().length()).isEqualTo(100);
                if (i % 100 == 0) maxCapacity = Math.max(maxCapacity, c.inboundBufferCapacity());
            }
            assertThat(maxCapacity).as("largest inbound buffer while frames straddled reads").isLessThan(64 * 1024);
        } finally {
            server.stop();
        }
    }
}
