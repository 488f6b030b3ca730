package io.paguma.hostile;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.paguma.Codec;
import io.paguma.Codecs;
import io.paguma.FrameException;
import io.paguma.Message;
import io.paguma.internal.codec.LengthFieldCodec;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Fuzzing every built-in codec's decode (issue 16, item 5): seeded inputs, mutations of valid
 * streams (freshly encoded messages and the golden vectors) and pure random bytes, in heap,
 * direct and pooled buffers that may start past index 0. decode must return a message, return
 * null (more bytes needed) or throw {@link FrameException} — nothing else, no allocation out of
 * proportion with the input, and the reader index must move exactly past one frame or not at all.
 * A decoded message must encode and decode back to itself.
 *
 * <p>Not part of the normal build: {@code mvn -o -P fuzz -pl paguma-core,paguma-hub -am test}
 * runs it with {@code fuzz.iterations} (1,000,000 in the profile); {@code -Dfuzz.seed=N} replays a run.
 */
class CodecFuzzTest {
    static final Codec SENSOR = LengthFieldCodec.of(false, "aa55", 2, 2, 1, 4, 1, 0);
    static final Codec GAME = LengthFieldCodec.of(true, "", 0, 2, -2, 2, 2, 0);
    static final int[] MAX_PACKET_SIZES = {0, 1, 16, 4096, 65536, Integer.MAX_VALUE - 16, Integer.MAX_VALUE};

    static Stream<Codec> codecs() {
        return Stream.of(Codecs.LTV_LE, Codecs.TLV_BE, Codecs.LENGTH_PREFIX, Codecs.PAGUMA, Codecs.TRON, Codecs.TRON_V2,
                Codecs.LENGTH_FIELD, SENSOR, GAME);
    }

    /** Golden frames of the codec from the test vectors (Zinx's and TRON's own code). */
    static List<byte[]> goldenFrames(Codec codec) throws Exception {
        List<byte[]> out = new ArrayList<>();
        ObjectMapper json = new ObjectMapper();
        try (InputStream in = CodecFuzzTest.class.getResourceAsStream("/vectors/zinx_packs.json")) {
            for (JsonNode v : json.readTree(in).get("vectors")) {
                if (codec == Codecs.LTV_LE) out.add(ByteBufUtil.decodeHexDump(v.get("ltv_le_hex").asText()));
                if (codec == Codecs.TLV_BE) out.add(ByteBufUtil.decodeHexDump(v.get("tlv_be_hex").asText()));
            }
        }
        try (InputStream in = CodecFuzzTest.class.getResourceAsStream("/vectors/tron_packets.json")) {
            for (JsonNode v : json.readTree(in).get("vectors")) {
                String format = v.get("format").asText();
                if ((codec == Codecs.TRON && format.equals("tron-v0.1")) || (codec == Codecs.TRON_V2 && format.equals("tron-v0.2"))) {
                    out.add(ByteBufUtil.decodeHexDump(v.get("frame_hex").asText()));
                }
            }
        }
        return out;
    }

    /** A random message the codec can carry. */
    static Message randomMessage(Codec codec, Random rnd) {
        byte[] data = new byte[rnd.nextInt(8) == 0 ? rnd.nextInt(2000) : rnd.nextInt(24)];
        rnd.nextBytes(data);
        boolean noId = codec == Codecs.LENGTH_PREFIX || codec == Codecs.TRON_V2 || codec == Codecs.LENGTH_FIELD;
        int id = noId ? 0 : codec == Codecs.TRON || codec == SENSOR ? rnd.nextInt(256) : codec == GAME ? rnd.nextInt(65536)
                : rnd.nextInt();
        if (codec == Codecs.TRON && data.length == 0) data = new byte[] {1};
        int seq = codec.hasSequence() ? rnd.nextInt() : 0;
        if (codec.hasStatus() && rnd.nextInt(4) == 0) {
            return new Message(id, seq, rnd.nextInt(65536), rnd.nextInt(4) == 0 ? 0 : 1 + rnd.nextInt(Integer.MAX_VALUE), data);
        }
        return new Message(id, seq, data);
    }

    static byte[] encode(Codec codec, Message m) {
        ByteBuf b = Unpooled.buffer(codec.frameLength(m));
        try {
            codec.encode(m, b);
            return ByteBufUtil.getBytes(b);
        } finally {
            b.release();
        }
    }

