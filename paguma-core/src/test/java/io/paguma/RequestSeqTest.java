package io.paguma;

import io.paguma.testing.FrameSocket;
import io.paguma.testing.Servers;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

/** Issue 10, item 7: a router can read the sequence id of the message it handles. */
class RequestSeqTest {
    @Test
    void seqIsTheMessagesSequenceId() {
        assertThat(new Request(null, new Message(1, 42, new byte[0])).seq()).isEqualTo(42);
        assertThat(new Request(null, new Message(1, -1, new byte[0])).seq()).as("unsigned 0xFFFFFFFF").isEqualTo(-1);
        assertThat(new Request(null, new Message(1, new byte[0])).seq()).as("no sequence id").isZero();
    }

    @Test
    void aRouterSeesTheSequenceIdSentOnTheWire() throws Exception {
        Server server = Server.builder().config(Servers.config().codec("paguma").build())
                .route(5, r -> r.reply(5, Integer.toUnsignedString(r.seq())))
                .build().start();
        try (FrameSocket peer = FrameSocket.connect(server.port(), Codecs.PAGUMA)) {
            peer.sendRaw(peer.encode(new Message(5, 0xCAFE_F00D, "x".getBytes(StandardCharsets.UTF_8))));
            Message reply = peer.read();
            assertThat(reply.text()).isEqualTo(Integer.toUnsignedString(0xCAFE_F00D));
            assertThat(reply.seq()).isEqualTo(0xCAFE_F00D);
        } finally {
            server.stop();
        }
    }
}
