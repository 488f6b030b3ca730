package io.paguma.internal;

import io.paguma.Connection;
import io.paguma.EndpointListener;
import io.paguma.EndpointStats;
import io.paguma.Request;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;

/**
 * Where an endpoint's events go: its counters (always), its listeners, and its runtime's hub,
 * which counts and tells the runtime's listeners the same. One per endpoint, one per runtime.
 */
public final class EventHub {
    private static final Logger log = LoggerFactory.getLogger(EventHub.class);

    private final EventHub parent;
    private final List<EndpointListener> listeners;
    /** Whether some listener here or above wants router timings (fixed when the endpoint is built). */
    public final boolean timesRouters;
    /** A message is timed when a random int and this are 0 (0: every message); from the timing listeners' smallest sample. */
    public final int timingMask;
    /** Whether some timing listener wants a sample (then each timed message carries a random int for them to pick by). */
    public final boolean samples;
    private final Set<String> loggedFailures = ConcurrentHashMap.newKeySet();
    /** One counter per {@link Kind}. */
    private final LongAdder[] counts = new LongAdder[Kind.values().length];

    /** The counted events, in the order of {@link EndpointStats}'s fields. */
    private enum Kind {
        ACCEPTED, REFUSED, FRAME_REJECTED, UNKNOWN_MESSAGE, ROUTER_FAILED, IDLE_CLOSED, SLOW_PEER_CUT,
        READING_PAUSED, REQUEST_TIMED_OUT, RECONNECTING, GAVE_UP, REQUEST_EXPIRED,
        PER_IP_REFUSED, ACCEPT_RATE_PAUSED, MESSAGE_RATE_LIMITED, AUTH_FAILED
    }

    {
        for (int i = 0; i < counts.length; i++) counts[i] = new LongAdder();
    }

    /** A runtime's hub: listeners may be added at any time. */
    public EventHub() {
        this.parent = null;
        this.listeners = new CopyOnWriteArrayList<>();
        this.timesRouters = false;
        this.timingMask = 0;
        this.samples = false;
    }

    /** An endpoint's hub, with its own listeners and its runtime's hub (or null). */
    public EventHub(List<EndpointListener> own, EventHub parent) {
        this.parent = parent;
        this.listeners = List.copyOf(own);
        boolean timing = false;
        int sample = Integer.MAX_VALUE;
        int most = 1;
        List<EndpointListener> all = new java.util.ArrayList<>(own);
        if (parent != null) all.addAll(parent.listeners);
        for (EndpointListener l : all) {
            if (!l.timesRouters()) continue;
            timing = true;
            sample = Math.min(sample, Math.max(1, l.routerTimingSample()));
            most = Math.max(most, l.routerTimingSample());
        }
        this.samples = timing && most > 1;
        this.timesRouters = timing;
        this.timingMask = timing ? maskOf(sample) : 0;
    }

    /** A runtime's listener. */
    public void add(EndpointListener listener) {
        listeners.add(listener);
    }

    /** Removes a runtime's listener; endpoints built with its router timings stop calling it at once. */
    public void remove(EndpointListener listener) {
        listeners.remove(listener);
    }

    public EndpointStats stats() {
        return new EndpointStats(count(Kind.ACCEPTED), count(Kind.REFUSED), count(Kind.FRAME_REJECTED),
                count(Kind.UNKNOWN_MESSAGE), count(Kind.ROUTER_FAILED), count(Kind.IDLE_CLOSED),
                count(Kind.SLOW_PEER_CUT), count(Kind.READING_PAUSED), count(Kind.REQUEST_TIMED_OUT),
                count(Kind.RECONNECTING), count(Kind.GAVE_UP), count(Kind.REQUEST_EXPIRED),
                count(Kind.PER_IP_REFUSED), count(Kind.ACCEPT_RATE_PAUSED), count(Kind.MESSAGE_RATE_LIMITED),
                count(Kind.AUTH_FAILED));
    }

    private long count(Kind kind) {
        return counts[kind.ordinal()].sum();
    }

    public void accepted(Connection c) {
        fire(Kind.ACCEPTED, "accepted", l -> l.accepted(c));
    }

    public void refused(InetSocketAddress peer, String reason) {
        fire(Kind.REFUSED, "refused", l -> l.refused(peer, reason));
    }

    public void limitReached(EndpointListener.Limit limit, InetSocketAddress peer, Connection c) {
        Kind kind = switch (limit) {
            case MAX_CONN -> null;
            case MAX_CONN_PER_IP -> Kind.PER_IP_REFUSED;
            case ACCEPT_RATE -> Kind.ACCEPT_RATE_PAUSED;
            case MESSAGE_RATE -> Kind.MESSAGE_RATE_LIMITED;
        };
        fire(kind, "limitReached", l -> l.limitReached(limit, peer, c));
    }

