package io.paguma.bench;

import io.paguma.bench.load.LoadResult;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Baseline and Paguma run one after the other, several rounds, the order rotating each round;
 * the Paguma/baseline ratio is taken per round (each pair ran back to back) and its median is
 * reported next to the medians of each figure.
 */
final class Comparison {
    final String title;
    final List<String> loadArgs;
    final Map<Runner.Target, List<LoadResult>> results = new LinkedHashMap<>();
    final Map<Runner.Target, String> descriptions = new LinkedHashMap<>();

    private Comparison(String title, List<String> loadArgs) {
        this.title = title;
        this.loadArgs = loadArgs;
    }

    static Comparison run(Runner runner, PrintStream out, String title, List<Runner.Target> targets, int rounds,
                          List<String> loadArgs) throws Exception {
        Comparison c = new Comparison(title, loadArgs);
        for (Runner.Target t : targets) c.results.put(t, new ArrayList<>());
        out.println("== " + title + "  (" + String.join(" ", loadArgs) + ")");
        for (int round = 0; round < rounds; round++) {
            for (int k = 0; k < targets.size(); k++) {
                Runner.Target t = targets.get((k + round) % targets.size());
                try (Runner.ServerProcess server = runner.server(t)) {
                    c.descriptions.put(t, server.description);
                    LoadResult r = runner.load(t + "-r" + (round + 1), server.port, loadArgs);
                    c.results.get(t).add(r);
                }
            }
        }
        out.println(c.table());
        return c;
    }

    Runner.Target baseline() {
        for (Runner.Target t : results.keySet()) if (t.baseline()) return t;
        return null;
    }

    double medianRate(Runner.Target t) {
        return median(results.get(t).stream().mapToDouble(LoadResult::msgsPerSec).toArray());
    }

    double medianP99(Runner.Target t) {
        return median(results.get(t).stream().mapToDouble(r -> r.latencyMicros().p99()).toArray());
    }

    long failures(Runner.Target t) {
        return results.get(t).stream().mapToLong(LoadResult::failures).sum();
    }

    /** Median over rounds of (target / baseline), pairing the runs of the same round. */
    double ratio(Runner.Target t) {
        Runner.Target b = baseline();
        if (b == null) return Double.NaN;
        List<LoadResult> base = results.get(b);
        List<LoadResult> mine = results.get(t);
        int n = Math.min(base.size(), mine.size());
        double[] ratios = new double[n];
        for (int i = 0; i < n; i++) ratios[i] = mine.get(i).msgsPerSec() / base.get(i).msgsPerSec();
        return median(ratios);
    }

    String ratios(Runner.Target t) {
        Runner.Target b = baseline();
        if (b == null) return "";
        List<String> parts = new ArrayList<>();
        List<LoadResult> base = results.get(b);
        List<LoadResult> mine = results.get(t);
        for (int i = 0; i < Math.min(base.size(), mine.size()); i++) {
            parts.add(String.format(Locale.ROOT, "%.2f", mine.get(i).msgsPerSec() / base.get(i).msgsPerSec()));
        }
        return String.join(" ", parts);
    }

    String table() {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "%-18s %14s %10s %10s %9s  %s%n", "target", "msgs/s (med)", "p99 us", "ratio",
                "failures", "per-round ratios"));
        for (Runner.Target t : results.keySet()) {
            sb.append(String.format(Locale.ROOT, "%-18s %,14.0f %10.0f %10s %9d  %s%n", t, medianRate(t), medianP99(t),
                    t.baseline() ? "1.00" : String.format(Locale.ROOT, "%.2f", ratio(t)), failures(t), ratios(t)));
        }
        return sb.toString();
    }

    /** The median of {@code values} (each a round's figure). */
    static double median(long[] values) {
        return median(java.util.Arrays.stream(values).asDoubleStream().toArray());
    }

    /** Each value with two decimals, for printing per-round ratios. */
    static String[] round2(double[] values) {
        String[] s = new String[values.length];
        for (int i = 0; i < values.length; i++) s[i] = String.format(Locale.ROOT, "%.2f", values[i]);
        return s;
    }

    /**
     * Waits out a measurement window (warm-up or counted): a timer, not a synchronisation — the
     * load runs on its own while the caller waits, and what it did is read afterwards.
     */
    static void measureFor(int seconds) throws InterruptedException {
        Thread.sleep(java.util.concurrent.TimeUnit.SECONDS.toMillis(seconds));
    }

    /** The median of {@code values} (each a round's figure). */
    static double median(double[] values) {
        if (values.length == 0) return Double.NaN;
        double[] v = values.clone();
        java.util.Arrays.sort(v);
        int m = v.length / 2;
        return v.length % 2 == 1 ? v[m] : (v[m - 1] + v[m]) / 2;
    }
}
