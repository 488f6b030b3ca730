package io.paguma.cluster.internal;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The fields of node-to-node messages: big-endian integers, strings as a u16 length and UTF-8,
 * byte arrays as an i32 length and the bytes. A {@link Reader} that runs out of bytes or meets a
 * negative length throws {@link IllegalArgumentException} naming the field: the link that sent it
 * is broken or hostile, and its router fails that message only.
 */
public final class Wire {
    private Wire() {
    }

    /** Writes {@code v} big-endian at {@code at}. */
    public static void putInt(byte[] b, int at, int v) {
        b[at] = (byte) (v >>> 24);
        b[at + 1] = (byte) (v >>> 16);
        b[at + 2] = (byte) (v >>> 8);
        b[at + 3] = (byte) v;
    }

    public static final class Writer {
        private byte[] buf;
        private int pos;

        public Writer(int capacity) {
            buf = new byte[Math.max(16, capacity)];
        }

        private void room(int n) {
            if (pos + n > buf.length) {
                buf = Arrays.copyOf(buf, Math.max(buf.length * 2, pos + n));
            }
        }

        public Writer u8(int v) {
            room(1);
            buf[pos++] = (byte) v;
            return this;
        }

        public Writer i32(int v) {
            room(4);
            buf[pos++] = (byte) (v >>> 24);
            buf[pos++] = (byte) (v >>> 16);
            buf[pos++] = (byte) (v >>> 8);
            buf[pos++] = (byte) v;
            return this;
        }

        public Writer i64(long v) {
            i32((int) (v >>> 32));
            return i32((int) v);
        }

        public Writer str(String s) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            if (b.length > 0xFFFF) {
                throw new IllegalArgumentException("text of " + b.length + " bytes is longer than 65535");
            }
            room(2 + b.length);
            buf[pos++] = (byte) (b.length >>> 8);
            buf[pos++] = (byte) b.length;
            System.arraycopy(b, 0, buf, pos, b.length);
            pos += b.length;
            return this;
        }

        public Writer bytes(byte[] b) {
            i32(b.length);
            room(b.length);
            System.arraycopy(b, 0, buf, pos, b.length);
            pos += b.length;
            return this;
        }

        public byte[] toBytes() {
            return pos == buf.length ? buf : Arrays.copyOf(buf, pos);
        }
    }

    public static final class Reader {
        private final byte[] buf;
        private int pos;

        public Reader(byte[] buf) {
            this.buf = buf;
        }

        private void need(int n, String field) {
            if (n < 0 || buf.length - pos < n) {
                throw new IllegalArgumentException("node message ends inside field " + field + " (at byte " + pos
                        + " of " + buf.length + ")");
            }
        }

        public int u8(String field) {
            need(1, field);
            return buf[pos++] & 0xFF;
        }

        public int i32(String field) {
            need(4, field);
            int v = (buf[pos] & 0xFF) << 24 | (buf[pos + 1] & 0xFF) << 16 | (buf[pos + 2] & 0xFF) << 8 | buf[pos + 3] & 0xFF;
            pos += 4;
            return v;
        }

        public long i64(String field) {
            long hi = i32(field) & 0xFFFFFFFFL;
            return hi << 32 | i32(field) & 0xFFFFFFFFL;
        }

        public String str(String field) {
            need(2, field);
            int n = (buf[pos] & 0xFF) << 8 | buf[pos + 1] & 0xFF;
            pos += 2;
            need(n, field);
            String s = new String(buf, pos, n, StandardCharsets.UTF_8);
            pos += n;
            return s;
        }

        public byte[] bytes(String field) {
            int n = i32(field);
            need(n, field);
            byte[] b = Arrays.copyOfRange(buf, pos, pos + n);
            pos += n;
            return b;
        }

        /** Steps over a text field without decoding it (its bounds are checked as {@link #str}'s). */
        public void skipStr(String field) {
            need(2, field);
            int n = (buf[pos] & 0xFF) << 8 | buf[pos + 1] & 0xFF;
            pos += 2;
            need(n, field);
            pos += n;
        }

        /** Bytes read so far. */
        public int position() {
            return pos;
        }

        /** Whether bytes follow: an optional trailing field is there. */
        public boolean more() {
            return pos < buf.length;
        }

        /** Checks that nothing follows the last field. */
        public void end() {
            if (pos != buf.length) {
                throw new IllegalArgumentException("node message has " + (buf.length - pos) + " bytes after its last field");
            }
        }
    }
}
