package io.paguma.internal;

import io.paguma.testing.RecordingLogger;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Issue 9, item 16: what a rate-limited warning holds back is reported when its interval ends. */
class RateLimitedLogTest {
    private static final Pattern SUMMARY =
            Pattern.compile("^(\\d+) similar warnings suppressed in the last (\\d+) ms \\(last: (.*)\\)$");
    private static final Pattern HELD = Pattern.compile("\\((\\d+) similar warnings suppressed\\)$");

    /** Warnings accounted for by these lines: each warning line is one, plus the counts they report. */
    private static long accounted(List<String> lines) {
        long n = 0;
        for (String line : lines) {
            Matcher summary = SUMMARY.matcher(line);
            if (summary.find()) {
                n += Long.parseLong(summary.group(1));
                continue;
            }
            n++;
            Matcher held = HELD.matcher(line);
            if (held.find()) n += Long.parseLong(held.group(1));
        }
        return n;
    }

    @Test
    void aBurstIsSummarisedWhenTheIntervalEndsWithoutAnotherWarning() {
        RecordingLogger log = new RecordingLogger();
        RateLimitedLog limited = new RateLimitedLog(log, Duration.ofMillis(200), RateLimitedLog.newScheduler("test"));
        long start = System.nanoTime();
        for (int i = 1; i <= 1000; i++) limited.warn("warning " + i, null);
        long burstMillis = (System.nanoTime() - start) / 1_000_000;
        assertThat(log.texts()).first().isEqualTo("warning 1");

        // Nothing else is logged: the summary must come by itself once the 200 ms interval is over.
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() ->
                assertThat(log.texts()).last().asString().matches(SUMMARY));
        // ... and it is the last line: nothing follows it.
        int settled = log.lines().size();
        await().during(Duration.ofMillis(600)).atMost(Duration.ofSeconds(5)).until(() -> log.lines().size() == settled);

        List<String> texts = log.texts();
        assertThat(accounted(texts)).as("every warning accounted for exactly once: %s", texts).isEqualTo(1000);
        if (burstMillis < 150) {
            // The usual case: the whole burst fell within the first interval (a machine stalled for
            // longer than the interval mid-burst would log a second warning line, still counted above).
            assertThat(texts).hasSize(2);
            Matcher summary = SUMMARY.matcher(texts.get(1));
            assertThat(summary.matches()).isTrue();
            assertThat(summary.group(1)).isEqualTo("999");
            assertThat(summary.group(3)).isEqualTo("warning 1000");
            assertThat(Long.parseLong(summary.group(2))).isBetween(150L, 5_000L);
        }
        assertThat(log.lines()).allSatisfy(l -> assertThat(l.level()).isEqualTo(org.slf4j.event.Level.WARN));
    }

    /** Holds the tasks it is given; the test runs them. */
    private static final class ManualScheduler extends ScheduledThreadPoolExecutor {
        final List<Runnable> tasks = new ArrayList<>();
        final List<Long> delays = new ArrayList<>();

        ManualScheduler() {
            super(0);
        }

        @Override
        public ScheduledFuture<?> schedule(Runnable task, long delay, TimeUnit unit) {
            tasks.add(task);
            delays.add(unit.toNanos(delay));
            return null;
        }

        void runNext() {
            delays.remove(0);
            tasks.remove(0).run();
        }
    }

    private static final long MS = 1_000_000;

    @Test
    void aWarningAfterTheIntervalCarriesTheHeldBackCountAndTheSummaryAddsNothing() {
        RecordingLogger log = new RecordingLogger();
        ManualScheduler scheduler = new ManualScheduler();
        AtomicLong now = new AtomicLong(1_000 * MS);
        RateLimitedLog limited = new RateLimitedLog(log, Duration.ofMillis(200), scheduler, now::get);
        for (int i = 1; i <= 1000; i++) limited.warn("warning " + i, null);
        assertThat(scheduler.delays).as("one summary task, due when the interval ends").containsExactly(200 * MS);

        now.addAndGet(201 * MS);
        limited.warn("late", null);
        assertThat(log.texts()).containsExactly("warning 1", "late (999 similar warnings suppressed)");
        // The summary, due at the old interval's end, finds the count taken: no second report.
        scheduler.runNext();
        assertThat(log.texts()).hasSize(2);
        // Still pending for the new interval; it is rescheduled there, not dropped.
        assertThat(scheduler.delays).containsExactly(200 * MS);
        now.addAndGet(200 * MS);
        scheduler.runNext();
        assertThat(log.texts()).hasSize(2);
        assertThat(scheduler.tasks).isEmpty();
    }

    @Test
    void aSummaryAtTheIntervalsEndTakesTheCountAndTheNextWarningCarriesNone() {
        RecordingLogger log = new RecordingLogger();
        ManualScheduler scheduler = new ManualScheduler();
        AtomicLong now = new AtomicLong(1_000 * MS);
        RateLimitedLog limited = new RateLimitedLog(log, Duration.ofMillis(200), scheduler, now::get);
        for (int i = 1; i <= 1000; i++) limited.warn("warning " + i, null);
        now.addAndGet(200 * MS);
        scheduler.runNext();
        assertThat(log.texts()).containsExactly("warning 1",
                "999 similar warnings suppressed in the last 200 ms (last: warning 1000)");
        limited.warn("next", null);
        assertThat(log.texts()).last().isEqualTo("next");
        assertThat(scheduler.tasks).isEmpty();

        // A new burst in the new interval schedules a new summary of its own.
        limited.warn("again", null);
        limited.warn("and again", null);
        assertThat(scheduler.delays).containsExactly(200 * MS);
        now.addAndGet(250 * MS);
        scheduler.runNext();
        assertThat(log.texts()).last().isEqualTo("2 similar warnings suppressed in the last 250 ms (last: and again)");
        assertThat(log.texts()).hasSize(4);
    }

    @Test
    void theSchedulerThreadIsADaemon() {
        java.util.concurrent.ScheduledExecutorService scheduler = RateLimitedLog.newScheduler("test");
        AtomicBoolean daemon = new AtomicBoolean();
        AtomicBoolean ran = new AtomicBoolean();
        scheduler.schedule(() -> {
            daemon.set(Thread.currentThread().isDaemon());
            ran.set(true);
        }, 1, TimeUnit.MILLISECONDS);
        await().atMost(Duration.ofSeconds(5)).untilTrue(ran);
        assertThat(daemon).isTrue();
    }

    @Test
    void warnAlwaysLogsWithinAnIntervalCarriesTheCountAndOpensANewInterval() {
        RecordingLogger log = new RecordingLogger();
        RateLimitedLog limited = new RateLimitedLog(log, Duration.ofHours(1), RateLimitedLog.newScheduler("test"));
        limited.warn("a", null);
        limited.warn("b", null);
        limited.warnAlways("first of its kind", null);
        limited.warn("c", null);
        assertThat(log.texts()).containsExactly("a", "first of its kind (1 similar warnings suppressed)");

        RecordingLogger fresh = new RecordingLogger();
        RateLimitedLog other = new RateLimitedLog(fresh, Duration.ofHours(1), RateLimitedLog.newScheduler("test"));
        other.warnAlways("forced", null);
        other.warn("held back: the forced line opened an interval", null);
        assertThat(fresh.texts()).containsExactly("forced");
    }
}
