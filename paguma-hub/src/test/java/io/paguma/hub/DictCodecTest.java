package io.paguma.hub;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.cbor.databind.CBORMapper;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;

class DictCodecTest {

    private static final DictCodec CODEC = new DictCodec();
    private static final CBORMapper JACKSON = new CBORMapper();

    // ---- helpers -------------------------------------------------------------------------------

    private static byte[] hex(String hex) {
        return HexFormat.of().parseHex(hex.replace(" ", ""));
    }

    private static Map<String, Object> dict(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) m.put((String) kv[i], kv[i + 1]);
        return m;
    }

    /** Encodes {@code d} both ways, checks size and offset writing, decodes and checks an exact round trip. */
    private static byte[] roundTrip(DictCodec codec, Map<String, ?> d) {
        byte[] bytes = codec.encode(d);
        assertThat(codec.size(d)).isEqualTo(bytes.length);
        byte[] out = new byte[bytes.length + 7];
        assertThat(codec.encode(d, out, 3)).isEqualTo(3 + bytes.length);
        assertThat(Arrays.copyOfRange(out, 3, 3 + bytes.length)).isEqualTo(bytes);
        assertExact(d, codec.decode(bytes), "");
        assertExact(d, codec.decode(out, 3, bytes.length), "");
        return bytes;
    }

    private static byte[] roundTrip(Map<String, ?> d) {
        return roundTrip(CODEC, d);
    }

    /** Equal values of the same classes, Short and Byte expected back as Integer, maps in the same order. */
    private static void assertExact(Object expected, Object actual, String path) {
        if (expected == null) {
            assertThat(actual).as(path).isNull();
        } else if (expected instanceof byte[] b) {
            assertThat(actual).as(path).isInstanceOf(byte[].class);
            assertThat((byte[]) actual).as(path).containsExactly(b);
        } else if (expected instanceof Map<?, ?> m) {
            assertThat(actual).as(path).isInstanceOf(LinkedHashMap.class);
            Map<?, ?> a = (Map<?, ?>) actual;
            assertThat(new ArrayList<Object>(a.keySet())).as(path).isEqualTo(new ArrayList<Object>(m.keySet()));
            for (Map.Entry<?, ?> e : m.entrySet()) assertExact(e.getValue(), a.get(e.getKey()), path + "." + e.getKey());
        } else if (expected instanceof List<?> l) {
            assertThat(actual).as(path).isInstanceOf(ArrayList.class);
            List<?> a = (List<?>) actual;
            assertThat(a).as(path).hasSameSizeAs(l);
            for (int i = 0; i < l.size(); i++) assertExact(l.get(i), a.get(i), path + "[" + i + "]");
        } else if (expected instanceof Short || expected instanceof Byte) {
            assertThat(actual).as(path).isEqualTo(((Number) expected).intValue());
        } else {
            assertThat(actual).as(path).isInstanceOf(expected.getClass()).isEqualTo(expected);
        }
    }

    /** Values as Jackson or any CBOR peer sees them: integers as Long, byte arrays by content. */
    private static Object loose(Object v) {
        if (v instanceof Integer || v instanceof Long || v instanceof Short || v instanceof Byte) return ((Number) v).longValue();
        if (v instanceof byte[] b) return ByteBuffer.wrap(b);
        if (v instanceof Map<?, ?> m) {
            List<Object> kv = new ArrayList<>(); // keeps the order
            m.forEach((k, x) -> {
                kv.add(k);
                kv.add(loose(x));
            });
            return kv;
        }
        if (v instanceof List<?> l) {
            List<Object> out = new ArrayList<>();
            for (Object x : l) out.add(loose(x));
            return out;
        }
        return v;
    }

    /** True if Jackson's tree {@code n} holds the value {@code v}. */
    private static void assertJacksonEquals(Object v, JsonNode n, String path) throws IOException {
        if (v == null) {
            assertThat(n.isNull()).as(path + " null: " + n).isTrue();
        } else if (v instanceof String s) {
            assertThat(n.isTextual()).as(path).isTrue();
            assertThat(n.textValue()).as(path).isEqualTo(s);
        } else if (v instanceof Integer || v instanceof Long || v instanceof Short || v instanceof Byte) {
            assertThat(n.isIntegralNumber()).as(path + ": " + n.getNodeType()).isTrue();
            assertThat(n.bigIntegerValue()).as(path).isEqualTo(BigInteger.valueOf(((Number) v).longValue()));
        } else if (v instanceof Float f) {
            assertThat(n.isFloatingPointNumber()).as(path).isTrue();
            assertThat((Float) n.floatValue()).as(path).isEqualTo(f);
        } else if (v instanceof Double d) {
            assertThat(n.isDouble()).as(path).isTrue();
            assertThat((Double) n.doubleValue()).as(path).isEqualTo(d);
        } else if (v instanceof Boolean b) {
            assertThat(n.isBoolean()).as(path).isTrue();
            assertThat(n.booleanValue()).as(path).isEqualTo(b);
        } else if (v instanceof byte[] b) {
            assertThat(n.isBinary()).as(path).isTrue();
            assertThat(n.binaryValue()).as(path).containsExactly(b);
        } else if (v instanceof List<?> l) {
            assertThat(n.isArray()).as(path).isTrue();
            assertThat(n.size()).as(path).isEqualTo(l.size());
            for (int i = 0; i < l.size(); i++) assertJacksonEquals(l.get(i), n.get(i), path + "[" + i + "]");
        } else if (v instanceof Map<?, ?> m) {
            assertThat(n.isObject()).as(path).isTrue();
            List<String> names = new ArrayList<>();
            n.fieldNames().forEachRemaining(names::add);
            assertThat(names).as(path).containsExactlyElementsOf(m.keySet().stream().map(k -> (String) k).toList());
            for (Map.Entry<?, ?> e : m.entrySet()) assertJacksonEquals(e.getValue(), n.get((String) e.getKey()), path + "." + e.getKey());
        } else {
            fail("unexpected " + v.getClass());
        }
    }

    private static Map<String, Object> allTypes() {
        Map<String, Object> d = dict(
                "s", "hello", "empty", "", "umlaut", "Grüße, 日本", "emoji", "a\uD83D\uDE00b", "long text", "x".repeat(300),
                "i0", 0, "i-1", -1, "i23", 23, "i24", 24, "i-24", -24, "i-25", -25, "i255", 255, "i256", 256,
                "i65535", 65535, "i65536", 65536, "imin", Integer.MIN_VALUE, "imax", Integer.MAX_VALUE,
                "l5", 5L, "l0", 0L, "l-1", -1L, "lmin", Long.MIN_VALUE, "lmax", Long.MAX_VALUE, "l2^32", 1L << 32,
                "short", (short) -300, "byte", (byte) 7,
                "f", 1.5f, "fnan", Float.NaN, "f+inf", Float.POSITIVE_INFINITY, "f-inf", Float.NEGATIVE_INFINITY,
                "f-0", -0.0f, "fmin", Float.MIN_VALUE,
                "d", 3.141592653589793, "dnan", Double.NaN, "d+inf", Double.POSITIVE_INFINITY,
                "d-inf", Double.NEGATIVE_INFINITY, "d-0", -0.0, "dmax", Double.MAX_VALUE,
                "t", true, "false", false, "null", null,
                "bytes", new byte[] {1, 2, (byte) 0xff}, "no bytes", new byte[0], "big bytes", new byte[70000],
                "list", Arrays.asList(1, "two", null, 3L, List.of(), new byte[] {4}),
                "empty list", List.of(), "empty map", Map.of(),
                "nested", dict("a", dict("b", List.of(dict("c", 1.25)))));
        return d;
    }

    // ---- round trips ---------------------------------------------------------------------------

    @Test
    void everyTypeRoundTripsExactly() {
        roundTrip(allTypes());
        // HashMap and LinkedHashMap have loops of their own in the encoder, other maps the generic one
        roundTrip(new java.util.HashMap<>(allTypes()));
        roundTrip(new java.util.TreeMap<>(allTypes()));
        roundTrip(dict("h", new java.util.HashMap<>(dict("a", 1, "b", List.of(2))), "t", new java.util.TreeMap<>(dict("z", 1, "y", 2))));
        roundTrip(dict());
        roundTrip(dict("k", null));
    }

    @Test
    void knownEncodings() {
        assertThat(CODEC.encode(dict())).containsExactly(0xa0);
        assertThat(CODEC.encode(dict("a", 1))).isEqualTo(hex("a1 6161 01"));
        assertThat(CODEC.encode(dict("a", -1))).isEqualTo(hex("a1 6161 20"));
        assertThat(CODEC.encode(dict("a", 24))).isEqualTo(hex("a1 6161 1818"));
        assertThat(CODEC.encode(dict("a", 256))).isEqualTo(hex("a1 6161 190100"));
        assertThat(CODEC.encode(dict("a", 65536))).isEqualTo(hex("a1 6161 1a00010000"));
        assertThat(CODEC.encode(dict("a", Integer.MIN_VALUE))).isEqualTo(hex("a1 6161 3a7fffffff"));
        assertThat(CODEC.encode(dict("a", 5L))).isEqualTo(hex("a1 6161 1b0000000000000005"));
        assertThat(CODEC.encode(dict("a", -5L))).isEqualTo(hex("a1 6161 3b0000000000000004"));
        assertThat(CODEC.encode(dict("a", 1.5f))).isEqualTo(hex("a1 6161 fa3fc00000"));
        assertThat(CODEC.encode(dict("a", 1.5))).isEqualTo(hex("a1 6161 fb3ff8000000000000"));
        assertThat(CODEC.encode(dict("a", true, "b", false, "c", null)))
                .isEqualTo(hex("a3 6161 f5 6162 f4 6163 f6"));
        assertThat(CODEC.encode(dict("a", new byte[] {1, 2}, "b", List.of(1))))
                .isEqualTo(hex("a2 6161 420102 6162 8101"));
        assertThat(CODEC.encode(dict("€", "ü"))).isEqualTo(hex("a1 63e282ac 62c3bc"));
    }

    @Test
    void loneSurrogatesAreWrittenAsQuestionMarksLikeGetBytes() {
        for (String s : List.of("\uD800", "a\uDC00b", "\uD83D", "x\uD83Dy", "\uDE00\uD83D", "\uD83D\uD83D\uDE00")) {
            byte[] bytes = roundTripText(s);
            assertThat(CODEC.decode(bytes).get("s")).isEqualTo(new String(s.getBytes(StandardCharsets.UTF_8), StandardCharsets.UTF_8));
            assertThat(bytes).endsWith(s.getBytes(StandardCharsets.UTF_8));
        }
    }

    private static byte[] roundTripText(String s) {
        Map<String, Object> d = dict("s", s);
        byte[] bytes = CODEC.encode(d);
        assertThat(CODEC.size(d)).isEqualTo(bytes.length);
        return bytes;
    }

    @Test
    void integerWidthsDecodeAsIntegerOrLong() {
        assertThat(CODEC.decode(hex("a1 6161 1a7fffffff")).get("a")).isEqualTo(Integer.MAX_VALUE);
        assertThat(CODEC.decode(hex("a1 6161 1affffffff")).get("a")).isEqualTo(4294967295L);
        assertThat(CODEC.decode(hex("a1 6161 3a7fffffff")).get("a")).isEqualTo(Integer.MIN_VALUE);
        assertThat(CODEC.decode(hex("a1 6161 3a80000000")).get("a")).isEqualTo(-2147483649L);
        assertThat(CODEC.decode(hex("a1 6161 1b0000000000000000")).get("a")).isEqualTo(0L);
        assertThat(CODEC.decode(hex("a1 6161 1b7fffffffffffffff")).get("a")).isEqualTo(Long.MAX_VALUE);
        assertThat(CODEC.decode(hex("a1 6161 3b7fffffffffffffff")).get("a")).isEqualTo(Long.MIN_VALUE);
        assertThat(CODEC.decode(hex("a1 6161 1800")).get("a")).isEqualTo(0); // not the shortest form: accepted
        assertThatThrownBy(() -> CODEC.decode(hex("a1 6161 1b8000000000000000")))
                .isInstanceOf(DictFormatException.class).hasMessage("integer out of range at byte offset 3");
        assertThatThrownBy(() -> CODEC.decode(hex("a1 6161 3b8000000000000000")))
                .isInstanceOf(DictFormatException.class).hasMessageContaining("integer out of range");
    }

    @Test
    void halfFloatsDecodeAsFloat() {
        Object[][] cases = {
                {"f93c00", 1.0f}, {"f93e00", 1.5f}, {"f9c400", -4.0f}, {"f90000", 0.0f}, {"f98000", -0.0f},
                {"f97bff", 65504.0f}, {"f90001", 0x1p-24f}, {"f903ff", 1023 * 0x1p-24f}, {"f98001", -0x1p-24f},
                {"f97c00", Float.POSITIVE_INFINITY}, {"f9fc00", Float.NEGATIVE_INFINITY}, {"f97e00", Float.NaN},
        };
        for (Object[] c : cases) {
            assertThat(CODEC.decode(hex("a1 6161 " + c[0])).get("a")).as((String) c[0]).isEqualTo(c[1]);
        }
    }

    @Test
    void nestingUpToMaxDepthWorksAndOneMoreFailsBothWays() {
        for (int maxDepth : new int[] {1, 2, 5, DictCodec.DEFAULT_MAX_DEPTH}) {
            DictCodec codec = new DictCodec(maxDepth);
            assertThat(codec.maxDepth()).isEqualTo(maxDepth);
            roundTrip(codec, nested(maxDepth));
            assertThatThrownBy(() -> codec.encode(nested(maxDepth + 1))).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("nested deeper than " + maxDepth);
            assertThatThrownBy(() -> codec.size(nested(maxDepth + 1))).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("nested deeper than " + maxDepth);
            assertThatThrownBy(() -> codec.encode(nested(maxDepth + 1), new byte[10_000], 0))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("nested deeper than " + maxDepth);
            // By hand: a map, then alternately a list of one and a map {"k": ...}, down to depth + 1.
            byte[] ok = nestedBytes(maxDepth);
            assertThat(codec.decode(ok)).isEqualTo(nested(maxDepth));
            assertThat(ok).isEqualTo(codec.encode(nested(maxDepth)));
            byte[] deep = nestedBytes(maxDepth + 1);
            assertThatThrownBy(() -> codec.decode(deep)).isInstanceOf(DictFormatException.class)
                    .hasMessageContaining("nested deeper than " + maxDepth);
        }
        assertThat(new DictCodec().maxDepth()).isEqualTo(32);
        assertThat(new DictCodec(256).maxDepth()).isEqualTo(256);
        assertThatThrownBy(() -> new DictCodec(0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new DictCodec(257)).isInstanceOf(IllegalArgumentException.class);
    }

    /** A dict {@code depth} deep: maps {"k": [ {"k": [ ... ]} ]}, the innermost holding 1. */
    private static Map<String, Object> nested(int depth) {
        Object v = 1;
        for (int d = depth; d > 1; d--) v = d % 2 == 0 ? List.of(v) : dict("k", v);
        return dict("k", v);
    }

    private static byte[] nestedBytes(int depth) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.writeBytes(hex("a1 616b"));
        for (int d = 2; d <= depth; d++) b.writeBytes(d % 2 == 0 ? hex("81") : hex("a1 616b"));
        b.write(1);
        return b.toByteArray();
    }

    // ---- interop with Jackson ------------------------------------------------------------------

    @Test
    void jacksonReadsWhatWeWrite() throws IOException {
        Map<String, Object> d = allTypes();
        assertJacksonEquals(d, JACKSON.readTree(CODEC.encode(d)), "");
    }

    @Test
    void weReadWhatJacksonWrites() throws IOException {
        Map<String, Object> d = allTypes();
        byte[] bytes = JACKSON.writeValueAsBytes(d);
        assertThat(loose(CODEC.decode(bytes))).isEqualTo(loose(d));
        // Jackson's streaming generator writes indefinite-length maps and arrays.
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (var g = JACKSON.getFactory().createGenerator(out)) {
            g.writeStartObject();
            g.writeFieldName("list");
            g.writeStartArray();
            g.writeNumber(1);
            g.writeString("x");
            g.writeEndArray();
            g.writeFieldName("map");
            g.writeStartObject();
            g.writeNumberField("n", -7L);
            g.writeEndObject();
            g.writeEndObject();
        }
        byte[] indefinite = out.toByteArray();
        assertThat(indefinite[0]).isEqualTo((byte) 0xbf);
        assertThat(CODEC.decode(indefinite)).isEqualTo(dict("list", List.of(1, "x"), "map", dict("n", -7)));
    }

    @Test
    void indefiniteLengthsAreAccepted() {
        // {_ "a": [_ 1, 2], "b": (_ "he", "llo"), "c": (_ h'01', h'0203'), "d": {_ }, "e": (_ )}
        byte[] b = hex("bf 6161 9f 01 02 ff 6162 7f 626865 636c6c6f ff 6163 5f 4101 420203 ff 6164 bf ff 6165 7f ff ff");
        Map<String, Object> d = CODEC.decode(b);
        assertThat(d.keySet()).containsExactly("a", "b", "c", "d", "e");
        assertThat(d.get("a")).isEqualTo(List.of(1, 2));
        assertThat(d.get("b")).isEqualTo("hello");
        assertThat((byte[]) d.get("c")).containsExactly(1, 2, 3);
        assertThat(d.get("d")).isEqualTo(Map.of());
        assertThat(d.get("e")).isEqualTo("");
        // an indefinite key
        assertThat(CODEC.decode(hex("a1 7f 6161 6162 ff 01"))).isEqualTo(dict("ab", 1));
        // chunks of another type, nested indefinite chunks, a break where none belongs
        assertFormatError("a1 6161 7f 4101 ff", "a byte string in an indefinite-length text string");
        assertFormatError("a1 6161 7f 7f ff ff", "a text string in an indefinite-length text string");
        assertFormatError("a1 6161 ff", "break outside");
        assertFormatError("a1 6161 81 ff", "break outside");
        assertFormatError("a1 ff 01", "a break as a map key");
        assertFormatError("bf 6161 01", "truncated");
        assertFormatError("a1 6161 9f 01", "truncated");
        assertFormatError("a1 6161 7f 6161", "truncated");
    }

    @Test
    void randomDictsRoundTripAndJacksonAgrees() throws IOException {
        long seed = System.nanoTime();
        Random random = new Random(seed);
        for (int i = 0; i < 2000; i++) {
            Map<String, Object> d = randomDict(random, 1 + random.nextInt(4));
            try {
                byte[] bytes = roundTrip(d);
                assertJacksonEquals(d, JACKSON.readTree(bytes), "");
                assertThat(loose(CODEC.decode(JACKSON.writeValueAsBytes(d)))).isEqualTo(loose(d));
            } catch (AssertionError | RuntimeException e) {
                throw new AssertionError("seed " + seed + ", dict " + i + ": " + e.getMessage(), e);
            }
        }
    }

    private static Map<String, Object> randomDict(Random r, int depth) {
        Map<String, Object> m = new LinkedHashMap<>();
        int n = r.nextInt(8);
        for (int i = 0; i < n; i++) m.put(randomString(r), randomValue(r, depth - 1));
        return m;
    }

    private static Object randomValue(Random r, int depth) {
        int kind = r.nextInt(depth > 0 ? 14 : 12);
        return switch (kind) {
            case 0 -> randomString(r);
            case 1 -> r.nextInt();
            case 2 -> r.nextInt(100) - 50;
            case 3 -> r.nextLong();
            case 4 -> (long) r.nextInt(1000);
            case 5 -> r.nextFloat() * 1000 - 500;
            case 6 -> r.nextBoolean() ? Double.longBitsToDouble(r.nextLong()) : r.nextGaussian();
            case 7 -> r.nextBoolean();
            case 8 -> null;
            case 9 -> {
                byte[] b = new byte[r.nextInt(40)];
                r.nextBytes(b);
                yield b;
            }
            case 10 -> (short) r.nextInt();
            case 11 -> (byte) r.nextInt();
            case 12 -> randomDict(r, depth);
            default -> {
                List<Object> l = new ArrayList<>();
                int n = r.nextInt(6);
                for (int i = 0; i < n; i++) l.add(randomValue(r, depth - 1));
                yield l;
            }
        };
    }

    private static String randomString(Random r) {
        StringBuilder sb = new StringBuilder();
        int n = r.nextInt(r.nextInt(10) == 0 ? 300 : 12);
        for (int i = 0; i < n; i++) {
            switch (r.nextInt(4)) {
                case 0 -> sb.append((char) ('a' + r.nextInt(26)));
                case 1 -> sb.append((char) (0x80 + r.nextInt(0x780)));
                case 2 -> sb.append((char) (0x800 + r.nextInt(0xD000 - 0x800)));
                default -> sb.appendCodePoint(0x10000 + r.nextInt(0x100000));
            }
        }
        String s = sb.toString();
        return s;
    }

    // ---- hostile input -------------------------------------------------------------------------

    private static void assertFormatError(String hex, String message) {
        assertThatThrownBy(() -> CODEC.decode(hex(hex))).as(hex)
                .isInstanceOf(DictFormatException.class).hasMessageContaining(message);
    }

    @Test
    void randomGarbageOnlyFailsWithDictFormatException() {
        long seed = System.nanoTime();
        Random random = new Random(seed);
        byte[] valid = CODEC.encode(allTypes());
        for (int i = 0; i < 50_000; i++) {
            byte[] b;
            if (i % 2 == 0) {
                b = new byte[random.nextInt(64)];
                random.nextBytes(b);
                if (b.length > 0 && random.nextBoolean()) b[0] = (byte) (0xa0 + random.nextInt(32)); // a map head
            } else {
                b = valid.clone(); // a valid dict with a few bytes changed
                for (int k = random.nextInt(4); k >= 0; k--) b[random.nextInt(b.length)] = (byte) random.nextInt();
            }
            try {
                assertThat(CODEC.decode(b)).isNotNull();
            } catch (DictFormatException expected) {
                assertThat(expected.offset()).isBetween(0, b.length);
            } catch (Throwable t) {
                throw new AssertionError("seed " + seed + ", input " + i + " " + HexFormat.of().formatHex(b) + ": " + t, t);
            }
        }
    }

    @Test
    void everyTruncationFailsCleanly() {
        byte[] valid = CODEC.encode(allTypes());
        for (int n = 0; n < valid.length; n++) {
            int len = n;
            assertThatThrownBy(() -> CODEC.decode(valid, 0, len)).as("length " + n).isInstanceOf(DictFormatException.class);
        }
        byte[] indefinite = hex("bf 6161 9f 01 02 ff 6162 7f 626865 636c6c6f ff 6163 5f 4101 420203 ff ff");
        for (int n = 0; n < indefinite.length; n++) {
            int len = n;
            assertThatThrownBy(() -> CODEC.decode(indefinite, 0, len)).as("length " + n).isInstanceOf(DictFormatException.class);
        }
        assertFormatError("", "no data");
    }

    @Test
    void hugeAnnouncedLengthsFailAtOnce() {
        String[] heads = {"9a7fffffff", "9bffffffffffffffff", "ba7fffffff", "bbffffffffffffffff",
                "7a7fffffff", "7bffffffffffffffff", "5a7fffffff", "5bffffffffffffffff", "7b7fffffffffffffff"};
        for (String head : heads) {
            assertFormatError("a1 6161 " + head + " 00 00 00", "bytes left");
        }
        assertFormatError("ba7fffffff 6161 01", "map of 2147483647 entries longer than the 3 bytes left at byte offset 0");
        assertFormatError("bbffffffffffffffff", "map of 18446744073709551615 entries");
        assertFormatError("a1 6161 9a00000002 01", "array of 2 elements longer than the 1 bytes left at byte offset 3");
        assertFormatError("a2 6161 01", "map of 2 entries"); // two entries need at least 4 bytes
        assertFormatError("a1 6161 63 6162", "text string of 3 bytes longer than the 2 bytes left");
        assertFormatError("a1 6161 7f 7a7fffffff ff", "text string of 2147483647 bytes");
        assertFormatError("a1 6161 5f 5bffffffffffffffff ff", "byte string of 18446744073709551615 bytes");
    }

    @Test
    void deepNestingFailsWithoutStackOverflow() {
        byte[] b = new byte[4 + 100_000 + 1];
        b[0] = (byte) 0xa1;
        b[1] = 0x61;
        b[2] = 'a';
        Arrays.fill(b, 3, 3 + 100_000, (byte) 0x81);
        b[b.length - 1] = 1;
        assertThatThrownBy(() -> CODEC.decode(b)).isInstanceOf(DictFormatException.class)
                .hasMessage("dict nested deeper than 32 at byte offset 34");
        byte[] indefinite = b.clone();
        Arrays.fill(indefinite, 3, 3 + 100_000, (byte) 0x9f);
        assertThatThrownBy(() -> CODEC.decode(indefinite)).isInstanceOf(DictFormatException.class)
                .hasMessageContaining("nested deeper than 32");
        byte[] arrays = Arrays.copyOfRange(b, 3, b.length);
        assertThatThrownBy(() -> CODEC.decode(arrays)).isInstanceOf(DictFormatException.class)
                .hasMessage("an array at the top level, expected a map at byte offset 0");
        assertThatThrownBy(() -> new DictCodec(256).decode(b)).isInstanceOf(DictFormatException.class)
                .hasMessageContaining("nested deeper than 256");
    }

    @Test
    void unsupportedItemsFail() {
        assertFormatError("a1 6161 c1 01", "tag (major type 6) not supported at byte offset 3");
        assertFormatError("a1 6161 d8 20 6161", "tag");
        assertFormatError("c1 a0", "a tag at the top level");
        assertFormatError("a1 6161 f7", "undefined not supported at byte offset 3");
        assertFormatError("a1 6161 f0", "simple value 16 not supported");
        assertFormatError("a1 6161 f8 ff", "a simple value not supported");
        assertFormatError("a1 6161 fc", "reserved additional information 28");
        assertFormatError("a1 6161 1c", "reserved additional information 28 at byte offset 3");
        assertFormatError("a1 6161 3d", "reserved additional information 29");
        assertFormatError("a1 6161 5e", "reserved additional information 30");
        assertFormatError("a1 6161 9c", "reserved additional information 28");
        assertFormatError("bd", "reserved additional information 29");
        assertFormatError("a1 6161 1f", "indefinite length in an integer");
        assertFormatError("a1 6161 3f", "indefinite length in an integer");
    }

    @Test
    void keysMustBeUniqueTextStrings() {
        assertFormatError("a2 6161 01 6161 02", "duplicate key \"a\" at byte offset 4");
        assertFormatError("a2 6161 f6 6161 f6", "duplicate key \"a\"");
        assertFormatError("a1 6161 bf 6162 01 7f 6162 ff 02 ff", "duplicate key \"b\" at byte offset 7");
        assertFormatError("a1 01 02", "an integer as a map key, expected a text string at byte offset 1");
        assertFormatError("a1 4161 02", "a byte string as a map key");
        assertFormatError("a1 f6 02", "null as a map key");
        assertFormatError("a1 6161 a1 a0 01", "a map as a map key, expected a text string at byte offset 4");
    }

    @Test
    void topLevelMustBeOneMap() {
        assertFormatError("81 01", "an array at the top level, expected a map at byte offset 0");
        assertFormatError("01", "an integer at the top level");
        assertFormatError("6161", "a text string at the top level");
        assertFormatError("f6", "null at the top level");
        assertFormatError("a0 00", "1 bytes after the map at byte offset 1");
        assertFormatError("a1 6161 01 a0", "1 bytes after the map at byte offset 4");
        // offsets count from the start of the dict
        byte[] b = hex("ffff a1 6161 f7 ffff");
        assertThatThrownBy(() -> CODEC.decode(b, 2, 5)).isInstanceOf(DictFormatException.class)
                .hasMessage("undefined not supported at byte offset 3")
                .satisfies(e -> assertThat(((DictFormatException) e).offset()).isEqualTo(3));
        assertThat(CODEC.decode(hex("ffff a1 6161 01 ffff"), 2, 4)).isEqualTo(dict("a", 1));
    }

    @Test
    void invalidUtf8Fails() {
        String[] bad = {"c0 80", "c1 bf", "80", "bf", "e0 80 80", "e0 9f bf", "ed a0 80", "ed bf bf", "f0 80 80 80",
                "f0 8f bf bf", "f4 90 80 80", "f5 80 80 80", "ff", "c3", "e2 82", "f0 9f 98", "c3 28", "e2 28 ac", "e2 82 28",
                "f0 28 98 80", "f0 9f 28 80", "f0 9f 98 28"};
        for (String s : bad) {
            byte[] text = hex(s);
            String value = String.format("%02x", 0x60 + text.length) + s;
            assertFormatError("a1 6161 " + value, "malformed UTF-8");
            assertFormatError("a1 " + value + " 01", "malformed UTF-8");
            assertFormatError("a1 6161 7f " + value + " ff", "malformed UTF-8");
        }
        // a character split across chunks of an indefinite-length text string
        assertFormatError("a1 6161 7f 61c3 61bc ff", "malformed UTF-8 at byte offset 5");
        // the edges of the valid ranges
        String[] good = {"7f", "c2 80", "df bf", "e0 a0 80", "ed 9f bf", "ee 80 80", "ef bf bf", "f0 90 80 80",
                "f4 8f bf bf", "f3 bf bf bf"};
        for (String s : good) {
            byte[] text = hex(s);
            byte[] d = hex("a1 6161 " + String.format("%02x", 0x60 + text.length) + s);
            assertThat(((String) CODEC.decode(d).get("a")).getBytes(StandardCharsets.UTF_8)).as(s).isEqualTo(text);
        }
    }

    // ---- encode errors -------------------------------------------------------------------------

    @Test
    void unsupportedValuesNameTheirPath() {
        Map<String, Object> d = dict("a", dict("b", Arrays.asList(0, 1, BigInteger.ONE)));
        assertThatThrownBy(() -> CODEC.encode(d)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("dict key \"a.b[2]\": unsupported type java.math.BigInteger");
        assertThatThrownBy(() -> CODEC.size(d)).hasMessage("dict key \"a.b[2]\": unsupported type java.math.BigInteger");
        assertThatThrownBy(() -> CODEC.encode(d, new byte[100], 0))
                .hasMessage("dict key \"a.b[2]\": unsupported type java.math.BigInteger");
        Object[] unsupported = {'c', BigInteger.TEN, Set.of(1), new Object[] {1}, TimeUnit.SECONDS, new int[] {1},
                new java.math.BigDecimal("1.5"), new Object()};
        for (Object v : unsupported) {
            assertThatThrownBy(() -> CODEC.encode(dict("x", v))).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("dict key \"x\": unsupported type " + v.getClass().getTypeName());
        }
        assertThatThrownBy(() -> CODEC.encode(dict("l", List.of(List.of(1, 'c')))))
                .hasMessage("dict key \"l[0][1]\": unsupported type java.lang.Character");
        LinkedList<Object> linked = new LinkedList<>(List.of(1, 2, 3L));
        roundTrip(dict("linked", linked));
        linked.add(Set.of());
        assertThatThrownBy(() -> CODEC.encode(dict("linked", linked)))
                .hasMessageStartingWith("dict key \"linked[3]\": unsupported type");
    }

    @Test
    void keysMustBeStrings() {
        Map<Object, Object> intKey = new LinkedHashMap<>();
        intKey.put(5, "x");
        assertThatThrownBy(() -> CODEC.encode(dict("a", intKey))).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("dict key \"a\": key 5 of type java.lang.Integer is not a String");
        Map<String, Object> nullKey = new LinkedHashMap<>();
        nullKey.put(null, 1);
        assertThatThrownBy(() -> CODEC.encode(nullKey)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("dict: null key");
        assertThatThrownBy(() -> CODEC.size(dict("a", List.of(nullKey)))).hasMessage("dict key \"a[0]\": null key");
    }

    @Test
    void aMapThatContainsItselfFailsWithTheDepthMessage() {
        Map<String, Object> cycle = new LinkedHashMap<>();
        cycle.put("self", cycle);
        assertThatThrownBy(() -> CODEC.encode(cycle)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("dict key \"" + String.join(".", java.util.Collections.nCopies(32, "self"))
                        + "\": nested deeper than 32");
        List<Object> list = new ArrayList<>();
        list.add(list);
        assertThatThrownBy(() -> CODEC.encode(dict("l", list))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageEndingWith("[0][0]\": nested deeper than 32");
        assertThatThrownBy(() -> new DictCodec(256).encode(cycle, new byte[100_000], 0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageEndingWith("nested deeper than 256");
    }

    @Test
    void encodeAtAnOffsetNeedsRoom() {
        Map<String, Object> d = dict("a", "hello");
        int size = CODEC.size(d);
        assertThatThrownBy(() -> CODEC.encode(d, new byte[size], 1)).isInstanceOf(IndexOutOfBoundsException.class);
        assertThatThrownBy(() -> CODEC.encode(d, new byte[size], size + 1)).isInstanceOf(IndexOutOfBoundsException.class);
        assertThat(CODEC.encode(dict(), new byte[1], 0)).isEqualTo(1);
    }

    @Test
    void iteratorOfDecodedMapKeepsWireOrder() {
        Map<String, Object> d = CODEC.decode(hex("a3 617a 01 6161 02 616d 03"));
        Iterator<String> keys = d.keySet().iterator();
        assertThat(keys.next()).isEqualTo("z");
        assertThat(keys.next()).isEqualTo("a");
        assertThat(keys.next()).isEqualTo("m");
    }

    /** An encode re-entered on the same thread (a map whose getter encodes) does not overwrite the outer one. */
    @Test
    void anEncodeReenteredOnTheSameThreadLeavesTheOuterOneIntact() {
        DictCodec codec = new DictCodec();
        Map<String, Object> inner = new java.util.LinkedHashMap<>();
        inner.put("inner", "x".repeat(40));
        java.util.concurrent.atomic.AtomicReference<byte[]> innerBytes = new java.util.concurrent.atomic.AtomicReference<>();
        Map<String, Object> outer = new java.util.AbstractMap<>() {
            @Override
            public java.util.Set<Entry<String, Object>> entrySet() {
                innerBytes.set(codec.encode(inner));    // re-entered while the outer dict is being written
                return java.util.Set.of(Map.entry("outer", "y".repeat(40)));
            }
        };
        byte[] bytes = codec.encode(outer);
        assertThat(codec.decode(bytes)).isEqualTo(Map.of("outer", "y".repeat(40)));
        assertThat(codec.decode(innerBytes.get())).isEqualTo(inner);
    }

    /** The deepest dict allowed encodes and decodes on a thread with a small stack, before any JIT compilation. */
    @Test
    void theDeepestAllowedDictFitsASmallThreadStack() throws Exception {
        DictCodec codec = new DictCodec(DictCodec.MAX_DEPTH_LIMIT);
        java.util.concurrent.atomic.AtomicReference<Throwable> failure = new java.util.concurrent.atomic.AtomicReference<>();
        Thread t = new Thread(null, () -> {
            try {
                byte[] bytes = nestedBytes(DictCodec.MAX_DEPTH_LIMIT);
                assertThat(codec.decode(bytes)).isEqualTo(nested(DictCodec.MAX_DEPTH_LIMIT));
                assertThat(codec.encode(nested(DictCodec.MAX_DEPTH_LIMIT))).isEqualTo(bytes);
                Map<String, Object> cycle = new LinkedHashMap<>();
                cycle.put("self", cycle);
                assertThatThrownBy(() -> codec.encode(cycle)).isInstanceOf(IllegalArgumentException.class);
                assertThatThrownBy(() -> codec.decode(nestedBytes(DictCodec.MAX_DEPTH_LIMIT + 1)))
                        .isInstanceOf(DictFormatException.class);
            } catch (Throwable e) {
                failure.set(e);
            }
        }, "small-stack", 256 * 1024);
        t.start();
        t.join(30_000);
        assertThat(failure.get()).isNull();
    }
}
