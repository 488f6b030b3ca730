package io.paguma.hub;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.ConcurrentModificationException;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.RandomAccess;

/**
 * The body encoding of dicts (seed 002's X4): a {@code Map<String, ?>} as a CBOR map (RFC 8949),
 * read and written straight between the dict and a {@code byte[]}.
 *
 * <p>Values and what they become on the wire and back:
 * <table>
 *   <caption>Dict value types</caption>
 *   <tr><th>Java</th><th>CBOR</th><th>decoded as</th></tr>
 *   <tr><td>{@code String}</td><td>text string (major 3)</td><td>{@code String}</td></tr>
 *   <tr><td>{@code Integer}, {@code Short}, {@code Byte}</td><td>integer (major 0/1), shortest
 *       argument</td><td>{@code Integer}</td></tr>
 *   <tr><td>{@code Long}</td><td>integer (major 0/1), always the 8-byte argument</td><td>{@code Long}</td></tr>
 *   <tr><td>{@code Float}</td><td>float32</td><td>{@code Float}</td></tr>
 *   <tr><td>{@code Double}</td><td>float64</td><td>{@code Double}</td></tr>
 *   <tr><td>{@code Boolean}</td><td>false / true</td><td>{@code Boolean}</td></tr>
 *   <tr><td>{@code null}</td><td>null</td><td>{@code null}</td></tr>
 *   <tr><td>{@code byte[]}</td><td>byte string (major 2)</td><td>{@code byte[]}</td></tr>
 *   <tr><td>{@code List<?>}</td><td>array (major 4)</td><td>{@code ArrayList}</td></tr>
 *   <tr><td>{@code Map<String, ?>}</td><td>map (major 5), text keys</td><td>{@code LinkedHashMap},
 *       in wire order</td></tr>
 * </table>
 * So every dict of these types decodes to an equal dict of the same classes, except that
 * {@code Short} and {@code Byte} come back as {@code Integer}. From other CBOR writers: an integer
 * with an 8-byte argument decodes as {@code Long}, a shorter one as {@code Integer} if it fits,
 * else {@code Long}; a half float (float16) as {@code Float}; indefinite-length maps, arrays and
 * strings are accepted. Strings are UTF-8; a lone surrogate in a Java string is written as
 * {@code '?'}, as {@link String#getBytes} does, and malformed UTF-8 is refused on decode.
 *
 * <p>The top-level map is at depth 1 and each nested map or list adds one; a dict deeper than
 * {@link #maxDepth()} (a map that contains itself, too) is refused both ways. On decode, tags,
 * simple values other than false/true/null, non-text keys and duplicate keys are refused too, and
 * every announced length is checked against the bytes left before anything is allocated.
 *
 * <p>A codec is immutable and may be shared by any number of threads.
 */
public final class DictCodec {

    /** The nesting limit of {@link #DictCodec()}. */
    public static final int DEFAULT_MAX_DEPTH = 32;
    /** The largest nesting limit: encoding and decoding recurse once per level, within a 256 KiB thread stack. */
    public static final int MAX_DEPTH_LIMIT = 256;

    private static final int MAJOR_UNSIGNED = 0;
    private static final int MAJOR_NEGATIVE = 1;
    private static final int MAJOR_BYTES = 2;
    private static final int MAJOR_TEXT = 3;
    private static final int MAJOR_ARRAY = 4;
    private static final int MAJOR_MAP = 5;
    private static final int MAJOR_TAG = 6;
    private static final int MAJOR_SIMPLE = 7;
    private static final int INDEFINITE = 31;
    private static final byte BREAK = (byte) 0xff;
    private static final byte FALSE = (byte) 0xf4;
    private static final byte TRUE = (byte) 0xf5;
    private static final byte NULL = (byte) 0xf6;
    private static final byte FLOAT32 = (byte) 0xfa;
    private static final byte FLOAT64 = (byte) 0xfb;
    /** Initial byte of a Long: major 0 resp. 1 with an 8-byte argument. */
    private static final byte UINT64 = (byte) 0x1b;
    private static final byte NINT64 = (byte) 0x3b;

    private final int maxDepth;

    /** A codec for dicts nested up to {@value #DEFAULT_MAX_DEPTH} deep. */
    public DictCodec() {
        this(DEFAULT_MAX_DEPTH);
    }

    /**
     * A codec for dicts nested up to {@code maxDepth} deep (the top-level map counts 1).
     *
     * @throws IllegalArgumentException if {@code maxDepth} is not 1-256 (so that the recursion fits a small thread stack)
     */
    public DictCodec(int maxDepth) {
        if (maxDepth < 1 || maxDepth > MAX_DEPTH_LIMIT) throw new IllegalArgumentException("maxDepth " + maxDepth + " is not 1-" + MAX_DEPTH_LIMIT);
        this.maxDepth = maxDepth;
    }

