package io.paguma;

import io.netty.channel.Channel;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;

/**
 * One TCP session (P2, P12). The same type serves the server side and, later, the client side.
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

    /** Sends {@code data} with message id {@code id}. */
    default CompletableFuture<Void> send(int id, byte[] data) {
        return send(new Message(id, data));
    }

    /** Sends UTF-8 {@code text} with message id {@code id}. */
    default CompletableFuture<Void> send(int id, String text) {
        return send(new Message(id, text.getBytes(StandardCharsets.UTF_8)));
    }

    /**
     * Flushes what was sent, then closes. The returned future is {@link #closeFuture()}: it
     * completes once the connection is fully torn down and {@code onConnStop} has run.
     */
    CompletableFuture<Void> close();

    /** Completes when the connection has closed and {@code onConnStop} has run (the seed's exit channel). */
    CompletableFuture<Void> closeFuture();

    /** The property stored under {@code key}, or null. */
    <T> T property(String key);

    /** Stores {@code value} under {@code key} (null removes it); returns the previous value. */
    <T> T property(String key, Object value);

    /** Removes the property under {@code key}; returns the previous value. */
    <T> T removeProperty(String key);
}
