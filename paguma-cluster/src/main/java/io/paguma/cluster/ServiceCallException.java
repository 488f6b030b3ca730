package io.paguma.cluster;

/** A blocking {@link ServiceContext#call} that got no reply: its deadline passed, its link broke, or it was interrupted. */
public class ServiceCallException extends RuntimeException {
    public ServiceCallException(String message, Throwable cause) {
        super(message, cause);
    }
}
