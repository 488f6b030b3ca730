package io.paguma;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;

/**
 * One received message bound to the connection it arrived on (P3).
 *
 * <p>Made by the framework for each decoded message and handed to the router of its id. A reply
 * sent with {@link #reply} carries the request's sequence id, so a client using a codec with
 * sequence ids can match it to its request.
 */
public final class Request {
    private final Connection connection;
    private final Message message;
    /** When the caller's time limit runs out, in {@code System.nanoTime()} milliseconds (wrapping int); 0 without one. */
    private final int expiresAtMillis;

    /**
     * {@code message} as received on {@code connection}. The framework makes one for each decoded
     * message; an application needs this only to call a router itself, as in a router's unit test.
     */
    public Request(Connection connection, Message message) {
        this.connection = connection;
        this.message = message;
        // Only a request that carries a time limit reads the clock; the int fits the object's padding.
        this.expiresAtMillis = message.timeoutMillis() == 0 ? 0 : nowMillis() + message.timeoutMillis();
    }

    private static int nowMillis() {
        return (int) (System.nanoTime() / 1_000_000);
    }

    /**
     * Whether the time limit the caller sent with this request ({@link Message#timeoutMillis()})
     * has passed since it arrived; always false without one. A request that has expired when a
     * worker comes to it is not run (see {@link RemoteException#DEADLINE_EXCEEDED}).
     */
    public boolean expired() {
        return message.timeoutMillis() != 0 && nowMillis() - expiresAtMillis >= 0;
    }

    /** The time left of the caller's time limit, or null when it sent none. */
    public java.time.Duration remaining() {
        if (message.timeoutMillis() == 0) return null;
        return java.time.Duration.ofMillis(Math.max(0, expiresAtMillis - nowMillis()));
    }

    /** The connection the message arrived on. */
    public Connection connection() {
        return connection;
    }

    /** The received message. */
    public Message message() {
        return message;
    }

    /** The message id (unsigned 32-bit). */
    public int id() {
        return message.id();
    }

    /**
     * The message's sequence id (unsigned 32-bit), the one {@link #reply} sends back; 0 when the
     * codec carries none (only {@code paguma} and {@code tron} do).
     */
    public int seq() {
        return message.seq();
    }

    /** The payload. Do not modify it. With {@code zeroCopy} on, this copies it out of the read buffer (each call: keep the array). */
    public byte[] data() {
        return message.data();
    }

    /**
     * The payload as a buffer, without a copy: with {@code zeroCopy} on, a view of the read buffer
     * that is valid until the router returns (call {@code message().retain()} to keep it longer,
     * and release it later); otherwise a buffer wrapping {@link #data()}. See {@link Message#payload()}.
     * An echo is {@code reply(id(), payload())}.
     */
    public io.netty.buffer.ByteBuf payload() {
        return message.payload();
    }

    /** The payload as UTF-8 text. */
    public String text() {
        return message.text();
    }

    /** Sends {@code data} back on the same connection with message id {@code id} and this request's sequence id. */
    public CompletableFuture<Void> reply(int id, byte[] data) {
        return connection.send(new Message(id, message.seq(), data));
    }

    /**
     * Sends the readable bytes of {@code data} back, as {@link #reply(int, byte[])}, without copying
     * them into an array. No reference is taken from you (see {@link Message}): the request's own
     * {@link #payload()} may be passed as it is, and a buffer you allocated is yours to release
     * once this returned.
     */
    public CompletableFuture<Void> reply(int id, io.netty.buffer.ByteBuf data) {
        return connection.send(new Message(id, message.seq(), data));
    }

    /**
     * Sends {@code data} back as {@link #reply(int, byte[])} does, without a future
     * ({@link Connection#sendAndForget}): nothing allocated to report the outcome.
     */
    public void replyAndForget(int id, byte[] data) {
        connection.sendAndForget(new Message(id, message.seq(), data));
    }

    /** As {@link #reply(int, io.netty.buffer.ByteBuf)}, without a future ({@link Connection#sendAndForget}). */
    public void replyAndForget(int id, io.netty.buffer.ByteBuf data) {
        connection.sendAndForget(new Message(id, message.seq(), data));
    }

    /**
     * Fails this request on the caller's side: its future fails at once with a
     * {@link RemoteException} carrying {@code status} and {@code message} (no stack trace travels).
     * Application statuses are 100-65535 (1-99 are Paguma's own, see {@link RemoteException}).
     * Needs a codec with a status field ({@code paguma}): with another, the returned future fails
     * and nothing is sent. A plain message (sequence id 0) has no caller waiting: nothing is sent.
     *
     * @throws IllegalArgumentException if {@code status} is not 1-65535
     */
    public CompletableFuture<Void> fail(int status, String message) {
        if (status < 1 || status > 0xFFFF) throw new IllegalArgumentException("status " + status + " is not 1-65535");
        if (this.message.seq() == 0) return CompletableFuture.completedFuture(null);
        return connection.send(Message.error(this.message.id(), this.message.seq(), status, message));
    }

    /** Sends UTF-8 {@code text} back, as {@link #reply(int, byte[])}. */
    public CompletableFuture<Void> reply(int id, String text) {
        return reply(id, text.getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public String toString() {
        return "Request{connection=" + connection.id() + ", " + message + '}';
    }
}
