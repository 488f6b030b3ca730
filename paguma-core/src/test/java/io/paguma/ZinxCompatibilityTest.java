package io.paguma;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.buffer.ByteBufUtil;
import io.paguma.testing.FrameSocket;
import io.paguma.testing.Servers;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A client written only from docs/PROTOCOL.md, with no Paguma codec on its side: it packs Zinx's
 * two layouts by hand, sends them to a running server, and checks that the echoed bytes are the
 * golden frames Zinx's own pack code made.
 */
class ZinxCompatibilityTest {

    /** docs/PROTOCOL.md, "ltv-le": [len u32 LE][id u32 LE][data]. */
    static byte[] packLtvLe(long id, byte[] data) {
        return ByteBuffer.allocate(8 + data.length).order(ByteOrder.LITTLE_ENDIAN)
                .putInt(data.length).putInt((int) id).put(data).array();
    }

    /** docs/PROTOCOL.md, "tlv-be": [id u32 BE][len u32 BE][data]. */
    static byte[] packTlvBe(long id, byte[] data) {
        return ByteBuffer.allocate(8 + data.length).order(ByteOrder.BIG_ENDIAN)
                .putInt((int) id).putInt(data.length).put(data).array();
    }

    @ParameterizedTest
    @ValueSource(strings = {"ltv-le", "tlv-be"})
    void handPackedZinxFramesRoundTripThroughARunningServer(String codec) throws Exception {
        JsonNode vectors;
        try (InputStream in = getClass().getResourceAsStream("/vectors/zinx_packs.json")) {
            vectors = new ObjectMapper().readTree(in).get("vectors");
        }
        Server server = Server.builder()
                .config(Servers.config().codec(codec).build())
                .onUnknownMessage(r -> r.reply(r.id(), r.data()))
                .build().start();
        try (FrameSocket s = FrameSocket.connect(server.port(), Codecs.byName(codec))) {
            ByteArrayOutputStream sent = new ByteArrayOutputStream();
            ByteArrayOutputStream golden = new ByteArrayOutputStream();
            for (JsonNode v : vectors) {
                long id = v.get("id").asLong();
                byte[] payload = ByteBufUtil.decodeHexDump(v.get("payload_hex").asText());
                byte[] packed = codec.equals("ltv-le") ? packLtvLe(id, payload) : packTlvBe(id, payload);
                byte[] expected = ByteBufUtil.decodeHexDump(v.get(codec.equals("ltv-le") ? "ltv_le_hex" : "tlv_be_hex").asText());
                assertThat(packed).as("hand-packed id %d matches Zinx", id).isEqualTo(expected);
                sent.write(packed);
                golden.write(expected);
            }
            s.sendRaw(sent.toByteArray());
            byte[] echoed = s.readRaw(golden.size());
            assertThat(ByteBufUtil.hexDump(echoed)).isEqualTo(ByteBufUtil.hexDump(golden.toByteArray()));
        } finally {
            server.stop();
        }
    }
}
