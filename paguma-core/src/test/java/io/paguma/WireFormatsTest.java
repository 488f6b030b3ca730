package io.paguma;

import io.paguma.testing.FrameSocket;
import io.paguma.testing.Servers;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** TRON's two layouts and configured length-field layouts through a running server (T2, B6). */
class WireFormatsTest {

    @Test
    void aSensorLayoutFromTheConfigFileRoundTripsThroughAServer(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("application.yaml");
        Files.writeString(file, String.join("\n",
                "codec: length-field",
                "lengthField:",
                "  prefix: aa55",
                "  lengthOffset: 2",
                "  lengthSize: 2",
                "  lengthAdjustment: 1",
                "  idOffset: 4",
                "  idSize: 1", ""));
        PagumaConfig loaded = PagumaConfig.load(file, Map.of(), Map.of());
        PagumaConfig config = loaded.toBuilder().name("sensor").host("127.0.0.1").port(0).build();
        Server server = Server.builder().config(config)
                .route(0x21, r -> r.reply(0x22, r.data()))
                .build().start();
        try (FrameSocket device = FrameSocket.connect(server.port(), CodecTest.SENSOR)) {
            // The device's own bytes, written by hand: aa55, len 3, cmd 0x21, payload 010203.
            device.sendRaw(new byte[] {(byte) 0xaa, 0x55, 0, 3, 0x21, 1, 2, 3});
            Message reply = device.read();
            assertThat(reply.id()).isEqualTo(0x22);
            assertThat(reply.data()).containsExactly(1, 2, 3);
            // A frame without the prefix is malformed: that device is closed.
            device.sendRaw(new byte[] {0x12, 0x34, 0, 0, 0});
            assertThat(device.closedByPeer()).isTrue();
        } finally {
            server.stop();
        }
    }

    @Test
    void aGameLayoutSetInCodeRoundTripsThroughAServerAndAClient() {
        PagumaConfig.Builder game = Servers.config().codec("length-field")
                .set(LengthFieldConfig.SECTION, LengthFieldConfig.BYTE_ORDER, LengthFieldConfig.ByteOrder.LITTLE)
                .set(LengthFieldConfig.SECTION, LengthFieldConfig.LENGTH_SIZE, 2)
                .set(LengthFieldConfig.SECTION, LengthFieldConfig.LENGTH_ADJUSTMENT, -2)
                .set(LengthFieldConfig.SECTION, LengthFieldConfig.ID_OFFSET, 2)
                .set(LengthFieldConfig.SECTION, LengthFieldConfig.ID_SIZE, 2);
        Server server = Server.builder().config(game.build()).route(0x0102, r -> r.reply(0x0103, "ok " + r.text()))
                .build().start();
        java.util.concurrent.CompletableFuture<String> answer = new java.util.concurrent.CompletableFuture<>();
        Client client = Client.builder().config(game.port(server.port()).build())
                .route(0x0103, r -> answer.complete(r.text())).build();
        try {
            assertThat(server.codec().toString()).contains("little").contains("id at 2");
            client.connect().orTimeout(10, TimeUnit.SECONDS).join();
            client.send(0x0102, "go");
            assertThat(answer.orTimeout(10, TimeUnit.SECONDS).join()).isEqualTo("ok go");
            // An id that does not fit two bytes fails its own send and nothing else.
            assertThatThrownBy(() -> client.send(0x10000, "too big").orTimeout(10, TimeUnit.SECONDS).join())
                    .hasMessageContaining("2 byte(s)");
            assertThat(client.connection().isOpen()).isTrue();
        } finally {
            client.close().orTimeout(10, TimeUnit.SECONDS).join();
            server.stop();
        }
    }

    @Test
    void requestsRoundTripOverTronV2AndTronWithTronsOwnNoSequenceMarker() throws Exception {
        for (String codec : new String[] {"tron", "tron-v2"}) {
            Server server = Server.builder().config(Servers.config().codec(codec).build())
                    .route(0, r -> r.reply(0, "re " + r.text()))
                    .build().start();
            Client client = Client.builder().config(PagumaConfig.builder().codec(codec).host("127.0.0.1")
                    .port(server.port()).build()).build();
            try {
                client.connect().orTimeout(10, TimeUnit.SECONDS).join();
                for (int i = 0; i < 20; i++) {
                    assertThat(client.request(0, "q" + i).orTimeout(10, TimeUnit.SECONDS).join().text()).isEqualTo("re q" + i);
                }
                // A raw TRON peer sends seq -1 ("no sequence") and gets -1 back on the reply.
                try (FrameSocket peer = FrameSocket.connect(server.port(), Codecs.byName(codec))) {
                    byte[] frame = codec.equals("tron")
                            ? new byte[] {-1, -1, -1, -1, 0, 0, 0, 0, 2, 'h', 'i', '\r', '\n'}
                            : new byte[] {0, 0, 0, 10, -1, -1, -1, -1, 0, 0, 0, 2, 'h', 'i'};
                    peer.sendRaw(frame);
                    byte[] head = peer.readRaw(4 + (codec.equals("tron") ? 0 : 4));
                    int seqAt = codec.equals("tron") ? 0 : 4;
                    assertThat(java.util.Arrays.copyOfRange(head, seqAt, seqAt + 4)).containsExactly(-1, -1, -1, -1);
                }
            } finally {
                client.close().orTimeout(10, TimeUnit.SECONDS).join();
                server.stop();
            }
        }
    }

    @Test
    void aHeartbeatIdTheCodecCannotCarryIsAConfigError() {
        assertThatThrownBy(() -> PagumaConfig.builder().codec("tron").heartbeatInterval(Duration.ofSeconds(5)).build())
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("heartbeatMsgId 99999 cannot be sent with codec tron");
        assertThat(PagumaConfig.builder().codec("tron").heartbeatInterval(Duration.ofSeconds(5)).heartbeatMsgId(200).build()
                .heartbeatMsgId()).isEqualTo(200);
    }
}
