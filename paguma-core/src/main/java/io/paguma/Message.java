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
    /** 0, or an error status (a failed request's reply, see {@link RemoteException}). */
    private final int status;
    /** A request's time limit in milliseconds as sent with it; 0 = none. */
    private final int timeoutMillis;
    private final byte[] data;

    /** A message without a sequence id. */
    public Message(int id, byte[] data) {
        this(id, 0, 0, 0, data);
    }

    /** A message carrying a sequence id (used only by codecs that have a sequence field). */
    public Message(int id, int seq, byte[] data) {
        this(id, seq, 0, 0, data);
    }

    /**
     * A message with every field: a status (0 = none; carried only by codecs that have a status
     * field, {@code paguma}) and a request's time limit in milliseconds (0 = none; idem).
     *
     * @throws IllegalArgumentException if the status is not 0-65535 or the time limit is negative
     */
    public Message(int id, int seq, int status, int timeoutMillis, byte[] data) {
        if (status < 0 || status > 0xFFFF) throw new IllegalArgumentException("status " + status + " is not 0-65535");
        if (timeoutMillis < 0) throw new IllegalArgumentException("timeoutMillis " + timeoutMillis + " is negative");
        this.id = id;
        this.seq = seq;
        this.status = status;
        this.timeoutMillis = timeoutMillis;
        this.data = data == null ? EMPTY : data;
    }

    /**
     * The reply that fails request {@code seq} on the caller's side with a {@link RemoteException}:
     * {@code status} (1-65535) and a UTF-8 {@code text}, no stack trace.
     */
    public static Message error(int id, int seq, int status, String text) {
        if (status == 0) throw new IllegalArgumentException("an error needs a status other than 0");
        return new Message(id, seq, status, 0, text == null ? EMPTY : text.getBytes(StandardCharsets.UTF_8));
    }

    /** This message with a time limit, as a request carries it (a codec without the field drops it). */
    public Message withTimeout(int millis) {
        return new Message(id, seq, status, millis, data);
    }

    /** This message with sequence id {@code seq}. */
    public Message withSeq(int seq) {
        return new Message(id, seq, status, timeoutMillis, data);
    }

    /** 0, or the error status of a failed request's reply (see {@link RemoteException}). */
    public int status() {
        return status;
    }

    /** A request's time limit in milliseconds as its sender set it; 0 when none was sent. */
    public int timeoutMillis() {
        return timeoutMillis;
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
        return id == m.id && seq == m.seq && status == m.status && timeoutMillis == m.timeoutMillis
                && Arrays.equals(data, m.data);
    }

    @Override
    public int hashCode() {
        return Objects.hash(id, seq) * 31 + Arrays.hashCode(data);
    }

    @Override
    public String toString() {
        return "Message{id=" + Integer.toUnsignedString(id)
                + (seq != 0 ? ", seq=" + Integer.toUnsignedString(seq) : "")
                + (status != 0 ? ", status=" + status : "")
                + (timeoutMillis != 0 ? ", timeout=" + timeoutMillis + "ms" : "")
                + ", length=" + data.length + '}';
    }
}
