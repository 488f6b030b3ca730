package io.paguma;

import io.netty.util.collection.IntObjectHashMap;
import io.netty.util.collection.IntObjectMap;
import io.paguma.internal.EventHub;
import io.paguma.internal.Failures;
import io.paguma.internal.RateLimitedLog;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The table from message id to {@link Router} (P7), and the template that runs a router's steps
 * (Zinx's {@code MsgHandle} / {@code DoMsgHandler}). Built once by {@link Server.Builder}, read-only
 * afterwards, so lookups take no lock.
 *
 * <p>{@link #handle} is called by the framework on the connection's worker (or IO) thread: a
 * message with no router is dropped with a rate-limited warning, or given to the unknown-message
 * router when one is set; a step that throws skips the steps after it and is logged with the
 * connection (id and address), the message id and the step:
 * <ul>
 *   <li>an {@link Exception}: a WARN line with its stack trace; the first one of each route
 *       (message id; the {@code onUnknownMessage} router counts as one route) is always logged, so
 *       a developer sees each new bug, later ones are rate-limited (a peer can trigger them at
 *       will); the connection and the worker carry on;</li>
 *   <li>any other {@link Error} ({@code AssertionError}, {@code LinkageError} such as
 *       {@code NoClassDefFoundError}, ...): an ERROR line every time, never rate-limited; the
 *       connection and the worker carry on;</li>
 *   <li>a {@link VirtualMachineError} ({@code OutOfMemoryError}, {@code StackOverflowError},
 *       {@code InternalError}): an ERROR line every time, then the connection is closed (its state
 *       after the error is unknown) and the error is rethrown to the thread running the router.
 *       A worker logs it and carries on with its next task, so every other connection on it is
 *       still served; on an IO thread ({@code workerPoolSize: 0}) Netty's pipeline catches it and
 *       the event loop carries on the same way.</li>
 * </ul>
 */
public final class MessageHandler {
    private static final Logger log = LoggerFactory.getLogger(MessageHandler.class);

    private final IntObjectMap<Router> routes;
    private final EventHub events;
    private final Router unknownRouter;
    private final RateLimitedLog unknownLog;
    private final RateLimitedLog failureLog;
    /** Per route: whether it has thrown an Exception yet. Fixed keys, so reads take no lock. */
    private final IntObjectMap<AtomicBoolean> failedBefore;
    private final AtomicBoolean unknownFailedBefore = new AtomicBoolean();

    MessageHandler(Map<Integer, Router> routes, Router unknownRouter, Duration warnInterval, EventHub events) {
        this(routes, unknownRouter, warnInterval, events, null);
    }

    /**
     * @param summaries where the summaries of held-back warnings run: a shared runtime's IO loops,
     *                  or null for a daemon thread of its own that exists only while one is pending
     */
    MessageHandler(Map<Integer, Router> routes, Router unknownRouter, Duration warnInterval, EventHub events,
                   ScheduledExecutorService summaries) {
        this.events = events;
        IntObjectHashMap<Router> table = new IntObjectHashMap<>(Math.max(8, routes.size() * 2));
        routes.forEach(table::put);
        this.routes = table;
        IntObjectHashMap<AtomicBoolean> failed = new IntObjectHashMap<>(Math.max(8, routes.size() * 2));
        routes.keySet().forEach(id -> failed.put(id, new AtomicBoolean()));
        this.failedBefore = failed;
        this.unknownRouter = unknownRouter;
        if (summaries == null) summaries = RateLimitedLog.newScheduler("router");
        this.unknownLog = new RateLimitedLog(log, warnInterval, summaries);
        this.failureLog = new RateLimitedLog(log, warnInterval, summaries);
    }

    /** The router of {@code id}, or null. */
    public Router router(int id) {
        return routes.get(id);
    }

    /** Whether messages without a router go to an {@code onUnknownMessage} router (rather than being dropped). */
    public boolean hasUnknownRouter() {
        return unknownRouter != null;
    }

    /**
     * Runs the router of the request's id: pre, main, post. Throws only a {@link VirtualMachineError}
     * a step threw, after logging it and closing the request's connection (see the class comment).
     */
    public void handle(Request request) {
        Router router = routes.get(request.id());
        boolean unknown = router == null;
        if (unknown) {
            if (unknownRouter == null) {
                Connection c = request.connection();
                unknownLog.warn(c + ": no router for message id "
                        + Integer.toUnsignedString(request.id()) + ", message of " + request.message().length()
                        + " bytes dropped", null);
                events.unknownMessage(c, request.id());
                return;
            }
            router = unknownRouter;
        }
        String step = "preHandle";
        // The clock is read only when a listener asked for router timings.
        long start = events.timesRouters ? System.nanoTime() : 0;
        try {
            router.preHandle(request);
            step = "handle";
            router.handle(request);
            step = "postHandle";
            router.postHandle(request);
            if (events.timesRouters) events.routerTimed(request, System.nanoTime() - start);
        } catch (Throwable t) {
            Connection c = request.connection();
            // Not while the JVM is out of memory: the listeners would only make it worse.
            if (!(t instanceof OutOfMemoryError)) events.routerFailed(request, t);
            String line = c + ": router for message id " + Integer.toUnsignedString(request.id())
                    + " threw in " + step + ": " + Failures.describe(t);
            if (!(t instanceof Error)) {
                // Looked up only here: the path without failures pays nothing for it.
                AtomicBoolean failedBefore = unknown ? unknownFailedBefore : this.failedBefore.get(request.id());
                if (!failedBefore.get() && failedBefore.compareAndSet(false, true)) {
                    // A route's first failure is never held back: a developer's second and third
                    // bug (in other routes) would otherwise hide behind the first one's interval.
                    failureLog.warnAlways(line + " (first failure of this route; later ones are logged"
                            + " at most once per warnInterval)", t);
                } else {
                    failureLog.warn(line, t);
                }
                return;
            }
            // An Error is never rate-limited: it is rare, and an OutOfMemoryError held back by the
            // limiter would vanish without a trace.
            Failures.error(log, line, t);
            if (t instanceof VirtualMachineError) {
                closeQuietly(c);
                throw (VirtualMachineError) t;
            }
            // Any other Error (an AssertionError, a NoClassDefFoundError) stays with this request:
            // the connection and the worker carry on.
        }
    }

    /** Best effort, while the JVM may be short of memory: the error being rethrown matters more. */
    private static void closeQuietly(Connection c) {
        if (c == null) return;
        try {
            c.close();
        } catch (Throwable ignored) {
            // The caller rethrows the original error.
        }
    }
}
