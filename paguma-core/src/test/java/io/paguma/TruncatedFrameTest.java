package io.paguma;

import io.paguma.testing.FrameSocket;
import io.paguma.testing.LogCapture;
import io.paguma.testing.Servers;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Issue 9, item 16b: a peer that closes in the middle of a frame is not closed without a word. */
class TruncatedFrameTest {

    @Test
    void aTruncatedFrameFollowedByFinIsLogged() throws Exception {
        Server server = Server.builder().config(Servers.config().build())
                .route(2, r -> r.reply(2, r.data()))
                .build().start();
        try (LogCapture logs = LogCapture.start()) {
            String address;
            int half;
            try (FrameSocket peer = FrameSocket.connect(server.port())) {
                address = "127.0.0.1:" + peer.socket().getLocalPort();
                byte[] whole = peer.encode(new Message(2, "whole".getBytes()));
                byte[] next = peer.encode(new Message(2, "never finished".getBytes()));
                half = next.length / 2;
                ByteArrayOutputStream bytes = new ByteArrayOutputStream();
                bytes.write(whole);
                bytes.write(next, 0, half);
                peer.sendRaw(bytes.toByteArray());
                assertThat(peer.read().text()).isEqualTo("whole");
            } // FIN, with half a frame sent
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(logs.at("WARN", address))
                    .singleElement().asString()
                    .containsPattern("connection \\d+ \\(" + address.replace(".", "\\.") + "\\) closed by the peer with "
                            + half + " bytes of an incomplete frame"));
        } finally {
            server.stop();
        }
    }
}
