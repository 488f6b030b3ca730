package io.paguma;

/**
 * Handles the requests of one message id (seed 000's {@code IRouter}, P4).
 *
 * <p>The three steps run as a template method, in order: {@link #preHandle}, {@link #handle},
 * {@link #postHandle}. If a step throws, the remaining steps are skipped, the exception is logged
 * with the connection id, and the connection and the worker carry on. Only {@code handle} is
 * abstract, so the common case is a lambda: {@code route(1, request -> request.reply(1, request.data()))}.
 *
 * <p>Called on the connection's worker thread (or on its IO thread when {@code workerPoolSize}
 * is 0). Requests of one connection are handled one at a time and in arrival order; requests of
 * different connections may run concurrently, so a router shared between connections must be
 * thread-safe. With {@code workerPoolSize: 0} a router must never block.
 */
@FunctionalInterface
public interface Router {
    /** Runs before {@link #handle}. Does nothing by default. */
    default void preHandle(Request request) throws Exception {
    }

    /** The main step. */
    void handle(Request request) throws Exception;

    /** Runs after {@link #handle}. Does nothing by default. */
    default void postHandle(Request request) throws Exception {
    }
}
