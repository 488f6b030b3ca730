package io.paguma.internal;

import io.paguma.Request;
import io.paguma.Router;

/**
 * An endpoint's routes as the internals use them: {@code io.paguma.MessageHandler}, which is not
 * API (only the framework calls it), seen from this package.
 */
public interface Dispatcher {

    /** The router of {@code id}, or null. */
    Router router(int id);

    /** Whether messages without a router go to an {@code onUnknownMessage} router (rather than being dropped). */
    boolean hasUnknownRouter();

    /**
     * Runs the interceptors for the request's id, then its router. Throws only a
     * {@link VirtualMachineError} a step threw, having logged it and closed the request's connection.
     */
    void handle(Request request);
}
