package io.paguma;

import java.io.IOException;

/** The failure of a send, or of a pending operation, on a connection that is closed. */
public final class ConnectionClosedException extends IOException {
    /** {@code message} says what failed and, when known, why the connection closed. */
    public ConnectionClosedException(String message) {
        super(message);
    }
}
