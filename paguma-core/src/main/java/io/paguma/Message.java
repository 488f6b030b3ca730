package io.paguma;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Objects;

/**
 * One application message: a message id, an optional sequence id and a payload (seed 000's
 * {@code Message}, P6).
 *
 * <p>Ids and sequence ids are unsigned 32-bit values on the wire; Java holds them in an
 * {@code int}, so id 4294967295 reads back as {@code -1}. Use {@link Integer#toUnsignedString(int)}
 * to print one. A message is immutable once built and may be passed between threads freely;
 * the payload array is owned by the message and must not be changed after construction.
 */
public final class Message {
    private static final byte[] EMPTY = new byte[0];

    private final int id;
    private final int seq;
    private final byte[] data;

    /** A message without a sequence id. */
    public Message(int id, byte[] data) {
        this(id, 0, data);
    }

    /** A message carrying a sequence id (used only by codecs that have a sequence field). */
    public Message(int id, int seq, byte[] data) {
        this.id = id;
        this.seq = seq;
        this.data = data == null ? EMPTY : data;
    }

    /** The message id (unsigned 32-bit). */
    public int id() {
        return id;
    }

    /** The sequence id, or 0 when the codec carries none. */
    public int seq() {
        return seq;
    }

    /** The payload, never null. Do not modify it. */
    public byte[] data() {
        return data;
    }

    /** The payload length in bytes (the seed's {@code DataLen}). */
    public int length() {
        return data.length;
    }

    /** The payload decoded as UTF-8 text. */
    public String text() {
        return new String(data, StandardCharsets.UTF_8);
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) return true;
        if (!(o instanceof Message)) return false;
        Message m = (Message) o;
        return id == m.id && seq == m.seq && Arrays.equals(data, m.data);
    }

    @Override
    public int hashCode() {
        return Objects.hash(id, seq) * 31 + Arrays.hashCode(data);
    }

    @Override
    public String toString() {
        return "Message{id=" + Integer.toUnsignedString(id)
                + (seq != 0 ? ", seq=" + Integer.toUnsignedString(seq) : "")
                + ", length=" + data.length + '}';
    }
}
