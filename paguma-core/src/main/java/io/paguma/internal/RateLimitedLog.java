package io.paguma.internal;

import org.slf4j.Logger;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A warning that a peer can trigger at will (an unknown id, a router that throws, a bad frame):
 * logged at most once per interval, with the count of the lines held back in between, so a
 * misbehaving client cannot flood the log.
 */
public final class RateLimitedLog {
    private final Logger log;
    private final long intervalNanos;
    private final AtomicLong nextAllowed = new AtomicLong(Long.MIN_VALUE);
    private final AtomicLong suppressed = new AtomicLong();

    public RateLimitedLog(Logger log, Duration interval) {
        this.log = log;
        this.intervalNanos = interval.toNanos();
    }

    /** Logs {@code message} at WARN unless another line of this kind was logged within the interval. */
    public void warn(String message, Throwable cause) {
        long now = System.nanoTime();
        long next = nextAllowed.get();
        if ((next != Long.MIN_VALUE && now - next < 0) || !nextAllowed.compareAndSet(next, now + intervalNanos)) {
            suppressed.incrementAndGet();
            return;
        }
        long held = suppressed.getAndSet(0);
        String line = held == 0 ? message : message + " (" + held + " similar warnings suppressed)";
        if (cause == null) log.warn(line);
        else log.warn(line, cause);
    }
}
