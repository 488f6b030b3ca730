package io.paguma;

/**
 * A request failed on the far side (B12, T6): its router threw, it had no route, the peer was
 * stopping, its time limit passed before it ran, it was too large, or the router failed it on
 * purpose with {@link Request#fail}. The caller's future fails with this at once, instead of
 * waiting for its timeout. Only the status and a short message travel, never a stack trace.
 *
 * <p>Carried by codecs with a status field ({@code paguma}); see {@code docs/PROTOCOL.md}.
 * Statuses 1-99 are Paguma's own (the constants below); 100-65535 are the application's.
 */
public final class RemoteException extends RuntimeException {
    /** The peer's router for the message id threw. */
    public static final int ROUTER_FAILED = 1;
    /** The peer has no router for the message id (and no unknown-message router). */
    public static final int NO_ROUTE = 2;
    /** The peer is stopping and ran no more requests. */
    public static final int UNAVAILABLE = 3;
    /** The request's time limit passed before a worker of the peer took it; it did not run. */
    public static final int DEADLINE_EXCEEDED = 4;
    /** The request was larger than the peer's {@code maxPacketSize}; the peer closed the connection. */
    public static final int TOO_LARGE = 5;

    private final int status;
    private final String remoteMessage;

    public RemoteException(int status, String remoteMessage) {
        super("remote error " + status + " (" + name(status) + "): " + remoteMessage);
        this.status = status;
        this.remoteMessage = remoteMessage;
    }

    /** The status, 1-65535. */
    public int status() {
        return status;
    }

    /** The peer's message, as it sent it. */
    public String remoteMessage() {
        return remoteMessage;
    }

    /** A status's name: Paguma's own by name, others as {@code application}. */
    public static String name(int status) {
        return switch (status) {
            case ROUTER_FAILED -> "router failed";
            case NO_ROUTE -> "no route";
            case UNAVAILABLE -> "unavailable";
            case DEADLINE_EXCEEDED -> "deadline exceeded";
            case TOO_LARGE -> "too large";
            default -> status < 100 ? "reserved" : "application";
        };
    }
}
