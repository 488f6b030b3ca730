package io.paguma.admin;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.paguma.Connection;
import io.paguma.EndpointListener;
import io.paguma.Request;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * What the admin endpoint hears from the runtime's endpoints (an {@link EndpointListener} added
 * to the runtime): a count and a handling-time histogram per message id, the latest errors, and
 * when each connection opened. Runs on IO and worker threads: per message it touches only the
 * route's own {@link Timer} (found in an array by id, no lock); an error takes a slot of a ring.
 */
final class Recorder implements EndpointListener {
    /** One error the status page lists. */
    record Error(long index, long timeMillis, String kind, long connection, String address, String detail) {
    }

    /** A message id's series, made on first sight. */
    static final class Route {
        final String name;
        final Timer timer;

        Route(String name, Timer timer) {
            this.name = name;
            this.timer = timer;
        }
    }

    /**
     * The histograms' buckets: 14, from 10 µs to 10 s (Micrometer's default percentile histogram
     * has ~70, which for 256 routes made a /metrics of ~2 MB).
     */
    private static final Duration[] BUCKETS = {
            Duration.ofNanos(10_000), Duration.ofNanos(50_000), Duration.ofNanos(100_000), Duration.ofNanos(250_000),
            Duration.ofNanos(500_000), Duration.ofMillis(1), Duration.ofMillis(2), Duration.ofMillis(5), Duration.ofMillis(10),
            Duration.ofMillis(25), Duration.ofMillis(100), Duration.ofMillis(250), Duration.ofSeconds(1), Duration.ofSeconds(10)};

    private final MeterRegistry registry;
    private final int maxRoutes;
    private final ConcurrentHashMap<Integer, Route> routes = new ConcurrentHashMap<>();
    /** Ids below this go through the array: no boxing, no hashing on the hot path. */
    private static final int DIRECT = 4096;
    private final AtomicReferenceArray<Route> direct = new AtomicReferenceArray<>(DIRECT);
    private volatile Route other;
    /** Set once admin.routes ids have series: from then on a new id takes "other" without the lock. */
    private volatile boolean full;
    private final AtomicReferenceArray<Error> errors;
    private final AtomicLong nextError = new AtomicLong();
    private final Counter errorCount;
    /** Read pauses by cause: a full worker queue, a peer that does not read (write backpressure), the application. */
    private final Counter[] pauses = new Counter[PauseCause.values().length];
    /** When each open connection opened, by connection (several servers may reuse an id: each is keyed by its object). */
    final ConcurrentHashMap<Connection, Long> openedAt = new ConcurrentHashMap<>();

    /** One message in this many is timed (admin.routerSample). */
    final int sample;

    Recorder(MeterRegistry registry, int maxRoutes, int recentErrors, int sample) {
        this.registry = registry;
        this.sample = sample;
        this.maxRoutes = maxRoutes;
        this.errors = new AtomicReferenceArray<>(recentErrors);
        this.errorCount = Counter.builder("paguma.errors").description("Errors the status page lists: bad frames, unknown ids, router failures, refusals, idle closes, slow-peer cuts, request timeouts and expiries")
                .register(registry);
        for (PauseCause c : PauseCause.values()) {
            pauses[c.ordinal()] = Counter.builder("paguma.backpressure.pauses")
                    .description("Times reading a connection paused, by cause: worker_full (inbound), peer_not_reading (write backpressure), application, message_rate (maxMessageRate)")
                    .tag("cause", c.name().toLowerCase(java.util.Locale.ROOT)).register(registry);
        }
    }

    @Override
    public void readingPaused(Connection connection, PauseCause cause) {
        pauses[cause.ordinal()].increment();
    }

    @Override
    public boolean timesRouters() {
        return true;
    }

    @Override
    public int routerTimingSample() {
        return sample;
    }

    @Override
    public void routerTimed(Request request, long nanos) {
        route(request.id()).timer.record(nanos, TimeUnit.NANOSECONDS);
    }

