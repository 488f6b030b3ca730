package io.paguma.cluster;

/** No connection has the client id now: it never connected, disconnected, or its node left. */
public class ClientGoneException extends RuntimeException {
    public ClientGoneException(String message) {
        super(message);
    }
}
