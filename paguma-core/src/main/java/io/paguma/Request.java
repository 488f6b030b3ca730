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

    /**
     * {@code message} as received on {@code connection}. The framework makes one for each decoded
     * message; an application needs this only to call a router itself, as in a router's unit test.
     */
    public Request(Connection connection, Message message) {
        this.connection = connection;
        this.message = message;
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

    /** The payload. Do not modify it. */
    public byte[] data() {
        return message.data();
    }

    /** The payload as UTF-8 text. */
    public String text() {
        return message.text();
    }

    /** Sends {@code data} back on the same connection with message id {@code id} and this request's sequence id. */
    public CompletableFuture<Void> reply(int id, byte[] data) {
        return connection.send(new Message(id, message.seq(), data));
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
