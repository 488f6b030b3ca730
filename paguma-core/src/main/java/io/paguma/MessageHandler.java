package io.paguma;

import io.netty.util.collection.IntObjectHashMap;
import io.netty.util.collection.IntObjectMap;
import io.paguma.internal.Dispatcher;
import io.paguma.internal.EventHub;
import io.paguma.internal.Failures;
import io.paguma.internal.RateLimitedLog;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.List;
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
final class MessageHandler implements Dispatcher {
    private static final Logger log = LoggerFactory.getLogger(MessageHandler.class);
    private static final Interceptor[] NONE = new Interceptor[0];

    private final IntObjectMap<Route> routes;
    private final EventHub events;
    /** Null when no onUnknownMessage router is set. */
    private final Router unknownRouter;
    private final AtomicBoolean unknownFailedBefore = new AtomicBoolean();
    private final List<RouteTable.Scoped> interceptors;
    /** The onUnknownMessage router's route when it is the same for every id (no range interceptors); else null. */
    private final Route unknownRoute;
    private final RateLimitedLog unknownLog;
    private final RateLimitedLog failureLog;

    /** A route as it runs: its router, the interceptors around it, and whether it has thrown yet. */
    private record Route(Router router, Interceptor[] interceptors, AtomicBoolean failedBefore) {
    }

    MessageHandler(RouteTable table, Duration warnInterval, EventHub events) {
        this(table, warnInterval, events, null);
    }

    /**
     * @param summaries where the summaries of held-back warnings run: a shared runtime's IO loops,
     *                  or null for a daemon thread of its own that exists only while one is pending
     */
    MessageHandler(RouteTable table, Duration warnInterval, EventHub events, ScheduledExecutorService summaries) {
        this.events = events;
        IntObjectHashMap<Route> routeMap = new IntObjectHashMap<>(Math.max(8, table.routes.size() * 2));
        // Each route's interceptors are worked out once here: at run time a route is one lookup.
        table.routes.forEach((id, router) -> routeMap.put(id, new Route(router, table.interceptorsFor(id), new AtomicBoolean())));
        this.routes = routeMap;
        this.unknownRouter = table.unknownRouter;
        this.interceptors = List.copyOf(table.interceptors);
        this.unknownRoute = unknownRouter == null || interceptors.stream().anyMatch(i -> !i.all()) ? null
                : new Route(unknownRouter, table.interceptors.stream().map(RouteTable.Scoped::interceptor)
                        .toArray(Interceptor[]::new), unknownFailedBefore);
        if (summaries == null) summaries = RateLimitedLog.newScheduler("router");
        this.unknownLog = new RateLimitedLog(log, warnInterval, summaries);
        this.failureLog = new RateLimitedLog(log, warnInterval, summaries);
    }

    /** The router of {@code id}, or null. */
    @Override
    public Router router(int id) {
        Route r = routes.get(id);
        return r == null ? null : r.router;
    }

    /** Whether messages without a router go to an {@code onUnknownMessage} router (rather than being dropped). */
    @Override
    public boolean hasUnknownRouter() {
        return unknownRouter != null;
    }