    Route route(int id) {
        if (id >= 0 && id < DIRECT) {
            Route r = direct.get(id);
            if (r != null) return r;
        }
        Route r = routes.get(id);
        if (r != null) return r;
        if (full) {
            Route o = other;
            if (id >= 0 && id < DIRECT) direct.set(id, o);   // bounded: DIRECT slots
            return o;
        }
        return newRoute(id);
    }

    private synchronized Route newRoute(int id) {
        Route r = routes.get(id);
        if (r != null) return r;
        if (routes.size() >= maxRoutes) {
            if (other == null) other = make("other");
            full = true;
            return other;
        }
        r = make(Integer.toUnsignedString(id));
        routes.put(id, r);
        if (id >= 0 && id < DIRECT) direct.set(id, r);
        return r;
    }

    private Route make(String name) {
        Timer t = Timer.builder("paguma.router").description("Time a router took for a message (pre, handle, post), by message id; "
                        + "a random sample of the messages (admin.routerSample: one in " + sample + ")")
                .tag("route", name).serviceLevelObjectives(BUCKETS)
                .register(registry);
        return new Route(name, t);
    }

    /** The routes seen so far (and "other" when there were more than {@code admin.routes}). */
    List<Route> routes() {
        List<Route> all = new ArrayList<>(routes.values());
        Route o = other;
        if (o != null) all.add(o);
        return all;
    }

    /** The latest errors, newest first. */
    List<Error> recentErrors() {
        long end = nextError.get();
        int n = errors.length();
        List<Error> out = new ArrayList<>();
        for (long i = end - 1; i >= 0 && i >= end - n; i--) {
            Error e = errors.get((int) (i % n));
            // A slot claimed but not yet written still holds an older lap's error: skipped.
            if (e != null && e.index() == i) out.add(e);
        }
        return out;
    }

    private void error(String kind, Connection c, String detail) {
        InetSocketAddress a = c == null ? null : c.remoteAddress();
        error(kind, c == null ? -1 : c.id(), a, detail);
    }

    private void error(String kind, long connection, InetSocketAddress a, String detail) {
        errorCount.increment();
        String address = a == null ? "" : a.getHostString() + ":" + a.getPort();
        long i = nextError.getAndIncrement();
        errors.set((int) (i % errors.length()), new Error(i, System.currentTimeMillis(), kind, connection, address,
                detail.length() > 300 ? detail.substring(0, 300) + "..." : detail));
    }

    // --- the events

    @Override
    public void accepted(Connection connection) {
        openedAt.put(connection, System.currentTimeMillis());
        connection.closeFuture().whenComplete((v, e) -> openedAt.remove(connection));
    }

    @Override
    public void refused(InetSocketAddress peer, String reason) {
        error("refused", -1, peer, reason);
    }

    @Override
    public void frameRejected(Connection connection, String reason) {
        error("bad frame", connection, reason);
    }

    @Override
    public void unknownMessage(Connection connection, int messageId) {
        error("unknown message", connection, "no route for message id " + Integer.toUnsignedString(messageId));
    }

    @Override
    public void routerFailed(Request request, Throwable failure) {
        error("router failed", request.connection(), "message " + Integer.toUnsignedString(request.id()) + ": " + failure);
    }

    @Override
    public void idleClosed(Connection connection, Duration silence) {
        error("idle close", connection, "nothing received for " + silence.toMillis() + " ms");
    }

    @Override
    public void slowPeerCut(Connection connection, long pendingBytes) {
        error("slow peer cut", connection, pendingBytes + " bytes waited for it");
    }

    @Override
    public void requestExpired(Request request) {
        error("request expired", request.connection(), "message " + Integer.toUnsignedString(request.id()) + " waited past its time limit");
    }

    @Override
    public void requestTimedOut(Connection connection, int messageId, Duration timeout) {
        error("request timed out", connection, "no reply to message " + Integer.toUnsignedString(messageId) + " within " + timeout.toMillis() + " ms");
    }

    @Override
    public void gaveUp(String client, int attempts, Throwable lastCause) {
        error("client gave up", -1, null, client + " after " + attempts + " attempts: " + lastCause);
    }
}
