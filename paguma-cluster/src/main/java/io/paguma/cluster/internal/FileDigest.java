package io.paguma.cluster.internal;

import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.zip.CRC32C;

/**
 * The whole-file check of a transfer ({@code executor.digest}): the owner computes it over the
 * file as it sends it, the requester over what it wrote, and the two must match at END. The
 * requester names it in FILE_REQUEST (docs/PROTOCOL.md, "Executor links").
 */
public abstract class FileDigest {
    /** FILE_REQUEST's digest byte: SHA-256 (32 bytes; also what a request without the byte means). */
    public static final int SHA256 = 0;
    /** FILE_REQUEST's digest byte: CRC32C (4 bytes, big-endian). */
    public static final int CRC32C = 1;

    /** The digest of kind {@code kind} (SHA256 or CRC32C). */
    public static FileDigest of(int kind) {
        return switch (kind) {
            case SHA256 -> new Sha256();
            case CRC32C -> new Crc();
            default -> throw new IllegalArgumentException("unknown file digest " + kind);
        };
    }

    /** Its name in messages: SHA-256 or CRC32C. */
    public abstract String name();

    public abstract void update(byte[] b, int off, int len);

    /** Takes the buffer's remaining bytes (its position moves to its limit). */
    public abstract void update(ByteBuffer b);

    /** The digest of everything given so far. */
    public abstract byte[] finish();

    private static final class Sha256 extends FileDigest {
        private final MessageDigest md;

        Sha256() {
            try {
                md = MessageDigest.getInstance("SHA-256");
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException("no SHA-256 in this JVM", e);
            }
        }

        @Override
        public String name() {
            return "SHA-256";
        }

        @Override
        public void update(byte[] b, int off, int len) {
            md.update(b, off, len);
        }

        @Override
        public void update(ByteBuffer b) {
            md.update(b);
        }

        @Override
        public byte[] finish() {
            return md.digest();
        }
    }

    private static final class Crc extends FileDigest {
        private final CRC32C crc = new CRC32C();

        @Override
        public String name() {
            return "CRC32C";
        }

        @Override
        public void update(byte[] b, int off, int len) {
            crc.update(b, off, len);
        }

        @Override
        public void update(ByteBuffer b) {
            crc.update(b);
        }

        @Override
        public byte[] finish() {
            int v = (int) crc.getValue();
            return new byte[] {(byte) (v >>> 24), (byte) (v >>> 16), (byte) (v >>> 8), (byte) v};
        }
    }
}