    /**
     * Runs the interceptors for the request's id, then its router: pre, main, post. Throws only a
     * {@link VirtualMachineError} a step threw, after logging it and closing the request's
     * connection (see the class comment).
     */
    @Override
    public void handle(Request request) {
        if (request.message().timeoutMillis() != 0 && request.expired()) {
            // The caller has given up on it: running it would be wasted work, maybe harmful.
            events.requestExpired(request);
            failQuietly(request, RemoteException.DEADLINE_EXCEEDED, "the time limit of "
                    + request.message().timeoutMillis() + " ms passed before a worker took it");
            return;
        }
        Route route = routes.get(request.id());
        if (route == null) {
            if (unknownRouter == null) {
                Connection c = request.connection();
                unknownLog.warn(c + ": no router for message id "
                        + Integer.toUnsignedString(request.id()) + ", message of " + request.message().length()
                        + " bytes dropped", null);
                events.unknownMessage(c, request.id());
                // A caller waiting for this request learns it at once (codecs with a status field).
                failQuietly(request, RemoteException.NO_ROUTE, "no route for message id " + Integer.toUnsignedString(request.id()));
                return;
            }
            // Without range interceptors every unknown id takes the same route: made once, not per message.
            route = unknownRoute != null ? unknownRoute
                    : new Route(unknownRouter, unknownInterceptors(request.id()), unknownFailedBefore);
        }
        // The clock is read only when a listener asked for router timings, and then for its sample of the messages.
        int dice = events.samples ? java.util.concurrent.ThreadLocalRandom.current().nextInt() : 0;
        boolean timed = events.timesRouters && (dice & events.timingMask) == 0;
        long start = timed ? System.nanoTime() : 0;
        Steps steps = route.interceptors.length == 0 ? null : new Steps(route);
        String step = "preHandle";
        try {
            if (steps != null) {
                steps.proceed(request);
            } else {
                Router router = route.router;
                router.preHandle(request);
                step = "handle";
                router.handle(request);
                step = "postHandle";
                router.postHandle(request);
            }
            if (timed) events.routerTimed(request, System.nanoTime() - start, dice);
        } catch (Throwable t) {
            // A router that threw is timed too: its time is part of what the route costs.
            if (timed) events.routerTimed(request, System.nanoTime() - start, dice);
            failed(request, route, steps != null ? steps.step() : step, t);
        }
    }

    /** For an id without a router: the interceptors for all ids, and those of a range that holds it. */
    private Interceptor[] unknownInterceptors(int id) {
        if (interceptors.isEmpty()) return NONE;
        return interceptors.stream().filter(s -> s.appliesTo(id)).map(RouteTable.Scoped::interceptor)
                .toArray(Interceptor[]::new);
    }

    /** One run through a route's interceptors to its router; remembers the step it is in, for the log. */
    private static final class Steps implements Interceptor.Chain {
        private static final int PRE = -1;
        private static final int HANDLE = -2;
        private static final int POST = -3;
        private final Route route;
        private int next;
        /** The interceptor running (its index), or PRE/HANDLE/POST; named only when something failed. */
        private int at;

        Steps(Route route) {
            this.route = route;
        }

        @Override
        public void proceed(Request request) throws Exception {
            Interceptor[] chain = route.interceptors;
            if (next < chain.length) {
                at = next++;
                chain[at].intercept(request, this);
                return;
            }
            if (next++ > chain.length) throw new IllegalStateException("the chain was already run to the router");
            Router router = route.router;
            at = PRE;
            router.preHandle(request);
            at = HANDLE;
            router.handle(request);
            at = POST;
            router.postHandle(request);
        }

        String step() {
            return switch (at) {
                case PRE -> "preHandle";
                case HANDLE -> "handle";
                case POST -> "postHandle";
                default -> "interceptor " + (at + 1) + " of " + route.interceptors.length;
            };
        }
    }

    /**
     * Fails a request on its caller's side (see {@link Request#fail}), when it has a sequence id
     * and the codec a status field; with another codec the send fails at its encoding and nothing
     * goes out. Never throws: the failure being reported matters more.
     */
    private static void failQuietly(Request request, int status, String message) {
        if (request.seq() == 0) return;
        try {
            request.fail(status, message);
        } catch (RuntimeException ignored) {
            // The connection is closing, or the request is not one of ours: nothing to tell.
        }
    }

    private void failed(Request request, Route route, String step, Throwable t) {
        Connection c = request.connection();
        // Only the exception's class travels: its message may hold what the peer must not see.
        if (!(t instanceof VirtualMachineError)) {
            failQuietly(request, RemoteException.ROUTER_FAILED, "router for message id "
                    + Integer.toUnsignedString(request.id()) + " failed (" + t.getClass().getSimpleName() + ")");
        }
        // Not while the JVM is out of memory: the listeners would only make it worse.
        if (!(t instanceof OutOfMemoryError)) events.routerFailed(request, t);
        String line = c + ": router for message id " + Integer.toUnsignedString(request.id())
                + " threw in " + step + ": " + Failures.describe(t);
        if (!(t instanceof Error)) {
            AtomicBoolean failedBefore = route.failedBefore;
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