    /** How deep a dict may be nested; the top-level map counts 1. */
    public int maxDepth() {
        return maxDepth;
    }

    // ---- Encoding ------------------------------------------------------------------------------

    /**
     * The exact number of bytes {@link #encode} writes for {@code dict}.
     *
     * @throws IllegalArgumentException if the dict holds a value of another type, a key that is not
     *         a String, or is nested too deep; the message names the key
     */
    public int size(Map<String, ?> dict) {
        Objects.requireNonNull(dict, "dict");
        long size;
        try {
            size = sizeOfMap(dict, 1);
        } catch (BadValue e) {
            throw e.toException();
        }
        if (size > Integer.MAX_VALUE - 16) throw new IllegalArgumentException("dict of " + size + " bytes is too large");
        return (int) size;
    }

    /**
     * {@code dict} as a new array of exactly {@link #size} bytes.
     *
     * @throws IllegalArgumentException as {@link #size} does
     * @throws ConcurrentModificationException if the dict changed while it was encoded
     */
    public byte[] encode(Map<String, ?> dict) {
        Objects.requireNonNull(dict, "dict");
        // One pass into this thread's scratch array, then one copy of exactly the bytes written;
        // a dict too large for it is measured first and written straight into its own array.
        byte[] scratch = SCRATCH.get();
        // Taken while in use: an encode re-entered on this thread (a map whose getters encode)
        // measures and writes into an array of its own instead of overwriting this one.
        if (scratch == null) return encodeMeasured(dict);
        SCRATCH.set(null);
        int end;
        try {
            end = writeMap(dict, scratch, 0, 1);
        } catch (BadValue e) {
            throw e.toException();
        } catch (IndexOutOfBoundsException tooLarge) {
            return encodeMeasured(dict);
        } finally {
            // encodeMeasured may have left a larger one: keep that.
            if (SCRATCH.get() == null) SCRATCH.set(scratch);
        }
        return Arrays.copyOf(scratch, end);
    }

    /** Per thread: where {@link #encode(Map)} writes before copying; grows up to {@link #SCRATCH_MAX}. */
    private static final ThreadLocal<byte[]> SCRATCH = ThreadLocal.withInitial(() -> new byte[1024]);
    private static final int SCRATCH_MAX = 64 * 1024;

    private byte[] encodeMeasured(Map<String, ?> dict) {
        byte[] out = new byte[size(dict)];
        if (out.length <= SCRATCH_MAX / 2) SCRATCH.set(new byte[Math.max(out.length * 2, 1024)]);
        int end;
        try {
            end = writeMap(dict, out, 0, 1);
        } catch (BadValue e) {
            throw e.toException();
        } catch (ArrayIndexOutOfBoundsException e) {
            throw new ConcurrentModificationException("dict changed while it was encoded");
        }
        if (end != out.length) throw new ConcurrentModificationException("dict changed while it was encoded");
        return out;
    }

    /**
     * Writes {@code dict} into {@code out} from {@code offset}, which must have room for
     * {@link #size} bytes, and returns the offset after it.
     *
     * @throws IllegalArgumentException as {@link #size} does; bytes may have been written
     * @throws IndexOutOfBoundsException if {@code out} has no room for the dict from {@code offset}
     */
    public int encode(Map<String, ?> dict, byte[] out, int offset) {
        Objects.requireNonNull(dict, "dict");
        Objects.checkIndex(offset, out.length + 1);
        try {
            return writeMap(dict, out, offset, 1);
        } catch (BadValue e) {
            throw e.toException();
        }
    }

    private long sizeOf(Object v, int depth) {
        if (v instanceof String s) return sizeOfText(s);
        if (v instanceof Integer i) return sizeOfInt(i);
        if (v instanceof Long) return 9;
        if (v instanceof Double) return 9;
        if (v instanceof Float) return 5;
        if (v == null || v instanceof Boolean) return 1;
        if (v instanceof Map<?, ?> m) return sizeOfMap(m, depth);
        if (v instanceof List<?> l) return sizeOfList(l, depth);
        if (v instanceof byte[] b) return headSize(b.length) + b.length;
        if (v instanceof Short s) return sizeOfInt(s);
        if (v instanceof Byte b) return sizeOfInt(b);
        throw new BadValue("unsupported type " + v.getClass().getTypeName());
    }

    private long sizeOfMap(Map<?, ?> map, int depth) {
        if (depth > maxDepth) throw new BadValue("nested deeper than " + maxDepth);
        long size = headSize(map.size());
        // One loop per common class: each iterator then has a single known type, and the JIT drops
        // its allocation (it does not when iterators of two classes meet in one loop).
        if (map.getClass() == LinkedHashMap.class) {
            for (Map.Entry<?, ?> e : ((LinkedHashMap<?, ?>) map).entrySet()) size += sizeOfEntry(e, depth);
        } else if (map.getClass() == HashMap.class) {
            for (Map.Entry<?, ?> e : ((HashMap<?, ?>) map).entrySet()) size += sizeOfEntry(e, depth);
        } else {
            for (Map.Entry<?, ?> e : map.entrySet()) size += sizeOfEntry(e, depth);
        }
        return size;
    }

