package io.paguma.cluster;

/** A {@link SharedData} operation the store could not carry out: closed, unreachable, or a value of the wrong kind. */
public class SharedDataException extends RuntimeException {
    public SharedDataException(String message) {
        super(message);
    }

    public SharedDataException(String message, Throwable cause) {
        super(message, cause);
    }
}