    /** An input for iteration {@code seed}: mostly mutations of a valid stream, sometimes random bytes. */
    static byte[] input(Codec codec, List<byte[]> golden, Random rnd) {
        int kind = rnd.nextInt(10);
        if (kind == 0) {
            byte[] junk = new byte[rnd.nextInt(64)];
            rnd.nextBytes(junk);
            return junk;
        }
        java.io.ByteArrayOutputStream stream = new java.io.ByteArrayOutputStream();
        int frames = 1 + rnd.nextInt(3);
        for (int i = 0; i < frames; i++) {
            if (!golden.isEmpty() && rnd.nextInt(4) == 0) stream.writeBytes(golden.get(rnd.nextInt(golden.size())));
            else stream.writeBytes(encode(codec, randomMessage(codec, rnd)));
        }
        byte[] valid = stream.toByteArray();
        return kind == 1 ? valid : Fuzz.mutate(valid, rnd);
    }

    static ByteBuf buffer(byte[] bytes, Random rnd) {
        int skip = rnd.nextInt(3) == 0 ? rnd.nextInt(16) : 0;
        ByteBuf b = switch (rnd.nextInt(3)) {
            case 0 -> Unpooled.buffer(skip + bytes.length);
            case 1 -> Unpooled.directBuffer(skip + bytes.length);
            default -> PooledByteBufAllocator.DEFAULT.buffer(skip + bytes.length);
        };
        for (int i = 0; i < skip; i++) b.writeByte(0xee);
        b.writeBytes(bytes);
        b.readerIndex(skip);
        return b;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("codecs")
    void decodeReturnsAMessageOrNullOrThrowsFrameExceptionAndNothingElse(Codec codec) throws Exception {
        int iterations = Fuzz.iterations();
        long base = Fuzz.baseSeed();
        List<byte[]> golden = goldenFrames(codec);
        long messages = 0;
        long refused = 0;
        long t0 = System.nanoTime();
        for (long i = 0; i < iterations; i++) {
            long seed = Fuzz.seed(base, i);
            Random rnd = new Random(seed);
            byte[] bytes = input(codec, golden, rnd);
            int max = MAX_PACKET_SIZES[rnd.nextInt(MAX_PACKET_SIZES.length)];
            ByteBuf in = buffer(bytes, rnd);
            String about = "codec " + codec + ", maxPacketSize " + max + ", iteration " + i + " seed " + seed
                    + " (run -Dfuzz.seed=" + base + "), input " + ByteBufUtil.hexDump(bytes, 0, Math.min(bytes.length, 64));
            try {
                for (;;) {
                    int before = in.readerIndex();
                    int readable = in.readableBytes();
                    long allocated = Fuzz.allocatedBytes();
                    Message m;
                    try {
                        m = codec.decode(in, max);
                    } catch (FrameException refusedFrame) {
                        assertThat(refusedFrame.getMessage()).as(about).isNotBlank();
                        assertThat(in.readerIndex()).as(about + ": reader index after a refusal").isEqualTo(before);
                        refused++;
                        break;
                    } catch (Throwable other) {
                        throw new AssertionError("decode threw " + other + " for " + about, other);
                    }
                    if (allocated >= 0) {
                        long used = Fuzz.allocatedBytes() - allocated;
                        assertThat(used).as(about + ": bytes allocated by one decode of " + readable + " readable bytes")
                                .isLessThanOrEqualTo(64 * 1024 + 2L * readable);
                    }
                    if (m == null) {
                        assertThat(in.readerIndex()).as(about + ": reader index after null").isEqualTo(before);
                        break;
                    }
                    messages++;
                    int consumed = in.readerIndex() - before;
                    assertThat(consumed).as(about + ": bytes consumed").isPositive().isLessThanOrEqualTo(readable);
                    assertThat(m.length()).as(about + ": payload within maxPacketSize and the frame")
                            .isLessThanOrEqualTo(max).isLessThan(consumed + (codec == GAME || codec == SENSOR ? 1 : 0));
                    // What was decoded encodes and decodes back to itself.
                    ByteBuf again = Unpooled.wrappedBuffer(encode(codec, m));
                    try {
                        Message back = codec.decode(again, Integer.MAX_VALUE);
                        assertThat(back).as(about + ": decode(encode(m))").isNotNull();
                        assertThat(back.id()).as(about).isEqualTo(m.id());
                        assertThat(back.seq()).as(about).isEqualTo(m.seq());
                        assertThat(back.status()).as(about).isEqualTo(m.status());
                        assertThat(back.timeoutMillis()).as(about).isEqualTo(m.timeoutMillis());
                        assertThat(back.data()).as(about).isEqualTo(m.data());
                        assertThat(again.isReadable()).as(about + ": one frame re-encoded").isFalse();
                    } finally {
                        again.release();
                    }
                }
            } finally {
                in.release();
            }
        }
        long ms = (System.nanoTime() - t0) / 1_000_000;
        System.out.printf("FUZZ codec %s: %d iterations in %d ms (%d messages decoded, %d frames refused), seed %d%n",
                codec, iterations, ms, messages, refused, base);
    }
}
