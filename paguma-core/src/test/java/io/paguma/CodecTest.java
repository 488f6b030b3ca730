package io.paguma;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;

class CodecTest {

    static Stream<Codec> codecs() {
        return Stream.of(Codecs.LTV_LE, Codecs.TLV_BE, Codecs.LENGTH_PREFIX, Codecs.PAGUMA, Codecs.TRON);
    }

    private static byte[] encode(Codec codec, Message m) {
        ByteBuf b = Unpooled.buffer();
        try {
            codec.encode(m, b);
            assertThat(b.readableBytes()).isEqualTo(codec.frameLength(m));
            return ByteBufUtil.getBytes(b);
        } finally {
            b.release();
        }
    }

    private static JsonNode vectors() throws Exception {
        try (InputStream in = CodecTest.class.getResourceAsStream("/vectors/zinx_packs.json")) {
            return new ObjectMapper().readTree(in).get("vectors");
        }
    }

    @Test
    void zinxFormatsEncodeToTheGoldenFramesAndDecodeThemBack() throws Exception {
        int checked = 0;
        for (JsonNode v : vectors()) {
            int id = (int) v.get("id").asLong();
            byte[] payload = ByteBufUtil.decodeHexDump(v.get("payload_hex").asText());
            Message m = new Message(id, payload);
            for (Codec codec : List.of(Codecs.TLV_BE, Codecs.LTV_LE)) {
                String field = codec == Codecs.TLV_BE ? "tlv_be_hex" : "ltv_le_hex";
                byte[] golden = ByteBufUtil.decodeHexDump(v.get(field).asText());
                assertThat(ByteBufUtil.hexDump(encode(codec, m))).as(codec.name() + " id " + v.get("id")).isEqualTo(v.get(field).asText());
                ByteBuf in = Unpooled.wrappedBuffer(golden);
                try {
                    Message back = codec.decode(in, 1 << 20);
                    assertThat(back).isEqualTo(m);
                    assertThat(Integer.toUnsignedLong(back.id())).isEqualTo(v.get("id").asLong());
                    assertThat(in.isReadable()).isFalse();
                } finally {
                    in.release();
                }
                checked++;
            }
        }
        assertThat(checked).isEqualTo(20);
    }

    @ParameterizedTest
    @MethodSource("codecs")
    void anySplitOfAValidStreamDecodesToTheSameMessages(Codec codec) {
        long base = new Random().nextLong();
        for (int round = 0; round < 300; round++) {
            long seed = base + round;
            Random rnd = new Random(seed);
            List<Message> sent = randomMessages(rnd, codec, 1 + rnd.nextInt(60));
            ByteBuf stream = Unpooled.buffer();
            for (Message m : sent) stream.writeBytes(encode(codec, m));
            byte[] bytes = ByteBufUtil.getBytes(stream);
            stream.release();

            List<Message> received = new ArrayList<>();
            ByteBuf cumulation = Unpooled.buffer();
            try {
                int pos = 0;
                while (pos < bytes.length) {
                    int n = Math.min(bytes.length - pos, 1 + rnd.nextInt(rnd.nextBoolean() ? 8 : 700));
                    cumulation.writeBytes(bytes, pos, n);
                    pos += n;
                    Message m;
                    while ((m = codec.decode(cumulation, 4096)) != null) received.add(m);
                    cumulation.discardReadBytes();
                }
                assertThat(cumulation.isReadable()).as("seed %d: bytes left over", seed).isFalse();
            } finally {
                cumulation.release();
            }
            assertThat(received).as("codec %s, seed %d", codec.name(), seed).isEqualTo(sent);
        }
    }

    @ParameterizedTest
    @MethodSource("codecs")
    void garbageNeverCrashesTheDecoder(Codec codec) {
        long base = new Random().nextLong();
        for (int round = 0; round < 2000; round++) {
            long seed = base + round;
            Random rnd = new Random(seed);
            byte[] junk = new byte[rnd.nextInt(200)];
            rnd.nextBytes(junk);
            ByteBuf in = Unpooled.wrappedBuffer(junk);
            try {
                while (codec.decode(in, 64) != null) {
                    // keep decoding whatever happens to look like frames
                }
            } catch (FrameException expected) {
                if (codec == Codecs.TRON && expected.getMessage().contains("does not end with \\r\\n")) continue;
                assertThat(expected.getMessage()).contains("exceeds maxPacketSize 64");
            } catch (RuntimeException e) {
                fail("codec " + codec.name() + " threw " + e + " on garbage, seed " + seed);
            } finally {
                in.release();
            }
        }
    }

