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

    /** A sensor's frames: {@code [aa 55][len u16 BE = payload][cmd u8][payload]} (PROTOCOL.md's first example). */
    static final Codec SENSOR = io.paguma.internal.codec.LengthFieldCodec.of(false, "aa55", 2, 2, 1, 4, 1, 0);
    /** A game's frames: {@code [len u16 LE = whole frame][msg id u16 LE][payload]} (PROTOCOL.md's second example). */
    static final Codec GAME = io.paguma.internal.codec.LengthFieldCodec.of(true, "", 0, 2, -2, 2, 2, 0);

    static Stream<Codec> codecs() {
        return Stream.of(Codecs.LTV_LE, Codecs.TLV_BE, Codecs.LENGTH_PREFIX, Codecs.PAGUMA, Codecs.TRON, Codecs.TRON_V2,
                Codecs.LENGTH_FIELD, SENSOR, GAME);
    }

    /** What a codec may refuse in random bytes besides an oversized length: its own consistency checks. */
    private static final List<String> FORMAT_CHECKS = List.of("does not end with \\r\\n", "has no data",
            "packLen", "does not start with the prefix", "shorter than its", "not a paguma 0.2 frame", "unknown flags");

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
                if (FORMAT_CHECKS.stream().anyMatch(expected.getMessage()::contains)) continue;
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
        assertThat(Codecs.byName("tron-v2")).isSameAs(Codecs.TRON_V2);
        assertThat(Codecs.byName("length-field")).isSameAs(Codecs.LENGTH_FIELD);
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
    void onlyPagumaAndTronCarrySequenceIdsAndOnlyPagumaAStatus() {
        assertThat(Codecs.PAGUMA.hasStatus()).isTrue();
        assertThat(Codecs.TRON.hasStatus()).isFalse();
        assertThat(Codecs.PAGUMA.hasSequence()).isTrue();
        assertThat(Codecs.TRON.hasSequence()).isTrue();
        assertThat(Codecs.TRON_V2.hasSequence()).isTrue();
        assertThat(Codecs.LENGTH_FIELD.hasSequence()).isFalse();
        assertThat(Codecs.LTV_LE.hasSequence()).isFalse();
        assertThat(Codecs.TLV_BE.hasSequence()).isFalse();
        assertThat(Codecs.LENGTH_PREFIX.hasSequence()).isFalse();
        // A format without the field drops the seq: it decodes as 0.
        assertThat(decodeOne(Codecs.TLV_BE, encode(Codecs.TLV_BE, new Message(1, 9, new byte[] {1}))).seq()).isZero();
    }

    @Test
    void pagumaFramesAreLenMarkerFlagsStatusIdSeqDataBigEndian() {
        Message m = new Message(1, 2, "hi".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        assertThat(ByteBufUtil.hexDump(encode(Codecs.PAGUMA, m)))
                .isEqualTo("00000002" + "b7" + "00" + "0000" + "00000001" + "00000002" + "6869");
        Message max = new Message(-1, -1, new byte[0]);
        assertThat(ByteBufUtil.hexDump(encode(Codecs.PAGUMA, max)))
                .isEqualTo("00000000" + "b7" + "00" + "0000" + "ffffffff" + "ffffffff");
        // A request with its time limit: flag bit 0 and four more header bytes.
        Message timed = new Message(7, 3, 0, 1500, new byte[] {9});
        assertThat(ByteBufUtil.hexDump(encode(Codecs.PAGUMA, timed)))
                .isEqualTo("00000001" + "b7" + "01" + "0000" + "00000007" + "00000003" + "000005dc" + "09");
        // A failed request's reply: the status, and a message as the payload.
        Message error = Message.error(7, 3, RemoteException.NO_ROUTE, "no");
        assertThat(ByteBufUtil.hexDump(encode(Codecs.PAGUMA, error)))
                .isEqualTo("00000002" + "b7" + "00" + "0002" + "00000007" + "00000003" + "6e6f");
        for (Message each : List.of(m, max, timed, error)) assertThat(decodeOne(Codecs.PAGUMA, encode(Codecs.PAGUMA, each))).isEqualTo(each);
    }

    @Test
    void aFrameOfPaguma01IsRefusedNotMisread() {
        // 0.1's layout: [len][id][seq][data]; byte 4 is the id's top byte, not the 0.2 marker.
        ByteBuf old = Unpooled.wrappedBuffer(ByteBufUtil.decodeHexDump("00000002" + "00000001" + "00000002" + "6869"));
        try {
            assertThatThrownBy(() -> Codecs.PAGUMA.decode(old, 4096)).isInstanceOf(FrameException.class)
                    .hasMessageContaining("not a paguma 0.2 frame").hasMessageContaining("Paguma 0.1");
        } finally {
            old.release();
        }
        ByteBuf flags = Unpooled.wrappedBuffer(ByteBufUtil.decodeHexDump("00000000" + "b7" + "80" + "0000" + "00000001" + "00000000"));
        try {
            assertThatThrownBy(() -> Codecs.PAGUMA.decode(flags, 4096)).isInstanceOf(FrameException.class)
                    .hasMessageContaining("unknown flags 0x80");
        } finally {
            flags.release();
        }
    }

    private static JsonNode tronVectors() throws Exception {
        try (InputStream in = CodecTest.class.getResourceAsStream("/vectors/tron_packets.json")) {
            return new ObjectMapper().readTree(in).get("vectors");
        }
    }

    @Test
    void tronFormatsEncodeToTronsOwnGoldenFramesAndDecodeThemBack() throws Exception {
        int checked = 0;
        for (JsonNode v : tronVectors()) {
            Codec codec = v.get("format").asText().equals("tron-v0.1") ? Codecs.TRON : Codecs.TRON_V2;
            int wireSeq = v.get("seq").asInt();
            // TRON's "no sequence" (-1) is Paguma's 0, and the other way round.
            int seq = wireSeq == -1 ? 0 : wireSeq == 0 ? -1 : wireSeq;
            Message m = new Message(v.get("category").asInt(), seq, ByteBufUtil.decodeHexDump(v.get("payload_hex").asText()));
            String golden = v.get("frame_hex").asText();
            assertThat(ByteBufUtil.hexDump(encode(codec, m))).as(codec.name() + " seq " + wireSeq).isEqualTo(golden);
            assertThat(decodeOne(codec, ByteBufUtil.decodeHexDump(golden))).isEqualTo(m);
            checked++;
        }
        assertThat(checked).isEqualTo(9);
    }

    @Test
    void tronFramesAreSeqCategoryByteLenDataCrLf() {
        Message m = new Message(1, 2, "hi".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        assertThat(ByteBufUtil.hexDump(encode(Codecs.TRON, m))).isEqualTo("00000002" + "01" + "00000002" + "6869" + "0d0a");
        assertThat(Codecs.TRON.frameLength(m)).isEqualTo(13);
        // Paguma's 0 ("no sequence") is TRON's -1; TRON's 0 is Paguma's -1: nothing is lost.
        assertThat(ByteBufUtil.hexDump(encode(Codecs.TRON, new Message(255, 0, new byte[] {1})))).startsWith("ffffffff" + "ff");
        assertThat(ByteBufUtil.hexDump(encode(Codecs.TRON, new Message(0, -1, new byte[] {1})))).startsWith("00000000" + "00");
        assertThat(decodeOne(Codecs.TRON, encode(Codecs.TRON, new Message(0, -1, new byte[] {1}))).seq()).isEqualTo(-1);
        // The category is one byte, and TRON refuses empty packets: such sends fail, naming why.
        assertThatThrownBy(() -> Codecs.TRON.frameLength(new Message(256, new byte[1])))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("0-255").hasMessageContaining("256");
        assertThatThrownBy(() -> Codecs.TRON.frameLength(new Message(1, new byte[0])))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("empty");
        ByteBuf empty = Unpooled.wrappedBuffer(ByteBufUtil.decodeHexDump("ffffffff" + "01" + "00000000" + "0d0a"));
        try {
            assertThatThrownBy(() -> Codecs.TRON.decode(empty, 4096)).isInstanceOf(FrameException.class)
                    .hasMessageContaining("has no data");
        } finally {
            empty.release();
        }
    }

    @Test
    void tronV2FramesAreCheckedForTheirTwoLengths() {
        assertThatThrownBy(() -> Codecs.TRON_V2.frameLength(new Message(3, new byte[1])))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("carries no message id");
        ByteBuf wrong = Unpooled.wrappedBuffer(ByteBufUtil.decodeHexDump("00000009" + "00000001" + "00000002" + "6869"));
        try {
            assertThatThrownBy(() -> Codecs.TRON_V2.decode(wrong, 4096)).isInstanceOf(FrameException.class)
                    .hasMessage("tron-v2 frame (seq 1) says packLen 9 but dataLen 2 (packLen must be 8 + dataLen)");
        } finally {
            wrong.release();
        }
    }

    @Test
    void lengthFieldLayoutsOfTwoDeviceProtocols() {
        // PROTOCOL.md, example 1: [aa 55][len u16 BE = payload][cmd u8][payload].
        Message reading = new Message(0x21, new byte[] {0x01, 0x02, 0x03});
        assertThat(ByteBufUtil.hexDump(encode(SENSOR, reading))).isEqualTo("aa55" + "0003" + "21" + "010203");
        assertThat(decodeOne(SENSOR, encode(SENSOR, reading))).isEqualTo(reading);
        assertThatThrownBy(() -> SENSOR.frameLength(new Message(256, new byte[1])))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("1 byte(s)");
        ByteBuf stray = Unpooled.wrappedBuffer(ByteBufUtil.decodeHexDump("aa56"));
        try {
            assertThatThrownBy(() -> SENSOR.decode(stray, 4096)).isInstanceOf(FrameException.class)
                    .hasMessageContaining("does not start with the prefix aa55 (byte 1 differs)");
        } finally {
            stray.release();
        }
        // Example 2: [len u16 LE = whole frame][msg id u16 LE][payload].
        Message move = new Message(0x0102, "go".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        assertThat(ByteBufUtil.hexDump(encode(GAME, move))).isEqualTo("0600" + "0201" + "676f");
        assertThat(decodeOne(GAME, encode(GAME, move))).isEqualTo(move);
        // A length that cannot even cover the header is malformed, not a negative payload.
        ByteBuf tooShort = Unpooled.wrappedBuffer(ByteBufUtil.decodeHexDump("0300" + "0100"));
        try {
            assertThatThrownBy(() -> GAME.decode(tooShort, 4096)).isInstanceOf(FrameException.class)
                    .hasMessageContaining("shorter than its 4-byte header");
        } finally {
            tooShort.release();
        }
    }

    @Test
    void aLengthFieldLayoutWhoseFieldsOverlapIsAConfigError() {
        assertThatThrownBy(() -> io.paguma.internal.codec.LengthFieldCodec.of(false, "", 0, 4, 0, 2, 2, 0))
                .isInstanceOf(ConfigException.class).hasMessageContaining("overlaps the length field");
        assertThatThrownBy(() -> io.paguma.internal.codec.LengthFieldCodec.of(false, "aa55", 1, 2, 0, -1, 4, 0))
                .isInstanceOf(ConfigException.class).hasMessageContaining("inside the 2-byte prefix");
        assertThatThrownBy(() -> io.paguma.internal.codec.LengthFieldCodec.of(false, "", 0, 2, 0, 2, 2, 3))
                .isInstanceOf(ConfigException.class).hasMessageContaining("headerLength 3 ends before the fields do");
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
                    .hasMessage("tron frame (seq 5, category 3, 1 bytes) does not end with \\r\\n");
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
    static boolean carries(Codec codec, Message m) {
        ByteBuf b = Unpooled.buffer();
        try {
            codec.encode(m, b);
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        } finally {
            b.release();
        }
    }

    static List<Message> randomMessages(Random rnd, Codec codec, int count) {
        List<Message> list = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            int seq = codec.hasSequence() && rnd.nextBoolean() ? rnd.nextInt() | 1 : 0;
            byte[] data = new byte[rnd.nextInt(10) == 0 ? rnd.nextInt(4097) : rnd.nextInt(64)];
            if (data.length == 0 && codec == Codecs.TRON) data = new byte[1]; // TRON refuses empty packets
            rnd.nextBytes(data);
            int status = codec.hasStatus() && rnd.nextInt(8) == 0 ? 1 + rnd.nextInt(0xFFFF) : 0;
            int timeout = codec.hasStatus() && rnd.nextInt(4) == 0 ? 1 + rnd.nextInt(Integer.MAX_VALUE) : 0;
            // An id the codec can carry: narrowed until its id field takes it (0 where it has none).
            int id = rnd.nextInt();
            while (!carries(codec, new Message(id, data))) id >>>= 8;
            list.add(new Message(id, seq, status, timeout, data));
        }
        return list;
    }
}