    public void authenticationFailed(Connection c, String reason) {
        fire(Kind.AUTH_FAILED, "authenticationFailed", l -> l.authenticationFailed(c, reason));
    }

    public void frameRejected(Connection c, String reason) {
        fire(Kind.FRAME_REJECTED, "frameRejected", l -> l.frameRejected(c, reason));
    }

    public void unknownMessage(Connection c, int id) {
        fire(Kind.UNKNOWN_MESSAGE, "unknownMessage", l -> l.unknownMessage(c, id));
    }

    public void routerFailed(Request r, Throwable t) {
        fire(Kind.ROUTER_FAILED, "routerFailed", l -> l.routerFailed(r, t));
    }

    public void idleClosed(Connection c, Duration silence) {
        fire(Kind.IDLE_CLOSED, "idleClosed", l -> l.idleClosed(c, silence));
    }

    public void slowPeerCut(Connection c, long pendingBytes) {
        fire(Kind.SLOW_PEER_CUT, "slowPeerCut", l -> l.slowPeerCut(c, pendingBytes));
    }

    public void readingPaused(Connection c, EndpointListener.PauseCause cause) {
        fire(Kind.READING_PAUSED, "readingPaused", l -> l.readingPaused(c, cause));
    }

    public void readingResumed(Connection c) {
        fire(null, "readingResumed", l -> l.readingResumed(c));
    }

    public void requestExpired(Request r) {
        fire(Kind.REQUEST_EXPIRED, "requestExpired", l -> l.requestExpired(r));
    }

    public void requestTimedOut(Connection c, int id, Duration timeout) {
        fire(Kind.REQUEST_TIMED_OUT, "requestTimedOut", l -> l.requestTimedOut(c, id, timeout));
    }

    public void reconnecting(String client, int attempt, Duration delay, Throwable cause) {
        fire(Kind.RECONNECTING, "reconnecting", l -> l.reconnecting(client, attempt, delay, cause));
    }

    public void gaveUp(String client, int attempts, Throwable cause) {
        fire(Kind.GAVE_UP, "gaveUp", l -> l.gaveUp(client, attempts, cause));
    }

    /**
     * Only when {@link #timesRouters} and {@code dice} picked the message ({@code dice & timingMask}
     * is 0): to each listener that asked for timings, for its own sample (the low bits of the same
     * random int, its sample's mask), so each hears one message in its own sample whatever the
     * others asked for.
     */
    public void routerTimed(Request r, long nanos, int dice) {
        // Once per timed message: no lambda, nothing allocated.
        for (EndpointListener l : listeners) {
            if (!l.timesRouters() || (dice & maskOf(l)) != 0) continue;
            try {
                l.routerTimed(r, nanos);
            } catch (VirtualMachineError e) {
                throw e;
            } catch (Throwable t) {
                if (loggedFailures.add(l.getClass().getName() + "#routerTimed")) {
                    Failures.warn(log, "event listener " + l.getClass().getName() + " threw in routerTimed (logged once): "
                            + Failures.describe(t), t);
                }
            }
        }
        if (parent != null) parent.routerTimed(r, nanos, dice);
    }

    /** A sample of n as the mask of a random int's low bits: n rounded up to a power of two (at most 2^30), minus 1. */
    static int maskOf(int sample) {
        return sample <= 1 ? 0 : (Integer.highestOneBit(Math.min(sample, 1 << 30) - 1) << 1) - 1;
    }

    private static int maskOf(EndpointListener l) {
        return maskOf(l.routerTimingSample());
    }

    /** Counts {@code kind} (null: not counted), tells the listeners, then the runtime's hub does the same. */
    private void fire(Kind kind, String event, Consumer<EndpointListener> call) {
        if (kind != null) counts[kind.ordinal()].increment();
        for (EndpointListener l : listeners) {
            try {
                call.accept(l);
            } catch (VirtualMachineError e) {
                throw e;
            } catch (Throwable t) {
                // Once per listener and event: a listener that always throws must not flood the log.
                if (loggedFailures.add(l.getClass().getName() + "#" + event)) {
                    Failures.warn(log, "event listener " + l.getClass().getName() + " threw in " + event
                            + " (logged once): " + Failures.describe(t), t);
                }
            }
        }
        if (parent != null) parent.fire(kind, event, call);
    }
}
