package io.paguma.bench.load;

import io.netty.channel.EventLoop;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Open loop: sends this event loop's share of the request rate at evenly spaced intended times,
 * round-robin over its connections. Latency is measured from each request's intended time, so a
 * server that falls behind is charged for the wait (no coordinated omission).
 *
 * <p>The pacer wakes at most every {@value #MIN_SLEEP_MICROS} µs and writes the requests that
 * have come due in runs of up to {@value #CHUNK} per connection, one write each: a write per
 * request would cost the client more than the server. The wake-up interval is charged to the
 * measured latency too, so figures are pessimistic by up to that much.
 */
final class Pacer implements Runnable {
    static final int MIN_SLEEP_MICROS = 100;
    static final int CHUNK = 16;
    private static final long MIN_SLEEP_NANOS = TimeUnit.MICROSECONDS.toNanos(MIN_SLEEP_MICROS);

    private final LoadGenerator gen;
    private final EventLoop loop;
    private final List<ClientConn> conns;
    private final double periodNanos;
    private double next;
    private int cursor;
    private boolean measuring;

    Pacer(LoadGenerator gen, EventLoop loop, List<ClientConn> conns, double ratePerSecond) {
        this.gen = gen;
        this.loop = loop;
        this.conns = conns;
        this.periodNanos = 1e9 / ratePerSecond;
    }

    void start() {
        next = System.nanoTime();
        loop.execute(this);
    }

    @Override
    public void run() {
        if (!gen.sending() || conns.isEmpty()) return;
        long now = System.nanoTime();
        long measureStart = gen.measureStartNanos;
        if (!measuring && measureStart != Long.MAX_VALUE) {
            // The measured part starts on a fresh schedule: a backlog left by a cold warm-up is dropped.
            measuring = true;
            if (next < measureStart) next = measureStart;
        }
        int n = conns.size();
        while (next <= now) {
            int due = (int) Math.min(CHUNK, (long) ((now - next) / periodNanos) + 1);
            ClientConn c = conns.get(cursor);
            cursor = cursor + 1 == n ? 0 : cursor + 1;
            c.paced(next, periodNanos, due);
            c.flush();
            next += due * periodNanos;
        }
        loop.schedule(this, Math.max(MIN_SLEEP_NANOS, (long) next - System.nanoTime()), TimeUnit.NANOSECONDS);
    }
}
