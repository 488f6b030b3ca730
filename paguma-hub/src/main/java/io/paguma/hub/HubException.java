package io.paguma.hub;

/**
 * A hub operation that failed for a reason of the network or of the hub's own rules: a peer that
 * cannot be reached or refused the link, a full queue, a port listened on twice, a hub that was
 * destroyed. Misuse of an operation in the wrong state is an {@link IllegalStateException} instead.
 */
public class HubException extends RuntimeException {
    public HubException(String message) {
        super(message);
    }

    public HubException(String message, Throwable cause) {
        super(message, cause);
    }
}
