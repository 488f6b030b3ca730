package io.paguma;

import io.netty.channel.Channel;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;

/**
 * One TCP session (P2, P12, T1). The same type serves the server side and the client side ({@link Client}).
 *
 * <p>The framework starts a connection when its socket is accepted and stops it when the socket
 * closes; {@link #close()} stops it from the application. Every method is safe to call from any
 * thread, before or after close: {@link #send} never blocks and never throws because the peer has
 * gone. It returns a future that fails with {@link ConnectionClosedException} instead.
 * Messages sent from one thread go out in the order they were sent.
 */
public interface Connection {

    /** A unique id, assigned in accept order, never reused within one server. */
    long id();

    /** The peer's address and port. */
    InetSocketAddress remoteAddress();

    /** The local address and port. */
    InetSocketAddress localAddress();

    /** The underlying Netty channel (the seed's socket). Prefer the methods of this interface. */
    Channel channel();

    /** True until the connection has been closed by either side. */
    boolean isOpen();

    /**
     * Sends one message. The future completes when the message has been written to the socket and
     * fails if the connection is or becomes closed first, or the codec cannot encode it.
     */
    CompletableFuture<Void> send(Message message);

    /**
     * Sends {@code message} as {@link #send(Message)} does, without a future: the cheapest send,
     * for the many replies and pushes whose outcome nobody reads (nothing is allocated to report
     * it). A send that fails because the connection closed is dropped quietly; one that fails for
     * another reason (too large, cannot be encoded, dropped by {@code outboundPolicy drop}) is
     * logged in one line. A buffer payload is released either way.
     */
    default void sendAndForget(Message message) {
        send(message);
    }

    /** Sends {@code data} with message id {@code id}. */
    default CompletableFuture<Void> send(int id, byte[] data) {
        return send(new Message(id, data));
    }

    /** Sends UTF-8 {@code text} with message id {@code id}. */
    default CompletableFuture<Void> send(int id, String text) {
        return send(new Message(id, text.getBytes(StandardCharsets.UTF_8)));
    }

    /**
     * Sends {@code message} as a request and completes with the peer's reply (T6): the message goes
     * out with a new sequence id, and the first message that comes back carrying that id — made by
     * {@link Request#reply} on the other side — completes the future. Waits at most
     * {@code requestTimeout} (config).
     *
     * <p>The future fails with a {@link java.util.concurrent.TimeoutException} when no reply comes
     * in time, with {@link ConnectionClosedException} when the connection closes first, and at once
     * with an {@link IllegalStateException} when the codec carries no sequence id or
     * {@code maxPendingRequests} requests already wait. Whatever happens, the waiter is removed: no
     * reply can leak or be awaited forever. The reply is not routed. The future completes on the IO
     * thread: do not block in its callbacks (use the {@code ...Async} variants for slow work). The
     * message's own {@code seq} is ignored.
     */
    CompletableFuture<Message> request(Message message);

    /** As {@link #request(Message)}, waiting at most {@code timeout} (up to 365 days) for the reply. */
    CompletableFuture<Message> request(Message message, java.time.Duration timeout);

    /** Requests with message id {@code id} and payload {@code data}, see {@link #request(Message)}. */
    default CompletableFuture<Message> request(int id, byte[] data) {
        return request(new Message(id, data));
    }

    /** Requests with message id {@code id} and payload {@code data}, waiting at most {@code timeout}. */
    default CompletableFuture<Message> request(int id, byte[] data, java.time.Duration timeout) {
        return request(new Message(id, data), timeout);
    }

    /** Requests with message id {@code id} and UTF-8 {@code text}. */
    default CompletableFuture<Message> request(int id, String text) {
        return request(new Message(id, text.getBytes(StandardCharsets.UTF_8)));
    }

    /** Bytes and messages received and sent on this connection so far (T7); cheap, callable from any thread. */
    Traffic traffic();

    /**
     * Flushes what was sent, then closes. The returned future is {@link #closeFuture()}: it
     * completes once the connection is fully torn down and {@code onConnStop} has run.
     */
    CompletableFuture<Void> close();

    /**
     * Whether the peer keeps up (B2): false while more than {@code writeBufferHighWaterMark} bytes
     * wait to be written to it, and once the connection is closed. A sender that paces itself sends
     * while this is true and otherwise waits for {@link #writable()}.
     */
    default boolean isWritable() {
        return isOpen();
    }

    /**
     * Completes when the connection can take more — at once if it can now, else once what waits
     * has drained below {@code writeBufferLowWaterMark}; fails if the connection closes first.
     * Completes on the connection's IO thread: continue elsewhere if the continuation blocks.
     */
    default CompletableFuture<Void> writable() {
        return CompletableFuture.completedFuture(null);
    }

    /**
     * Stops reading from the peer until {@link #resumeReading()}: the application's own
     * backpressure, for when what it was handed waits elsewhere (a queue a main loop drains). The
     * peer's further sends then wait in TCP; messages already read are still handled. Takes effect
     * on the connection's IO thread soon after the call; pausing twice is pausing once. Reading
     * also stays off while the framework's own reasons hold (a full worker, a peer that does not
     * read what it is sent), and goes on, to discard, once the connection is closing.
     */
    default void pauseReading() {
    }

    /** Undoes {@link #pauseReading()}: reading goes on unless the framework's own reasons hold it back. */
    default void resumeReading() {
    }

    /** Completes when the connection has closed and {@code onConnStop} has run (the seed's exit channel). */
    CompletableFuture<Void> closeFuture();

    /** The property stored under {@code key}, or null. */
    <T> T property(String key);

    /** Stores {@code value} under {@code key} (null removes it); returns the previous value. */
    <T> T property(String key, Object value);

    /** Removes the property under {@code key}; returns the previous value. */
    <T> T removeProperty(String key);
}
