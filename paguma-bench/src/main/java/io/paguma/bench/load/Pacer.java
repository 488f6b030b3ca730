package io.paguma.bench.load;

import io.netty.channel.EventLoop;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Open loop: sends this event loop's share of the request rate at evenly spaced intended times,
 * round-robin over its connections. Latency is measured from the intended time, so a server that
 * falls behind is charged for the wait (no coordinated omission).
 */
final class Pacer implements Runnable {
    private static final long MIN_SLEEP_NANOS = TimeUnit.MICROSECONDS.toNanos(20);

    private final LoadGenerator gen;
    private final EventLoop loop;
    private final List<ClientConn> conns;
    private final double periodNanos;
    private double next;
    private int cursor;

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
        int n = conns.size();
        int touchedFrom = cursor;
        int sends = 0;
        while (next <= now) {
            ClientConn c = conns.get(cursor);
            cursor = cursor + 1 == n ? 0 : cursor + 1;
            c.paced((long) next);
            next += periodNanos;
            sends++;
        }
        // Flush the connections written to, once each.
        for (int i = 0, k = touchedFrom; i < Math.min(sends, n); i++, k = k + 1 == n ? 0 : k + 1) {
            conns.get(k).flush();
        }
        long delay = (long) next - System.nanoTime();
        if (delay <= MIN_SLEEP_NANOS) loop.execute(this);
        else loop.schedule(this, delay, TimeUnit.NANOSECONDS);
    }
}