    private long sizeOfEntry(Map.Entry<?, ?> e, int depth) {
        String key = key(e.getKey());
        try {
            return sizeOfKey(key) + sizeOf(e.getValue(), depth + 1);
        } catch (BadValue b) {
            throw b.in(key);
        }
    }

    private long sizeOfList(List<?> list, int depth) {
        if (depth > maxDepth) throw new BadValue("nested deeper than " + maxDepth);
        int n = list.size();
        long size = headSize(n);
        if (list instanceof RandomAccess) {
            for (int i = 0; i < n; i++) {
                try {
                    size += sizeOf(list.get(i), depth + 1);
                } catch (BadValue b) {
                    throw b.in(i);
                }
            }
        } else {
            int i = 0;
            for (Object v : list) {
                try {
                    size += sizeOf(v, depth + 1);
                } catch (BadValue b) {
                    throw b.in(i);
                }
                i++;
            }
        }
        return size;
    }

    private static String key(Object key) {
        if (key instanceof String s) return s;
        if (key == null) throw new BadValue("null key");
        throw new BadValue("key " + key + " of type " + key.getClass().getName() + " is not a String");
    }

    private static int sizeOfInt(int v) {
        return headSize(v < 0 ? ~v : v);
    }

    /** Keys up to this many chars are encoded once and kept in {@link #encodedKeys}. */
    private static final int CACHED_KEY_MAX = 32;

    /** A key and its head and UTF-8 bytes, as written. */
    private record EncodedKey(String key, byte[] bytes) {
    }

    /**
     * Keys encoded lately, by their hash: keys repeat from dict to dict, so most are copied from
     * here rather than measured and encoded char by char twice. Entries are immutable; a race
     * between two threads only costs one of them a miss.
     */
    private final EncodedKey[] encodedKeys = new EncodedKey[512];

    /** The head and bytes of {@code key} if it is short enough to be cached, else null. */
    private byte[] encodedKey(String key) {
        if (key.length() > CACHED_KEY_MAX) return null;
        int h = key.hashCode();
        int slot = (h ^ h >>> 9) & (encodedKeys.length - 1);
        EncodedKey e = encodedKeys[slot];
        if (e != null && (e.key == key || e.key.equals(key))) return e.bytes;
        byte[] bytes = new byte[sizeOfText(key)];
        writeText(key, bytes, 0);
        encodedKeys[slot] = new EncodedKey(key, bytes);
        return bytes;
    }

    private int sizeOfKey(String key) {
        byte[] b = encodedKey(key);
        return b != null ? b.length : sizeOfText(key);
    }

    private int writeKey(String key, byte[] out, int pos) {
        byte[] b = encodedKey(key);
        if (b == null) return writeText(key, out, pos);
        for (int i = 0; i < b.length; i++) out[pos + i] = b[i];
        return pos + b.length;
    }

    private static int sizeOfText(String s) {
        int n = utf8Length(s);
        return headSize(n) + n;
    }

    /** Bytes of a head with a non-negative argument below 2^31. */
    private static int headSize(int arg) {
        if (arg < 24) return 1;
        if (arg < 0x100) return 2;
        if (arg < 0x10000) return 3;
        return 5;
    }

