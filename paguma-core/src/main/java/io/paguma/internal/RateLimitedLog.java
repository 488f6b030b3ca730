package io.paguma.internal;

import org.slf4j.Logger;

import java.time.Duration;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * A warning that a peer can trigger at will (an unknown id, a router that throws, a bad frame):
 * logged at most once per interval, so a misbehaving client cannot flood the log.
 *
 * <p>What is held back is always reported, exactly once: when an interval in which lines were
 * suppressed ends, one line "N similar warnings suppressed in the last X ms (last: ...)" is logged
 * by itself, from a task on the scheduler given here; if the next warning comes first, it carries
 * the count instead ("... (N similar warnings suppressed)") and the summary has nothing left to say.
 * At most one summary task is pending per log. Errors are never given to this class: they are
 * logged every time.
 */
public final class RateLimitedLog {
    private final Logger log;
    private final long intervalNanos;
    private final ScheduledExecutorService scheduler;
    private final LongSupplier clock;
    /** The end of the current interval: the next warning at or after it is logged. */
    private final AtomicLong nextAllowed = new AtomicLong(Long.MIN_VALUE);
    private final AtomicLong suppressed = new AtomicLong();
    private final AtomicBoolean summaryPending = new AtomicBoolean();
    private volatile String lastSuppressed;

    /**
     * @param scheduler runs the summary at the end of an interval in which lines were held back;
     *                  see {@link #newScheduler}
     */
    public RateLimitedLog(Logger log, Duration interval, ScheduledExecutorService scheduler) {
        this(log, interval, scheduler, System::nanoTime);
    }

    /** With a clock of {@link System#nanoTime} readings, for tests. */
    RateLimitedLog(Logger log, Duration interval, ScheduledExecutorService scheduler, LongSupplier clock) {
        this.log = log;
        this.intervalNanos = interval.toNanos();
        this.scheduler = scheduler;
        this.clock = clock;
    }

    /**
     * A scheduler for the summaries of one endpoint's logs. Its single thread is a daemon that
     * exists only while a summary is pending (and a second after), so the scheduler needs no
     * shutdown, keeps no JVM alive, and costs no thread while nothing is held back.
     */
    public static ScheduledExecutorService newScheduler(String name) {
        ScheduledThreadPoolExecutor s = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, ThreadNames.of(name, "warnings"));
            t.setDaemon(true);
            return t;
        });
        s.setKeepAliveTime(1, TimeUnit.SECONDS);
        s.allowCoreThreadTimeOut(true);
        s.setRemoveOnCancelPolicy(true);
        return s;
    }

    /** Logs {@code message} at WARN unless another line of this kind was logged within the interval. */
    public void warn(String message, Throwable cause) {
        long now = clock.getAsLong();
        long next = nextAllowed.get();
        if ((next != Long.MIN_VALUE && now - next < 0) || !nextAllowed.compareAndSet(next, now + intervalNanos)) {
            lastSuppressed = message;
            suppressed.incrementAndGet();
            if (!summaryPending.get() && summaryPending.compareAndSet(false, true)) {
                scheduleSummary(Math.max(0, nextAllowed.get() - now));
            }
            return;
        }
        log(message, cause);
    }

    /**
     * Logs {@code message} at WARN whatever the interval (for a line that must not be held back,
     * such as the first failure of a router), and starts a new interval as a logged warning does:
     * it carries the count held back so far, and lines of this kind after it are held back.
     */
    public void warnAlways(String message, Throwable cause) {
        nextAllowed.set(clock.getAsLong() + intervalNanos);
        log(message, cause);
    }

    private void log(String message, Throwable cause) {
        long held = suppressed.getAndSet(0);
        String line = held == 0 ? message : message + " (" + held + " similar warnings suppressed)";
        if (cause == null) log.warn(line);
        else Failures.warn(log, line, cause);
    }

    private void scheduleSummary(long delayNanos) {
        try {
            scheduler.schedule(this::summarize, delayNanos, TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException e) {
            // Shut down: the next warning still carries the count.
            summaryPending.set(false);
        }
    }

    /** At the end of an interval in which lines were held back. */
    private void summarize() {
        long now = clock.getAsLong();
        long next = nextAllowed.get();
        if (now - next < 0) {
            // A warning logged since opened a new interval (and carried the count so far): what is
            // held back from now on is reported when that interval ends.
            scheduleSummary(next - now);
            return;
        }
        // Cleared before the count is taken: a line suppressed from now on schedules its own summary.
        summaryPending.set(false);
        long held = suppressed.getAndSet(0);
        if (held == 0) return;
        long millis = TimeUnit.NANOSECONDS.toMillis(now - (next - intervalNanos));
        log.warn(held + " similar warnings suppressed in the last " + millis + " ms (last: " + lastSuppressed + ")");
    }
}
