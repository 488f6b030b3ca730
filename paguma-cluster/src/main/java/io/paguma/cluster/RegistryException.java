package io.paguma.cluster;

/** The registry could not do what was asked: unreachable, closed, or a live member has the id. */
public class RegistryException extends RuntimeException {
    public RegistryException(String message) {
        super(message);
    }

    public RegistryException(String message, Throwable cause) {
        super(message, cause);
    }
}
