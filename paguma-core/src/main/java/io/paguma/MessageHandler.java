package io.paguma;

import io.netty.util.collection.IntObjectHashMap;
import io.netty.util.collection.IntObjectMap;
import io.paguma.internal.RateLimitedLog;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.Map;

/**
 * The table from message id to {@link Router} (P7), and the template that runs a router's steps
 * (Zinx's {@code MsgHandle} / {@code DoMsgHandler}). Built once by {@link Server.Builder}, read-only
 * afterwards, so lookups take no lock.
 *
 * <p>{@link #handle} is called by the framework on the connection's worker (or IO) thread: a
 * message with no router is dropped with a rate-limited warning, or given to the unknown-message
 * router when one is set; a step that throws is logged with the connection id and skips the steps
 * after it, and the connection and worker carry on.
 */
public final class MessageHandler {
    private static final Logger log = LoggerFactory.getLogger(MessageHandler.class);

    private final IntObjectMap<Router> routes;
    private final Router unknownRouter;
    private final RateLimitedLog unknownLog;
    private final RateLimitedLog failureLog;

    MessageHandler(Map<Integer, Router> routes, Router unknownRouter, Duration warnInterval) {
        IntObjectHashMap<Router> table = new IntObjectHashMap<>(Math.max(8, routes.size() * 2));
        routes.forEach(table::put);
        this.routes = table;
        this.unknownRouter = unknownRouter;
        this.unknownLog = new RateLimitedLog(log, warnInterval);
        this.failureLog = new RateLimitedLog(log, warnInterval);
    }

    /** The router of {@code id}, or null. */
    public Router router(int id) {
        return routes.get(id);
    }

    /** Whether messages without a router go to an {@code onUnknownMessage} router (rather than being dropped). */
    public boolean hasUnknownRouter() {
        return unknownRouter != null;
    }

    /** Runs the router of the request's id: pre, main, post. Never throws. */
    public void handle(Request request) {
        Router router = routes.get(request.id());
        if (router == null) {
            if (unknownRouter == null) {
                Connection c = request.connection();
                unknownLog.warn(c + ": no router for message id "
                        + Integer.toUnsignedString(request.id()) + ", message of " + request.message().length()
                        + " bytes dropped", null);
                return;
            }
            router = unknownRouter;
        }
        String step = "preHandle";
        try {
            router.preHandle(request);
            step = "handle";
            router.handle(request);
            step = "postHandle";
            router.postHandle(request);
        } catch (Throwable t) {
            // Even an Error (a StackOverflowError from a runaway parser, say) stays with this request:
            // letting it escape would kill the worker and stall every connection pinned to it.
            Connection c = request.connection();
            failureLog.warn(c + ": router for message id "
                    + Integer.toUnsignedString(request.id()) + " threw in " + step + ": " + t, t);
        }
    }
}
