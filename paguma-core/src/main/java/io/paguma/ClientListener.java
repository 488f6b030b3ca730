package io.paguma;

import java.time.Duration;

/**
 * Hears what a {@link Client}'s connection does (T3): connects, losses, scheduled retries,
 * giving up, close. Every method has an empty default; override what you need. Called on the
 * client's event thread, one event at a time, in the order of the client's state changes (so
 * {@code disconnected} never overtakes the {@code connected} before it); {@code connect()}'s future
 * completes there too. Blocking here delays the client's later events, not its IO. An exception
 * thrown here is logged (an {@link Error} at ERROR) and otherwise ignored; a
 * {@link VirtualMachineError} is rethrown after it is logged.
 */
public interface ClientListener {

    /**
     * A connection is established (with TLS, after the handshake) and {@code onConnStart} has run;
     * what waited in the offline queue has been sent after the hook's own sends.
     */
    default void connected(Connection connection) {
    }

    /** The established connection was lost or closed by the server. */
    default void disconnected(Connection connection) {
    }

    /**
     * Attempt {@code attempt} (1, 2, … within this outage) will be made in {@code delay}:
     * {@code reconnectBase * 2^(attempt-1)}, capped at {@code reconnectMaxDelay}, varied by
     * {@code reconnectJitter}. {@code cause} is why the link is down.
     */
    default void reconnecting(int attempt, Duration delay, Throwable cause) {
    }

    /** The client stopped trying after {@code attempts} retries ({@code reconnectAttempts}, or {@code reconnect: false}). */
    default void gaveUp(int attempts, Throwable lastCause) {
    }

    /** {@link Client#close()} has finished: the connection is closed and every thread has ended. */
    default void closed() {
    }
}
