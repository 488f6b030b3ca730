package io.paguma.cluster.internal;

import org.slf4j.Logger;

import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Warnings that a peer can trigger at will, rate-limited per kind: the first of a kind is logged,
 * then at most one per interval, saying how many were held back since the last one.
 */
public final class Warnings {
    private final Logger log;
    private final long intervalNanos;
    private final ConcurrentHashMap<String, Window> windows = new ConcurrentHashMap<>();

    private static final class Window {
        volatile long lastNanos;
        final AtomicLong held = new AtomicLong();

        Window(long lastNanos) {
            this.lastNanos = lastNanos;
        }
    }

    public Warnings(Logger log, Duration interval) {
        this.log = log;
        this.intervalNanos = interval.toNanos();
    }

    /** Logs {@code message} at WARN unless one of {@code kind} was logged less than an interval ago. */
    public void warn(String kind, String message, Throwable cause) {
        long now = System.nanoTime();
        Window w = windows.get(kind);
        if (w == null) {
            Window fresh = new Window(now);
            w = windows.putIfAbsent(kind, fresh);
            if (w == null) {
                log.warn(message, cause);
                return;
            }
        }
        long last = w.lastNanos;
        if (now - last < intervalNanos) {
            w.held.incrementAndGet();
            return;
        }
        synchronized (w) {
            if (w.lastNanos != last) {
                w.held.incrementAndGet();
                return;
            }
            w.lastNanos = now;
        }
        long held = w.held.getAndSet(0);
        log.warn(held == 0 ? message : message + " (" + held + " more like it in the last " + Duration.ofNanos(intervalNanos) + ")", cause);
    }
}