    @ParameterizedTest
    @MethodSource("codecs")
    void anOversizedLengthIsRefusedFromTheHeaderAlone(Codec codec) {
        Message big = new Message(0, new byte[5000]);
        byte[] frame = encode(codec, big);
        int header = frame.length - 5000;
        ByteBuf in = Unpooled.wrappedBuffer(frame, 0, header);
        try {
            assertThatThrownBy(() -> codec.decode(in, 4096))
                    .isInstanceOf(FrameException.class)
                    .hasMessage("frame of 5000 bytes exceeds maxPacketSize 4096 (codec " + codec.name()
                            + "; set paguma.maxPacketSize to raise it)");
        } finally {
            in.release();
        }
    }

    @Test
    void aLengthAbove2GiBIsRefusedNotWrapped() {
        ByteBuf in = Unpooled.wrappedBuffer(new byte[] {(byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, 1, 0, 0, 0});
        try {
            assertThatThrownBy(() -> Codecs.LTV_LE.decode(in, Integer.MAX_VALUE))
                    .isInstanceOf(FrameException.class)
                    .hasMessageStartingWith("frame of 4294967295 bytes");
        } finally {
            in.release();
        }
    }

    @Test
    void lengthPrefixCarriesNoIdAndSaysSoWhenAskedTo() {
        assertThatThrownBy(() -> encode(Codecs.LENGTH_PREFIX, new Message(5, new byte[1])))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("codec length-prefix carries no message id");
        assertThat(ByteBufUtil.hexDump(encode(Codecs.LENGTH_PREFIX, new Message(0, new byte[] {7, 8}))))
                .isEqualTo("000000020708");
    }

    @Test
    void codecsAreFoundByName() {
        assertThat(Codecs.byName("ltv-le")).isSameAs(Codecs.LTV_LE);
        assertThat(Codecs.byName("tlv-be")).isSameAs(Codecs.TLV_BE);
        assertThat(Codecs.byName("length-prefix")).isSameAs(Codecs.LENGTH_PREFIX);
        assertThat(Codecs.byName("paguma")).isSameAs(Codecs.PAGUMA);
        assertThat(Codecs.byName("TRON")).isSameAs(Codecs.TRON);
        assertThatThrownBy(() -> Codecs.byName("zip"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("unknown codec 'zip'")
                .hasMessageContaining("ltv-le");
    }

    @Test
    void aCustomCodecListedAsAServiceIsSelectableByNameInConfig() throws Exception {
        assertThat(Codecs.names()).contains("counting-ltv-le");
        Codec custom = Codecs.byName("counting-ltv-le");
        assertThat(custom).isInstanceOf(io.paguma.testing.CountingCodec.class);
        Server server = Server.builder()
                .config(io.paguma.testing.Servers.config().codec("counting-ltv-le").build())
                .route(1, r -> r.reply(1, r.data()))
                .build().start();
        try (io.paguma.testing.FrameSocket s = io.paguma.testing.FrameSocket.connect(server.port())) {
            assertThat(server.codec().name()).isEqualTo("counting-ltv-le");
            s.send(1, "custom");
            assertThat(s.read().text()).isEqualTo("custom");
        } finally {
            server.stop();
        }
    }

    @Test
    void onlyPagumaAndTronCarrySequenceIds() {
        assertThat(Codecs.PAGUMA.hasSequence()).isTrue();
        assertThat(Codecs.TRON.hasSequence()).isTrue();
        assertThat(Codecs.LTV_LE.hasSequence()).isFalse();
        assertThat(Codecs.TLV_BE.hasSequence()).isFalse();
        assertThat(Codecs.LENGTH_PREFIX.hasSequence()).isFalse();
        // A format without the field drops the seq: it decodes as 0.
        assertThat(decodeOne(Codecs.TLV_BE, encode(Codecs.TLV_BE, new Message(1, 9, new byte[] {1}))).seq()).isZero();
    }

    @Test
    void pagumaFramesAreLenIdSeqDataBigEndian() {
        Message m = new Message(1, 2, "hi".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        assertThat(ByteBufUtil.hexDump(encode(Codecs.PAGUMA, m))).isEqualTo("00000002" + "00000001" + "00000002" + "6869");
        Message max = new Message(-1, -1, new byte[0]);
        assertThat(ByteBufUtil.hexDump(encode(Codecs.PAGUMA, max))).isEqualTo("00000000" + "ffffffff" + "ffffffff");
        assertThat(decodeOne(Codecs.PAGUMA, encode(Codecs.PAGUMA, m))).isEqualTo(m);
        assertThat(decodeOne(Codecs.PAGUMA, encode(Codecs.PAGUMA, max))).isEqualTo(max);
    }

    @Test
    void tronFramesAreSeqCategoryLenDataCrLf() {
        Message m = new Message(1, 2, "hi".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        assertThat(ByteBufUtil.hexDump(encode(Codecs.TRON, m))).isEqualTo("00000002" + "00000001" + "00000002" + "6869" + "0d0a");
        assertThat(Codecs.TRON.frameLength(m)).isEqualTo(16);
        assertThat(decodeOne(Codecs.TRON, encode(Codecs.TRON, m))).isEqualTo(m);
        Message max = new Message(-1, 0x8000_0000, new byte[0]);
        assertThat(ByteBufUtil.hexDump(encode(Codecs.TRON, max))).isEqualTo("80000000" + "ffffffff" + "00000000" + "0d0a");
        assertThat(decodeOne(Codecs.TRON, encode(Codecs.TRON, max))).isEqualTo(max);
    }

    @Test
    void aTronFrameWithoutItsDelimiterIsRefusedAndAHalfArrivedOneWaits() {
        byte[] frame = encode(Codecs.TRON, new Message(3, 5, new byte[] {42}));
        // One byte of the delimiter has arrived: wait, consume nothing.
        ByteBuf partial = Unpooled.wrappedBuffer(frame, 0, frame.length - 1);
        try {
            assertThat(Codecs.TRON.decode(partial, 4096)).isNull();
            assertThat(partial.readerIndex()).isZero();
        } finally {
            partial.release();
        }
        frame[frame.length - 2] = '\n';
        frame[frame.length - 1] = '\r';
        ByteBuf wrong = Unpooled.wrappedBuffer(frame);
        try {
            assertThatThrownBy(() -> Codecs.TRON.decode(wrong, 4096))
                    .isInstanceOf(FrameException.class)
                    .hasMessage("tron frame (seq 5, id 3, 1 bytes) does not end with \\r\\n: got 0x0a 0x0d");
        } finally {
            wrong.release();
        }
    }

    private static Message decodeOne(Codec codec, byte[] frame) {
        ByteBuf in = Unpooled.wrappedBuffer(frame);
        try {
            Message m = codec.decode(in, Integer.MAX_VALUE);
            assertThat(in.isReadable()).isFalse();
            return m;
        } finally {
            in.release();
        }
    }

    /**
     * Random messages for {@code codec}. With a sequence field, half carry a sequence id, always
     * odd (a client's request), so a server echoing them routes them rather than taking them for
     * replies to its own requests.
     */
    static List<Message> randomMessages(Random rnd, Codec codec, int count) {
        List<Message> list = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            int seq = codec.hasSequence() && rnd.nextBoolean() ? rnd.nextInt() | 1 : 0;
            int id = codec == Codecs.LENGTH_PREFIX ? 0 : rnd.nextInt();
            byte[] data = new byte[rnd.nextInt(10) == 0 ? rnd.nextInt(4097) : rnd.nextInt(64)];
            rnd.nextBytes(data);
            list.add(new Message(id, seq, data));
        }
        return list;
    }
}