    /** The UTF-8 length of {@code s}, a lone surrogate counting 1 (it is written as '?'). */
    private static int utf8Length(String s) {
        int n = s.length();
        int len = n;
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            if (c < 0x80) continue;
            if (c < 0x800) {
                len += 1;
            } else if (!Character.isSurrogate(c)) {
                len += 2;
            } else if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(s.charAt(i + 1))) {
                len += 2; // 4 bytes for two chars
                i++;
            }
        }
        return len;
    }

    private int write(Object v, byte[] out, int pos, int depth) {
        if (v instanceof String s) return writeText(s, out, pos);
        if (v instanceof Integer i) return writeInt(i, out, pos);
        if (v instanceof Long l) {
            long x = l;
            out[pos] = x < 0 ? NINT64 : UINT64;
            writeLong(x < 0 ? ~x : x, out, pos + 1);
            return pos + 9;
        }
        if (v instanceof Double d) {
            out[pos] = FLOAT64;
            writeLong(Double.doubleToRawLongBits(d), out, pos + 1);
            return pos + 9;
        }
        if (v instanceof Float f) {
            out[pos] = FLOAT32;
            writeInt32(Float.floatToRawIntBits(f), out, pos + 1);
            return pos + 5;
        }
        if (v == null) {
            out[pos] = NULL;
            return pos + 1;
        }
        if (v instanceof Boolean b) {
            out[pos] = b ? TRUE : FALSE;
            return pos + 1;
        }
        if (v instanceof Map<?, ?> m) return writeMap(m, out, pos, depth);
        if (v instanceof List<?> l) return writeList(l, out, pos, depth);
        if (v instanceof byte[] b) {
            pos = writeHead(MAJOR_BYTES, b.length, out, pos);
            System.arraycopy(b, 0, out, pos, b.length);
            return pos + b.length;
        }
        if (v instanceof Short s) return writeInt(s, out, pos);
        if (v instanceof Byte b) return writeInt(b, out, pos);
        throw new BadValue("unsupported type " + v.getClass().getTypeName());
    }

    private int writeMap(Map<?, ?> map, byte[] out, int pos, int depth) {
        if (depth > maxDepth) throw new BadValue("nested deeper than " + maxDepth);
        int n = map.size();
        pos = writeHead(MAJOR_MAP, n, out, pos);
        int written = 0;
        // One loop per common class, as in sizeOfMap.
        if (map.getClass() == LinkedHashMap.class) {
            for (Map.Entry<?, ?> e : ((LinkedHashMap<?, ?>) map).entrySet()) {
                pos = writeEntry(e, out, pos, depth);
                written++;
            }
        } else if (map.getClass() == HashMap.class) {
            for (Map.Entry<?, ?> e : ((HashMap<?, ?>) map).entrySet()) {
                pos = writeEntry(e, out, pos, depth);
                written++;
            }
        } else {
            for (Map.Entry<?, ?> e : map.entrySet()) {
                pos = writeEntry(e, out, pos, depth);
                written++;
            }
        }
        if (written != n) throw new ConcurrentModificationException("map changed while it was encoded");
        return pos;
    }

    private int writeEntry(Map.Entry<?, ?> e, byte[] out, int pos, int depth) {
        String key = key(e.getKey());
        try {
            return write(e.getValue(), out, writeKey(key, out, pos), depth + 1);
        } catch (BadValue b) {
            throw b.in(key);
        }
    }

    private int writeList(List<?> list, byte[] out, int pos, int depth) {
        if (depth > maxDepth) throw new BadValue("nested deeper than " + maxDepth);
        int n = list.size();
        pos = writeHead(MAJOR_ARRAY, n, out, pos);
        if (list instanceof RandomAccess) {
            for (int i = 0; i < n; i++) {
                try {
                    pos = write(list.get(i), out, pos, depth + 1);
                } catch (BadValue b) {
                    throw b.in(i);
                }
            }
        } else {
            int i = 0;
            for (Object v : list) {
                try {
                    pos = write(v, out, pos, depth + 1);
                } catch (BadValue b) {
                    throw b.in(i);
                }
                i++;
            }
            if (i != n) throw new ConcurrentModificationException("list changed while it was encoded");
        }
        return pos;
    }

    private static int writeInt(int v, byte[] out, int pos) {
        return v < 0 ? writeHead(MAJOR_NEGATIVE, ~v, out, pos) : writeHead(MAJOR_UNSIGNED, v, out, pos);
    }

    /** A head with the shortest argument; {@code arg} is non-negative. */
    private static int writeHead(int major, int arg, byte[] out, int pos) {
        int m = major << 5;
        if (arg < 24) {
            out[pos] = (byte) (m | arg);
            return pos + 1;
        }
        if (arg < 0x100) {
            out[pos] = (byte) (m | 24);
            out[pos + 1] = (byte) arg;
            return pos + 2;
        }
        if (arg < 0x10000) {
            out[pos] = (byte) (m | 25);
            out[pos + 1] = (byte) (arg >>> 8);
            out[pos + 2] = (byte) arg;
            return pos + 3;
        }
        out[pos] = (byte) (m | 26);
        writeInt32(arg, out, pos + 1);
        return pos + 5;
    }

    private static void writeInt32(int v, byte[] out, int pos) {
        out[pos] = (byte) (v >>> 24);
        out[pos + 1] = (byte) (v >>> 16);
        out[pos + 2] = (byte) (v >>> 8);
        out[pos + 3] = (byte) v;
    }

    private static void writeLong(long v, byte[] out, int pos) {
        writeInt32((int) (v >>> 32), out, pos);
        writeInt32((int) v, out, pos + 4);
    }

    private static int writeText(String s, byte[] out, int pos) {
        pos = writeHead(MAJOR_TEXT, utf8Length(s), out, pos);
        int n = s.length();
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            if (c < 0x80) {
                out[pos++] = (byte) c;
            } else if (c < 0x800) {
                out[pos] = (byte) (0xc0 | c >> 6);
                out[pos + 1] = (byte) (0x80 | c & 0x3f);
                pos += 2;
            } else if (!Character.isSurrogate(c)) {
                out[pos] = (byte) (0xe0 | c >> 12);
                out[pos + 1] = (byte) (0x80 | c >> 6 & 0x3f);
                out[pos + 2] = (byte) (0x80 | c & 0x3f);
                pos += 3;
            } else if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(s.charAt(i + 1))) {
                int cp = Character.toCodePoint(c, s.charAt(++i));
                out[pos] = (byte) (0xf0 | cp >> 18);
                out[pos + 1] = (byte) (0x80 | cp >> 12 & 0x3f);
                out[pos + 2] = (byte) (0x80 | cp >> 6 & 0x3f);
                out[pos + 3] = (byte) (0x80 | cp & 0x3f);
                pos += 4;
            } else {
                out[pos++] = '?';
            }
        }
        return pos;
    }

    /**
     * A value the encoder refuses, thrown up through the nested maps and lists, each adding its
     * key or index, and turned into an {@link IllegalArgumentException} naming the whole path.
     */
    private static final class BadValue extends RuntimeException {
        private final String problem;
        /** Keys (String) and indexes (Integer), innermost first. */
        private final ArrayList<Object> path = new ArrayList<>();

        BadValue(String problem) {
            super(problem, null, false, false);
            this.problem = problem;
        }

        BadValue in(Object keyOrIndex) {
            path.add(keyOrIndex);
            return this;
        }

        IllegalArgumentException toException() {
            if (path.isEmpty()) return new IllegalArgumentException("dict: " + problem);
            StringBuilder sb = new StringBuilder("dict key \"");
            for (int i = path.size() - 1; i >= 0; i--) {
                Object p = path.get(i);
                if (p instanceof Integer) {
                    sb.append('[').append(p).append(']');
                } else {
                    if (i != path.size() - 1) sb.append('.');
                    sb.append(p);
                }
            }
            return new IllegalArgumentException(sb.append("\": ").append(problem).toString());
        }
    }

    // ---- Decoding ------------------------------------------------------------------------------

    /**
     * The dict in {@code data}, which must hold exactly one CBOR map.
     *
     * @throws DictFormatException if the bytes are not a dict (see the class comment)
     */
    public Map<String, Object> decode(byte[] data) {
        return decode(data, 0, data.length);
    }

    /**
     * The dict in {@code length} bytes of {@code data} from {@code offset}, which must hold exactly
     * one CBOR map. Error offsets count from {@code offset}.
     *
     * @throws DictFormatException if the bytes are not a dict (see the class comment)
     * @throws IndexOutOfBoundsException if the range is not within {@code data}
     */
    public Map<String, Object> decode(byte[] data, int offset, int length) {
        Objects.checkFromIndexSize(offset, length, data.length);
        int end = offset + length;
        if (length == 0) throw new DictFormatException("no data, expected a map", 0);
        int ib = data[offset] & 0xff;
        if (ib >>> 5 != MAJOR_MAP) throw new DictFormatException(describe(ib) + " at the top level, expected a map", 0);
        int count = count(data, offset, end, offset, 2);
        LinkedHashMap<String, Object> map = newMap(count);
        int pos = fillMap(data, offset + headLength(ib & 31), end, offset, 1, map, count);
        if (pos != end) throw new DictFormatException((end - pos) + " bytes after the map", pos - offset);
        return map;
    }

    private static LinkedHashMap<String, Object> newMap(int count) {
        // Room for count entries without a resize at the default load factor of 0.75.
        return count < 0 ? new LinkedHashMap<>() : new LinkedHashMap<>(count + (count + 2) / 3);
    }

    /**
     * The element count of the map or array whose head is at {@code pos}, or -1 if indefinite;
     * fails if the bytes left after the head cannot hold that many elements of {@code minBytes}.
     */
    private static int count(byte[] d, int pos, int end, int base, int minBytes) {
        int info = d[pos] & 31;
        if (info == INDEFINITE) return -1;
        long n = arg(d, pos, end, base);
        long left = end - pos - headLength(info);
        if (n < 0 || n > left / minBytes) {
            throw new DictFormatException((d[pos] >>> 5 & 7) == MAJOR_MAP
                    ? "map of " + Long.toUnsignedString(n) + " entries longer than the " + left + " bytes left"
                    : "array of " + Long.toUnsignedString(n) + " elements longer than the " + left + " bytes left",
                    pos - base);
        }
        return (int) n;
    }

    /** Fills {@code map} with {@code count} entries (-1: up to a break) from {@code pos}; returns the offset after them. */
    private int fillMap(byte[] d, int pos, int end, int base, int depth, LinkedHashMap<String, Object> map, int count) {
        for (int i = 0; count < 0 || i < count; i++) {
            if (pos >= end) throw truncated(pos, base);
            int ib = d[pos] & 0xff;
            if (count < 0 && ib == (BREAK & 0xff)) return pos + 1;
            if (ib >>> 5 != MAJOR_TEXT) throw new DictFormatException(describe(ib) + " as a map key, expected a text string", pos - base);
            int keyPos = pos;
            int keyEnd = textEnd(d, pos, end, base);
            String key = key(d, pos, keyEnd, base);
            int size = map.size();
            pos = readValue(d, keyEnd, end, base, depth, map, key, null);
            if (map.size() == size) throw new DictFormatException("duplicate key \"" + key + "\"", keyPos - base);
        }
        return pos;
    }

    /** Fills {@code list} with {@code count} elements (-1: up to a break) from {@code pos}; returns the offset after them. */
    private int fillList(byte[] d, int pos, int end, int base, int depth, ArrayList<Object> list, int count) {
        for (int i = 0; count < 0 || i < count; i++) {
            if (pos >= end) throw truncated(pos, base);
            if (count < 0 && d[pos] == BREAK) return pos + 1;
            pos = readValue(d, pos, end, base, depth, null, null, list);
        }
        return pos;
    }

    /**
     * Reads the value at {@code pos}, held by a map or list at {@code depth}, and puts it into
     * {@code map} under {@code key} or adds it to {@code list}; returns the offset after it.
     * A map or list is put first and filled after, so that this returns just the offset.
     */
    private int readValue(byte[] d, int pos, int end, int base, int depth,
                          LinkedHashMap<String, Object> map, String key, ArrayList<Object> list) {
        if (pos >= end) throw truncated(pos, base);
        int ib = d[pos] & 0xff;
        int info = ib & 31;
        Object value;
        int next;
        switch (ib >>> 5) {
            case MAJOR_UNSIGNED, MAJOR_NEGATIVE -> {
                long arg = arg(d, pos, end, base);
                boolean negative = ib >>> 5 == MAJOR_NEGATIVE;
                if (info == 27) {
                    if (arg < 0) throw new DictFormatException("integer out of range", pos - base);
                    value = negative ? ~arg : arg;
                } else if (arg <= Integer.MAX_VALUE) {
                    value = negative ? ~(int) arg : (int) arg;
                } else {
                    value = negative ? ~arg : arg;
                }
                next = pos + headLength(info);
            }
            case MAJOR_TEXT -> {
                next = textEnd(d, pos, end, base);
                value = text(d, pos, next, base);
            }
            case MAJOR_BYTES -> {
                next = stringEnd(d, pos, end, base);
                value = bytes(d, pos, next);
            }
            case MAJOR_ARRAY, MAJOR_MAP -> {
                if (depth >= maxDepth) throw new DictFormatException("dict nested deeper than " + maxDepth, pos - base);
                next = pos + headLength(info);
                if (ib >>> 5 == MAJOR_MAP) {
                    int count = count(d, pos, end, base, 2);
                    LinkedHashMap<String, Object> m = newMap(count);
                    put(map, key, list, m);
                    return fillMap(d, next, end, base, depth + 1, m, count);
                }
                int count = count(d, pos, end, base, 1);
                ArrayList<Object> l = count < 0 ? new ArrayList<>() : new ArrayList<>(count);
                put(map, key, list, l);
                return fillList(d, next, end, base, depth + 1, l, count);
            }
            case MAJOR_TAG -> throw new DictFormatException("tag (major type 6) not supported", pos - base);
            default -> {
                next = pos + headLength(info);
                if (next > end) throw truncated(end, base);
                value = switch (info) {
                    case 20 -> Boolean.FALSE;
                    case 21 -> Boolean.TRUE;
                    case 22 -> null;
                    case 25 -> halfToFloat((d[pos + 1] & 0xff) << 8 | d[pos + 2] & 0xff);
                    case 26 -> Float.intBitsToFloat(readInt32(d, pos + 1));
                    case 27 -> Double.longBitsToDouble(readLong(d, pos + 1));
                    default -> throw new DictFormatException(info == INDEFINITE
                            ? "break outside an indefinite-length item" : describe(ib) + " not supported", pos - base);
                };
            }
        }
        put(map, key, list, value);
        return next;
    }

    private static void put(LinkedHashMap<String, Object> map, String key, ArrayList<Object> list, Object value) {
        if (map != null) {
            map.put(key, value);
        } else {
            list.add(value);
        }
    }

    /** Bytes of a head with additional information {@code info}; 1 for reserved values. */
    private static int headLength(int info) {
        return info < 24 || info > 27 ? 1 : 1 + (1 << info - 24);
    }

    /**
     * The argument of the head at {@code pos} (an integer's value, a length, a count) as an unsigned
     * 64-bit value: negative if above {@link Long#MAX_VALUE}.
     */
    private static long arg(byte[] d, int pos, int end, int base) {
        int info = d[pos] & 31;
        if (info < 24) return info;
        if (info > 27) {
            throw new DictFormatException(info == INDEFINITE
                    ? "indefinite length in " + describe(d[pos] & 0xff) : "reserved additional information " + info, pos - base);
        }
        if (pos + headLength(info) > end) throw truncated(end, base);
        return switch (info) {
            case 24 -> d[pos + 1] & 0xff;
            case 25 -> (d[pos + 1] & 0xff) << 8 | d[pos + 2] & 0xff;
            case 26 -> readInt32(d, pos + 1) & 0xffffffffL;
            default -> readLong(d, pos + 1);
        };
    }

    /**
     * The offset after the byte or text string whose head is at {@code pos}: definite, or
     * indefinite with definite chunks of the same major type up to a break. Checks the lengths
     * against the bytes left, and for text each chunk's UTF-8.
     */
    private static int stringEnd(byte[] d, int pos, int end, int base) {
        int major = d[pos] >>> 5 & 7;
        if ((d[pos] & 31) != INDEFINITE) return chunkEnd(d, pos, end, base, major);
        int p = pos + 1;
        while (true) {
            if (p >= end) throw truncated(p, base);
            if (d[p] == BREAK) return p + 1;
            if ((d[p] >>> 5 & 7) != major || (d[p] & 31) == INDEFINITE) {
                throw new DictFormatException(describe(d[p] & 0xff) + " in an indefinite-length "
                        + (major == MAJOR_TEXT ? "text" : "byte") + " string", p - base);
            }
            p = chunkEnd(d, p, end, base, major);
        }
    }

    /** The offset after the definite string at {@code pos}; for text, checks its UTF-8. */
    private static int chunkEnd(byte[] d, int pos, int end, int base, int major) {
        int stop = definiteEnd(d, pos, end, base, major);
        if (major == MAJOR_TEXT) {
            int bad = invalidUtf8(d, pos + headLength(d[pos] & 31), stop);
            if (bad >= 0) throw new DictFormatException("malformed UTF-8", bad - base);
        }
        return stop;
    }

    /** The offset after the definite string at {@code pos}, its length checked against the bytes left. */
    private static int definiteEnd(byte[] d, int pos, int end, int base, int major) {
        long n = arg(d, pos, end, base);
        int start = pos + headLength(d[pos] & 31);
        if (n < 0 || n > end - start) {
            throw new DictFormatException((major == MAJOR_TEXT ? "text string of " : "byte string of ")
                    + Long.toUnsignedString(n) + " bytes longer than the " + (end - start) + " bytes left", pos - base);
        }
        return start + (int) n;
    }

    /**
     * The offset after the text string at {@code pos}. A definite one's UTF-8 is checked by
     * {@link #text} (a short one found in the cache was checked when it went in); an indefinite
     * one's chunks are checked here.
     */
    private static int textEnd(byte[] d, int pos, int end, int base) {
        return (d[pos] & 31) != INDEFINITE ? definiteEnd(d, pos, end, base, MAJOR_TEXT) : stringEnd(d, pos, end, base);
    }

    /** A key as it arrives and as it is handed out: the same String for the same bytes. */
    private record DecodedKey(byte[] utf8, String key) {
    }

    /**
     * Keys decoded lately, by a hash of their bytes: keys repeat from dict to dict, so most are
     * found here, already checked, hashed and allocated. Entries are immutable; a race between two
     * threads only costs one of them a miss. Values are not cached: they vary, and a miss costs an
     * entry.
     */
    private final DecodedKey[] decodedKeys = new DecodedKey[512];

    /** The key from {@code pos} to {@code stop}, its length checked by {@link #textEnd}. */
    private String key(byte[] d, int pos, int stop, int base) {
        if ((d[pos] & 31) == INDEFINITE) return text(d, pos, stop, base);
        int start = pos + headLength(d[pos] & 31);
        int n = stop - start;
        if (n > CACHED_KEY_MAX) return checkedText(d, start, stop, base);
        int h = 0;
        for (int i = start; i < stop; i++) h = 31 * h + d[i];
        int slot = (h ^ h >>> 9) & (decodedKeys.length - 1);
        DecodedKey c = decodedKeys[slot];
        if (c != null && sameBytes(c.utf8, d, start, n)) return c.key;
        String key = checkedText(d, start, stop, base);
        decodedKeys[slot] = new DecodedKey(Arrays.copyOfRange(d, start, stop), key);
        return key;
    }

    /** For a few bytes, a plain loop beats the vectorised compare's setup. */
    private static boolean sameBytes(byte[] a, byte[] d, int start, int n) {
        if (a.length != n) return false;
        for (int i = 0; i < n; i++) if (a[i] != d[start + i]) return false;
        return true;
    }

    /** The text string from {@code pos} to {@code stop}, its length checked by {@link #textEnd}. */
    private static String text(byte[] d, int pos, int stop, int base) {
        if ((d[pos] & 31) == INDEFINITE) return new String(joinChunks(d, pos, stop), StandardCharsets.UTF_8);
        return checkedText(d, pos + headLength(d[pos] & 31), stop, base);
    }

    private static String checkedText(byte[] d, int start, int stop, int base) {
        int bad = invalidUtf8(d, start, stop);
        if (bad >= 0) throw new DictFormatException("malformed UTF-8", bad - base);
        return new String(d, start, stop - start, StandardCharsets.UTF_8);
    }

    /** The byte string from {@code pos} to {@code stop}, already checked by {@link #stringEnd}. */
    private static byte[] bytes(byte[] d, int pos, int stop) {
        if ((d[pos] & 31) != INDEFINITE) return Arrays.copyOfRange(d, pos + headLength(d[pos] & 31), stop);
        return joinChunks(d, pos, stop);
    }

    /** The chunks of the indefinite-length string from {@code pos} to {@code stop} in one array. */
    private static byte[] joinChunks(byte[] d, int pos, int stop) {
        int total = 0;
        for (int p = pos + 1; p < stop - 1; ) {
            int start = p + headLength(d[p] & 31);
            int n = (int) arg(d, p, stop, 0);
            total += n;
            p = start + n;
        }
        byte[] out = new byte[total];
        int o = 0;
        for (int p = pos + 1; p < stop - 1; ) {
            int start = p + headLength(d[p] & 31);
            int n = (int) arg(d, p, stop, 0);
            System.arraycopy(d, start, out, o, n);
            o += n;
            p = start + n;
        }
        return out;
    }

    /** The offset of the first malformed UTF-8 sequence in {@code d[from, to)}, or -1 (RFC 3629). */
    private static int invalidUtf8(byte[] d, int from, int to) {
        int i = from;
        while (i < to) {
            int b = d[i];
            if (b >= 0) {
                i++;
                continue;
            }
            b &= 0xff;
            int n;
            int lo = 0x80;
            int hi = 0xbf;
            if (b < 0xc2) {
                return i;
            } else if (b < 0xe0) {
                n = 1;
            } else if (b < 0xf0) {
                n = 2;
                if (b == 0xe0) lo = 0xa0; // no overlong forms
                if (b == 0xed) hi = 0x9f; // no surrogates
            } else if (b < 0xf5) {
                n = 3;
                if (b == 0xf0) lo = 0x90; // no overlong forms
                if (b == 0xf4) hi = 0x8f; // nothing above U+10FFFF
            } else {
                return i;
            }
            if (to - i <= n) return i;
            int c = d[i + 1] & 0xff;
            if (c < lo || c > hi) return i;
            for (int k = 2; k <= n; k++) {
                if ((d[i + k] & 0xc0) != 0x80) return i;
            }
            i += n + 1;
        }
        return -1;
    }

    private static float halfToFloat(int h) {
        int sign = (h & 0x8000) << 16;
        int exp = h >>> 10 & 0x1f;
        int mant = h & 0x3ff;
        if (exp == 0x1f) return Float.intBitsToFloat(sign | 0x7f800000 | mant << 13); // infinity, NaN
        if (exp != 0) return Float.intBitsToFloat(sign | exp + (127 - 15) << 23 | mant << 13);
        float subnormal = mant * 0x1p-24f; // exact: mant has at most 10 bits
        return sign != 0 ? -subnormal : subnormal;
    }

    private static int readInt32(byte[] d, int pos) {
        return (d[pos] & 0xff) << 24 | (d[pos + 1] & 0xff) << 16 | (d[pos + 2] & 0xff) << 8 | d[pos + 3] & 0xff;
    }

    private static long readLong(byte[] d, int pos) {
        return (long) readInt32(d, pos) << 32 | readInt32(d, pos + 4) & 0xffffffffL;
    }

    private static DictFormatException truncated(int pos, int base) {
        return new DictFormatException("truncated", pos - base);
    }

    /** What the initial byte {@code ib} starts, for messages. */
    private static String describe(int ib) {
        int info = ib & 31;
        return switch (ib >>> 5) {
            case MAJOR_UNSIGNED, MAJOR_NEGATIVE -> "an integer";
            case MAJOR_BYTES -> "a byte string";
            case MAJOR_TEXT -> "a text string";
            case MAJOR_ARRAY -> "an array";
            case MAJOR_MAP -> "a map";
            case MAJOR_TAG -> "a tag";
            default -> switch (info) {
                case 20, 21 -> "a boolean";
                case 22 -> "null";
                case 23 -> "undefined";
                case 24 -> "a simple value";
                case 25, 26, 27 -> "a float";
                case INDEFINITE -> "a break";
                default -> info < 20 ? "simple value " + info : "reserved additional information " + info;
            };
        };
    }
}
