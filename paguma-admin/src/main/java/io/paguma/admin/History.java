package io.paguma.admin;

import io.paguma.Server;
import io.paguma.Traffic;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The last minute of one server, a sample a second (T7): its open connections and its traffic
 * totals, from which the rates per second are the differences; and the count of each route, for
 * the busiest routes of the last minute. Taken by the admin's timer, read by its HTTP handler:
 * both under this object's lock, once a second and once a request.
 */
final class History {
    /** Samples kept: a minute of differences needs 61. */
    static final int SIZE = 61;

    final Server server;
    /** Its meters in the registry (removed by unwatch); guarded by the admin's lock. */
    final List<io.micrometer.core.instrument.Meter> meters = new java.util.ArrayList<>();
    /** Worker gauges registered so far; guarded by the admin's lock. */
    int workerGauges;
    private final long[] time = new long[SIZE];
    private final long[] connections = new long[SIZE];
    private final long[] messagesIn = new long[SIZE];
    private final long[] messagesOut = new long[SIZE];
    private final long[] bytesIn = new long[SIZE];
    private final long[] bytesOut = new long[SIZE];
    @SuppressWarnings("unchecked")
    private final Map<String, Long>[] routeCounts = new Map[SIZE];
    /** Samples taken so far. */
    private long taken;

    History(Server server) {
        this.server = server;
    }

    /** Takes a sample now. */
    synchronized void sample(long nowMillis, List<Recorder.Route> routes) {
        int i = (int) (taken % SIZE);
        Traffic t = server.traffic();
        time[i] = nowMillis;
        connections[i] = server.isRunning() ? openConnections() : 0;
        messagesIn[i] = t.messagesIn();
        messagesOut[i] = t.messagesOut();
        bytesIn[i] = t.bytesIn();
        bytesOut[i] = t.bytesOut();
        Map<String, Long> counts = new HashMap<>();
        for (Recorder.Route r : routes) counts.put(r.name, r.timer.count());
        routeCounts[i] = counts;
        taken++;
    }

    private long openConnections() {
        try {
            return server.connections().count();
        } catch (IllegalStateException notStarted) {
            return 0;
        }
    }

    /** The series of the last minute, oldest first: t (ms), connections, and the four rates per second. */
    synchronized Series series() {
        int n = (int) Math.min(taken, SIZE);
        Series s = new Series(Math.max(0, n - 1));
        for (int k = 1; k < n; k++) {
            int cur = (int) ((taken - n + k) % SIZE);
            int prev = (int) ((taken - n + k - 1) % SIZE);
            double secs = Math.max(1, time[cur] - time[prev]) / 1000.0;
            int j = k - 1;
            s.time[j] = time[cur];
            s.connections[j] = connections[cur];
            s.messagesIn[j] = (messagesIn[cur] - messagesIn[prev]) / secs;
            s.messagesOut[j] = (messagesOut[cur] - messagesOut[prev]) / secs;
            s.bytesIn[j] = (bytesIn[cur] - bytesIn[prev]) / secs;
            s.bytesOut[j] = (bytesOut[cur] - bytesOut[prev]) / secs;
        }
        return s;
    }

    /** Each route's messages over the samples of the last minute, per second (routes that ran since the oldest sample). */
    synchronized Map<String, double[]> routeRates() {
        Map<String, double[]> out = new HashMap<>();
        int n = (int) Math.min(taken, SIZE);
        if (n < 2) return out;
        int first = (int) ((taken - n) % SIZE);
        int last = (int) ((taken - 1) % SIZE);
        double secs = Math.max(1, time[last] - time[first]) / 1000.0;
        for (Map.Entry<String, Long> e : routeCounts[last].entrySet()) {
            long before = routeCounts[first].getOrDefault(e.getKey(), 0L);
            out.put(e.getKey(), new double[] {e.getValue() - before, (e.getValue() - before) / secs});
        }
        return out;
    }

    /** The last minute as arrays, oldest first. */
    static final class Series {
        final long[] time;
        final long[] connections;
        final double[] messagesIn;
        final double[] messagesOut;
        final double[] bytesIn;
        final double[] bytesOut;

        Series(int n) {
            time = new long[n];
            connections = new long[n];
            messagesIn = new double[n];
            messagesOut = new double[n];
            bytesIn = new double[n];
            bytesOut = new double[n];
        }

        int size() {
            return time.length;
        }

        /** The average of {@code v} over the series (the rate over the last minute), 0 when empty. */
        static double mean(double[] v) {
            if (v.length == 0) return 0;
            double sum = 0;
            for (double x : v) sum += x;
            return sum / v.length;
        }

        static double last(double[] v) {
            return v.length == 0 ? 0 : v[v.length - 1];
        }
    }
}
