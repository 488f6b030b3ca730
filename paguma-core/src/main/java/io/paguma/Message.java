package io.paguma;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.util.ReferenceCounted;

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
 *
 * <p><b>Buffer payloads (zero copy).</b> A message may instead hold its payload as a Netty
 * {@link ByteBuf}: one made with a {@code ByteBuf} constructor, and every request a router receives
 * when {@code zeroCopy} is on (a retained slice of the read buffer, no copy). Such a message is
 * {@linkplain ReferenceCounted reference-counted}, as Netty's own messages are: the framework
 * releases a received one when its router returns, so a router that keeps it longer (hands it to
 * another thread, stores it) calls {@link #retain()} and later {@link #release()}. Sending never
 * takes a reference from you (unlike Netty's {@code write}): the framework retains what it sends
 * for as long as it needs it, so a router may send a received message or its payload on as they
 * are, and a buffer you allocated is still yours to release once {@code send} returned. {@link #data()} copies the bytes
 * out (a new array each call). For an array payload, {@code retain} and {@code release} do
 * nothing and {@link #refCnt()} is always 1.
 */
public final class Message implements ReferenceCounted {
    private static final byte[] EMPTY = new byte[0];

    private final int id;
    private final int seq;
    /** 0, or an error status (a failed request's reply, see {@link RemoteException}). */
    private final int status;
    /** A request's time limit in milliseconds as sent with it; 0 = none. */
    private final int timeoutMillis;
    /**
     * The payload: a {@code byte[]}, or a {@link ByteBuf} whose bytes are exactly its capacity
     * (indices 0 to capacity, whatever its reader index does). One field for both keeps a message
     * at 32 bytes, as it was before buffer payloads.
     */
    private final Object payload;

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
        this.payload = data == null ? EMPTY : data;
    }

    /** A message without a sequence id whose payload is the readable bytes of {@code payload} (not copied, no reference taken). */
    public Message(int id, ByteBuf payload) {
        this(id, 0, 0, 0, payload);
    }

    /** A message with a sequence id whose payload is the readable bytes of {@code payload} (not copied, no reference taken). */
    public Message(int id, int seq, ByteBuf payload) {
        this(id, seq, 0, 0, payload);
    }

    /**
     * A message with every field whose payload is the readable bytes of {@code payload}, not
     * copied. No reference is taken: {@code payload} stays the caller's to release (sending retains
     * what it needs while it needs it, so releasing right after {@code send} returned is fine);
     * {@link #release()} on this message releases it too. Reading {@code payload} afterwards does
     * not change the message's bytes; writing into them does (do not, once sent).
     *
     * @throws IllegalArgumentException if the status is not 0-65535 or the time limit is negative
     */
    public Message(int id, int seq, int status, int timeoutMillis, ByteBuf payload) {
        if (status < 0 || status > 0xFFFF) throw new IllegalArgumentException("status " + status + " is not 0-65535");
        if (timeoutMillis < 0) throw new IllegalArgumentException("timeoutMillis " + timeoutMillis + " is negative");
        this.id = id;
        this.seq = seq;
        this.status = status;
        this.timeoutMillis = timeoutMillis;
        java.util.Objects.requireNonNull(payload, "payload");
        // A slice of exactly the readable bytes (sharing the reference count), unless it is one already.
        this.payload = payload.readerIndex() == 0 && payload.writerIndex() == payload.capacity() ? payload : payload.slice();
    }

    /** Same header fields as {@code m}, its payload shared (no reference taken). */
    private Message(Message m, int seq, int status, int timeoutMillis) {
        this.id = m.id;
        this.seq = seq;
        this.status = status;
        this.timeoutMillis = timeoutMillis;
        this.payload = m.payload;
    }

    /**
     * The reply that fails request {@code seq} on the caller's side with a {@link RemoteException}:
     * {@code status} (1-65535) and a UTF-8 {@code text}, no stack trace.
     */
    public static Message error(int id, int seq, int status, String text) {
        if (status == 0) throw new IllegalArgumentException("an error needs a status other than 0");
        return new Message(id, seq, status, 0, text == null ? EMPTY : text.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * This message with a time limit, as a request carries it (a codec without the field drops it).
     * A buffer payload is shared, not retained: send one of the two.
     */
    public Message withTimeout(int millis) {
        if (millis < 0) throw new IllegalArgumentException("timeoutMillis " + millis + " is negative");
        return new Message(this, seq, status, millis);
    }

    /** This message with sequence id {@code seq}. A buffer payload is shared, not retained: send one of the two. */
    public Message withSeq(int seq) {
        return new Message(this, seq, status, timeoutMillis);
    }

    /**
     * This message as a request: sequence id {@code seq}, no status, time limit {@code timeoutMillis};
     * a buffer payload is shared, not retained.
     */
    public Message asRequest(int seq, int timeoutMillis) {
        if (timeoutMillis < 0) throw new IllegalArgumentException("timeoutMillis " + timeoutMillis + " is negative");
        return new Message(this, seq, 0, timeoutMillis);
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

    /**
     * The payload, never null. Do not modify it. For a buffer payload, each call copies the bytes
     * out into a new array (keep the one you got).
     *
     * @throws IllegalStateException if the payload is a buffer already released
     */
    public byte[] data() {
        if (payload instanceof byte[]) return (byte[]) payload;
        ByteBuf b = live();
        byte[] d = new byte[b.capacity()];
        b.getBytes(0, d);
        return d;
    }

    /** The buffer payload, checked not to be released yet. */
    private ByteBuf live() {
        ByteBuf b = (ByteBuf) payload;
        if (b.refCnt() == 0) throw released();
        return b;
    }

    private IllegalStateException released() {
        return new IllegalStateException(this + ": its payload buffer was released (a received message is"
                + " released when its router returns: retain() it to keep it longer, or take copy())");
    }

    /** The payload length in bytes (the seed's {@code DataLen}). */
    public int length() {
        return payload instanceof byte[] ? ((byte[]) payload).length : ((ByteBuf) payload).capacity();
    }

    /** The payload decoded as UTF-8 text. */
    public String text() {
        if (payload instanceof byte[]) return new String((byte[]) payload, StandardCharsets.UTF_8);
        ByteBuf b = live();
        return b.toString(0, b.capacity(), StandardCharsets.UTF_8);
    }

    /** Whether the payload is a {@link ByteBuf} (zero copy) rather than an array. */
    public boolean hasBuffer() {
        return payload instanceof ByteBuf;
    }

    /**
     * The payload as a buffer, without copying: for a buffer payload that buffer itself (valid
     * while the message is not released; reading it moves its reader index, which changes nothing
     * of the message), for an array payload a buffer wrapping the array.
     */
    public ByteBuf payload() {
        return payload instanceof ByteBuf ? (ByteBuf) payload : Unpooled.wrappedBuffer((byte[]) payload);
    }

    /**
     * A view of exactly the payload bytes with a reference of its own (the caller releases it):
     * for a buffer payload a retained slice, for an array payload a buffer wrapping it.
     */
    public ByteBuf retainedPayload() {
        if (payload instanceof byte[]) return Unpooled.wrappedBuffer((byte[]) payload);
        ByteBuf b = live();
        return b.retainedSlice(0, b.capacity());
    }

    /** Writes the payload into {@code out} (as a codec's {@code encode} does), leaving the message as it is. */
    public void writePayload(ByteBuf out) {
        if (payload instanceof byte[]) {
            out.writeBytes((byte[]) payload);
        } else {
            ByteBuf b = live();
            out.writeBytes(b, 0, b.capacity());
        }
    }

    /**
     * This message with its payload in an array of its own: for a buffer payload, a copy that needs
     * no release (this one still does); an array payload is returned as is.
     */
    public Message copy() {
        if (payload instanceof byte[]) return this;
        return new Message(id, seq, status, timeoutMillis, data());
    }

    @Override
    public int refCnt() {
        return payload instanceof ByteBuf ? ((ByteBuf) payload).refCnt() : 1;
    }

    @Override
    public Message retain() {
        return retain(1);
    }

    @Override
    public Message retain(int increment) {
        if (payload instanceof ByteBuf) ((ByteBuf) payload).retain(increment);
        return this;
    }

    @Override
    public Message touch() {
        if (payload instanceof ByteBuf) ((ByteBuf) payload).touch();
        return this;
    }

    @Override
    public Message touch(Object hint) {
        if (payload instanceof ByteBuf) ((ByteBuf) payload).touch(hint);
        return this;
    }

    /** Releases one reference to a buffer payload; false for an array payload (nothing to release). */
    @Override
    public boolean release() {
        return release(1);
    }

    @Override
    public boolean release(int decrement) {
        return payload instanceof ByteBuf && ((ByteBuf) payload).release(decrement);
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) return true;
        if (!(o instanceof Message)) return false;
        Message m = (Message) o;
        return id == m.id && seq == m.seq && status == m.status && timeoutMillis == m.timeoutMillis
                && Arrays.equals(data(), m.data());
    }

    @Override
    public int hashCode() {
        return Objects.hash(id, seq) * 31 + Arrays.hashCode(data());
    }

    @Override
    public String toString() {
        return "Message{id=" + Integer.toUnsignedString(id)
                + (seq != 0 ? ", seq=" + Integer.toUnsignedString(seq) : "")
                + (status != 0 ? ", status=" + status : "")
                + (timeoutMillis != 0 ? ", timeout=" + timeoutMillis + "ms" : "")
                + ", length=" + length() + '}';
    }
}
