package io.paguma.hub;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.paguma.FrameException;
import io.paguma.Message;
import io.paguma.hostile.Fuzz;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Fuzzing the hub's decoders (issue 16, item 5): {@link DictCodec#decode}, {@link DataPack#decode}
 * and {@link DataPack#unserialize}, with seeded mutations of valid dicts and frames and pure random
 * bytes. Each returns its result or throws its documented exception ({@link DictFormatException},
 * {@link FrameException}) — never another (no StackOverflowError, no IndexOutOfBounds), never an
 * allocation out of proportion with the input; a decoded dict encodes and decodes back to itself.
 *
 * <p>Not part of the normal build: {@code mvn -o -P fuzz -pl paguma-core,paguma-hub -am test}
 * runs it with {@code fuzz.iterations}; {@code -Dfuzz.seed=N} replays a run.
 */
class DictFuzzTest {
    private final DictCodec dicts = new DictCodec();
    private final DataPack pack = new DataPack(dicts);

    /** A random dict of every supported type, up to {@code depth} levels of nesting. */
    static Map<String, Object> randomDict(Random rnd, int depth) {
        Map<String, Object> m = new LinkedHashMap<>();
        int n = rnd.nextInt(depth > 3 ? 6 : 3);
        for (int i = 0; i < n; i++) m.put(randomKey(rnd), randomValue(rnd, depth));
        return m;
    }

    static String randomKey(Random rnd) {
        String[] keys = {"a", "b", "seq", "name", "ключ", "😀", "", "x".repeat(30)};
        return keys[rnd.nextInt(keys.length)] + (rnd.nextBoolean() ? "" : Integer.toString(rnd.nextInt(100)));
    }

    static Object randomValue(Random rnd, int depth) {
        int kind = rnd.nextInt(depth > 0 ? 12 : 10);
        return switch (kind) {
            case 0 -> rnd.nextInt();
            case 1 -> rnd.nextLong();
            case 2 -> rnd.nextInt(30) - 10;
            case 3 -> rnd.nextFloat();
            case 4 -> rnd.nextDouble();
            case 5 -> rnd.nextBoolean();
            case 6 -> null;
            case 7 -> {
                byte[] b = new byte[rnd.nextInt(40)];
                rnd.nextBytes(b);
                yield b;
            }
            case 8, 9 -> randomKey(rnd) + "text é \u0000";
            case 10 -> {
                List<Object> l = new ArrayList<>();
                int n = rnd.nextInt(4);
                for (int i = 0; i < n; i++) l.add(randomValue(rnd, depth - 1));
                yield l;
            }
            default -> randomDict(rnd, depth - 1);
        };
    }

    private static void allocationBounded(long before, int inputLength, String about) {
        if (before < 0) return;
        long used = Fuzz.allocatedBytes() - before;
        // A dict's objects cost more than its bytes (boxes, maps, strings): a generous but linear bound.
        assertThat(used).as(about + ": bytes allocated decoding " + inputLength + " bytes").isLessThanOrEqualTo(64 * 1024 + 64L * inputLength);
    }

    @Test
    void dictCodecDecodesOrThrowsDictFormatException() {
        int iterations = Fuzz.iterations();
        long base = Fuzz.baseSeed();
        long decoded = 0;
        long refused = 0;
        long t0 = System.nanoTime();
        for (long i = 0; i < iterations; i++) {
            long seed = Fuzz.seed(base, i);
            Random rnd = new Random(seed);
            byte[] input;
            if (rnd.nextInt(10) == 0) {
                input = new byte[rnd.nextInt(64)];
                rnd.nextBytes(input);
            } else {
                byte[] valid = dicts.encode(randomDict(rnd, 1 + rnd.nextInt(6)));
                input = rnd.nextInt(10) == 0 ? valid : Fuzz.mutate(valid, rnd);
            }
            String about = "iteration " + i + " seed " + seed + " (run -Dfuzz.seed=" + base + "), input "
                    + ByteBufUtil.hexDump(input, 0, Math.min(input.length, 96));
            long before = Fuzz.allocatedBytes();
            Map<String, Object> d;
            try {
                d = dicts.decode(input);
            } catch (DictFormatException bad) {
                refused++;
                assertThat(bad.offset()).as(about).isBetween(0, input.length);
                continue;
            } catch (Throwable other) {
                throw new AssertionError("DictCodec.decode threw " + other + " for " + about, other);
            } finally {
                allocationBounded(before, input.length, about);
            }
            decoded++;
            // What was decoded encodes to bytes that decode and encode to the same bytes.
            byte[] once;
            try {
                once = dicts.encode(d);
            } catch (RuntimeException e) {
                throw new AssertionError("a decoded dict does not encode: " + e + " for " + about, e);
            }
            assertThat(dicts.encode(dicts.decode(once))).as(about).isEqualTo(once);
        }
        System.out.printf("FUZZ DictCodec: %d iterations in %d ms (%d dicts decoded, %d refused), seed %d%n",
                iterations, (System.nanoTime() - t0) / 1_000_000, decoded, refused, base);
    }

    @Test
    void dataPackDecodesAFrameOrNullOrThrowsFrameException() {
        int iterations = Fuzz.iterations();
        long base = Fuzz.baseSeed();
        // Integer.MAX_VALUE too: near it DataPack.decode's frame length overflowed an int (fixed;
        // HubHostileTest.aDataSizeNear2GiBUnderAHugeMaxPacketSizeWaitsForItsBytes).
        int[] maxes = {0, 6, 4096, 65536, Integer.MAX_VALUE};
        long messages = 0;
        long refused = 0;
        long unserialized = 0;
        long t0 = System.nanoTime();
        for (long i = 0; i < iterations; i++) {
            long seed = Fuzz.seed(base, i);
            Random rnd = new Random(seed);
            byte[] input;
            if (rnd.nextInt(10) == 0) {
                input = new byte[rnd.nextInt(64)];
                rnd.nextBytes(input);
            } else {
                java.io.ByteArrayOutputStream s = new java.io.ByteArrayOutputStream();
                int n = 1 + rnd.nextInt(3);
                for (int k = 0; k < n; k++) s.writeBytes(pack.serialize(randomDict(rnd, 1 + rnd.nextInt(4))));
                input = rnd.nextInt(10) == 0 ? s.toByteArray() : Fuzz.mutate(s.toByteArray(), rnd);
            }
            int max = maxes[rnd.nextInt(maxes.length)];
            String about = "iteration " + i + " seed " + seed + " (run -Dfuzz.seed=" + base + "), maxPacketSize " + max
                    + ", input " + ByteBufUtil.hexDump(input, 0, Math.min(input.length, 96));
            // The codec, as a link reads it.
            int skip = rnd.nextInt(4) == 0 ? rnd.nextInt(8) : 0;
            ByteBuf in = rnd.nextBoolean() ? Unpooled.buffer(skip + input.length) : PooledByteBufAllocator.DEFAULT.directBuffer(skip + input.length);
            try {
                in.writeZero(skip).writeBytes(input).readerIndex(skip);
                for (;;) {
                    int before = in.readerIndex();
                    int readable = in.readableBytes();
                    long allocated = Fuzz.allocatedBytes();
                    Message m;
                    try {
                        m = pack.decode(in, max);
                    } catch (FrameException bad) {
                        refused++;
                        assertThat(in.readerIndex()).as(about).isEqualTo(before);
                        break;
                    } catch (Throwable other) {
                        throw new AssertionError("DataPack.decode threw " + other + " for " + about, other);
                    }
                    if (allocated >= 0) {
                        assertThat(Fuzz.allocatedBytes() - allocated).as(about).isLessThanOrEqualTo(64 * 1024 + 2L * readable);
                    }
                    if (m == null) {
                        assertThat(in.readerIndex()).as(about).isEqualTo(before);
                        break;
                    }
                    messages++;
                    int consumed = in.readerIndex() - before;
                    assertThat(consumed).as(about).isGreaterThanOrEqualTo(DataPack.OVERHEAD).isLessThanOrEqualTo(readable);
                    assertThat(m.length()).as(about).isLessThanOrEqualTo(max).isLessThanOrEqualTo(consumed - DataPack.OVERHEAD);
                    assertThat(m.id()).as(about).isBetween(0, 0xFFFF);
                }
            } finally {
                in.release();
            }
            // The whole input as one frame, as the seed's Unserialize takes it.
            try {
                pack.unserialize(input);
                unserialized++;
            } catch (DictFormatException bad) {
                // documented
            } catch (Throwable other) {
                throw new AssertionError("DataPack.unserialize threw " + other + " for " + about, other);
            }
        }
        System.out.printf("FUZZ DataPack: %d iterations in %d ms (%d frames decoded, %d refused, %d whole inputs unserialized),"
                + " seed %d%n", iterations, (System.nanoTime() - t0) / 1_000_000, messages, refused, unserialized, base);
        assertThat(Arrays.asList(messages, unserialized)).allMatch(n -> iterations < 1000 || n > 0);
    }
}
