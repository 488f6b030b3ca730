package io.paguma;

import java.net.InetSocketAddress;
import java.time.Duration;

/**
 * Hears what happens to a server's or client's connections — everything that is otherwise only
 * a log line — so it can be counted, exported or acted on (the admin module's metrics are built
 * on it). Register it with {@code Server.Builder.eventListener}, {@code Client.Builder.eventListener}
 * or {@link PagumaRuntime#addEventListener} (every endpoint on the runtime). Each event is also
 * counted, always, in {@link EndpointStats}.
 *
 * <p>Every method has an empty default. They run on the thread where the event happens — an IO
 * thread, a worker, or a client's event thread — so return quickly and never block. One that
 * throws is logged (once per listener and event) and otherwise ignored.
 */
public interface EndpointListener {

    /** A connection was accepted (server) or established (client, before TLS). */
    default void accepted(Connection connection) {
    }

    /** A server refused a connection: {@code maxConn} reached, or too many closed connections wait for onConnStop. */
    default void refused(InetSocketAddress peer, String reason) {
    }

    /** The flood limits (all off by default, see docs/CONFIG.md). */
    enum Limit {
        /** {@code maxConn}: a connection was refused (also a {@link #refused} event). */
        MAX_CONN,
        /** {@code maxConnPerIp}: a connection was refused, at once (also a {@link #refused} event). */
        MAX_CONN_PER_IP,
        /** {@code acceptRate}: accepting paused until the next connection is allowed; connections wait in the backlog. */
        ACCEPT_RATE,
        /** {@code maxMessageRate}: a connection's reading was held back until it is under the rate again. */
        MESSAGE_RATE
    }

    /**
     * A flood limit acted. {@code peer} is the address concerned ({@code null} for
     * {@link Limit#ACCEPT_RATE}, which concerns the listener); {@code connection} is the connection
     * held back by {@link Limit#MESSAGE_RATE}, else {@code null} (a refused socket never became a
     * connection). Counted per kind in {@link EndpointStats}.
     */
    default void limitReached(Limit limit, InetSocketAddress peer, Connection connection) {
    }

    /**
     * A server's authenticator refused the connection, or it did not authenticate within
     * {@code authTimeout}; the connection is being closed.
     */
    default void authenticationFailed(Connection connection, String reason) {
    }

    /**
     * A frame was too long or malformed, or not whole within {@code frameTimeout} (its connection
     * is being closed), or the peer closed its side inside a frame (its last frame is lost).
     */
    default void frameRejected(Connection connection, String reason) {
    }

    /** A message had an id no router handles (and there is no onUnknownMessage router); it was dropped. */
    default void unknownMessage(Connection connection, int messageId) {
    }

    /** A router (a step of it) threw. */
    default void routerFailed(Request request, Throwable failure) {
    }

    /** A connection was closed because nothing arrived for {@code heartbeatMax}. */
    default void idleClosed(Connection connection, Duration silence) {
    }

    /** A peer that did not read was cut off: more than {@code maxPendingWriteBytes} waited for it. */
    default void slowPeerCut(Connection connection, long pendingBytes) {
    }

    /** Why reading a connection was paused. */
    enum PauseCause {
        /** The connection's worker queue is full (inbound backpressure). */
        WORKER_FULL,
        /** More than the write-buffer high water mark waits for the peer to read (outbound backpressure). */
        PEER_NOT_READING,
        /** The application asked for it ({@link Connection#pauseReading()}): what it was given waits to be handled. */
        APPLICATION,
        /** The peer sends faster than {@code maxMessageRate}: reading goes on once it is under the rate again. */
        MESSAGE_RATE
    }

    /**
     * Reading a connection was paused (backpressure). A pause ends with {@link #readingResumed}, or
     * with the connection's close (a peer cut off for not reading is closed while paused).
     */
    default void readingPaused(Connection connection, PauseCause cause) {
    }

    /** Reading a connection resumed after a pause. */
    default void readingResumed(Connection connection) {
    }

    /** A request got no reply within its timeout. */
    /**
     * A request's time limit (sent with it by a {@code paguma} peer) had passed when a worker came to
     * it: it did not run, and the caller was told (status {@link RemoteException#DEADLINE_EXCEEDED}).
     */
    default void requestExpired(Request request) {
    }

    default void requestTimedOut(Connection connection, int messageId, Duration timeout) {
    }

    /** A client will try to connect again (see {@link ClientListener#reconnecting}). */
    default void reconnecting(String client, int attempt, Duration delay, Throwable cause) {
    }

    /** A client stopped trying to connect (see {@link ClientListener#gaveUp}). */
    default void gaveUp(String client, int attempts, Throwable lastCause) {
    }

    /**
     * Whether {@link #routerTimed} is wanted. Asked once, when the endpoint is built; only then
     * is the clock read around each router (the hot path pays nothing otherwise).
     */
    default boolean timesRouters() {
        return false;
    }

    /**
     * Of how many routed messages one is timed, on average, when {@link #timesRouters()}: 1 times
     * every message; 32 reads the clock around one message in 32, chosen at random, so that a
     * histogram costs the hot path almost nothing. Rounded up to a power of two; each listener
     * hears its own sample, whatever other listeners asked for. Asked when the endpoint is built
     * and as messages are timed: return a constant.
     */
    default int routerTimingSample() {
        return 1;
    }

    /** A router ran for {@code nanos} (pre, handle and post), when {@link #timesRouters()} is true. */
    default void routerTimed(Request request, long nanos) {
    }
}
