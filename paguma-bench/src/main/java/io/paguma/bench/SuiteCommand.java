package io.paguma.bench;

import io.paguma.bench.load.LoadResult;
import io.paguma.bench.server.MemoryReport;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ./paguma bench suite}: every measurement docs/PERFORMANCE.md reports, written as
 * Markdown tables to {@code <out-dir>/suite.md}.
 */
@Command(name = "suite", mixinStandardHelpOptions = true,
        description = "Run every comparison docs/PERFORMANCE.md reports and write the tables to <out-dir>/suite.md.")
final class SuiteCommand implements Callable<Integer> {
    private static final Runner.Target NETTY = new Runner.Target("netty", null);
    private static final Runner.Target POOL0 = new Runner.Target("paguma", 0);
    private static final Runner.Target POOL = new Runner.Target("paguma", null);

    @Option(names = "--rounds", defaultValue = "3") int rounds;
    @Option(names = "--warmup", defaultValue = "5") double warmup;
    @Option(names = "--duration", defaultValue = "10") double duration;
    @Option(names = "--only", defaultValue = "payload,connections,latency,memory,c10k,hub",
            description = "sections to run (comma-separated)") String only;
    @Option(names = "--server-cpus", defaultValue = "0") String serverCpus;
    @Option(names = "--client-cpus", defaultValue = "1") String clientCpus;
    @Option(names = "--server-jvm", defaultValue = "-Xms1g -Xmx1g") String serverJvm;
    @Option(names = "--client-jvm", defaultValue = "-Xms1g -Xmx1g") String clientJvm;
    @Option(names = "--out-dir", defaultValue = "bench-results") Path outDir;
    @Option(names = "--saturated", description = "Paguma's saturated msgs/s, to skip measuring it for the latency section") Double saturatedGiven;

    private final List<String> md = new ArrayList<>();
    private double saturated = Double.NaN;

    @Override
    public Integer call() throws Exception {
        PrintStream out = System.out;
        Runner runner = new Runner(out, serverCpus, clientCpus, serverJvm, clientJvm, outDir);
        md.add("Suite run " + Instant.now() + "; " + runner.pinning() + "; " + Runtime.getRuntime().availableProcessors()
                + " CPUs; Java " + System.getProperty("java.version") + "; " + rounds + " rounds of " + warmup
                + " s warm-up + " + duration + " s measured per figure (medians).");
        md.add("");
        List<String> sections = List.of(only.split(","));
        long failures = 0;
        if (sections.contains("payload")) failures += payloads(runner, out);
        if (sections.contains("connections")) failures += connections(runner, out);
        if (sections.contains("latency")) failures += latency(runner, out);
        if (sections.contains("memory")) memory(runner, out);
        if (sections.contains("c10k")) failures += c10k(runner, out);
        if (sections.contains("hub")) failures += hub(runner, out);
        Path file = outDir.resolve("suite.md");
        Files.write(file, md, StandardCharsets.UTF_8);
        out.println();
        md.forEach(out::println);
        out.println("\nwritten to " + file);
        return failures == 0 ? 0 : 1;
    }

    private List<String> base(String... extra) {
        List<String> args = new ArrayList<>(List.of("--warmup", fmt(warmup), "--duration", fmt(duration)));
        args.addAll(List.of(extra));
        return args;
    }

    private long payloads(Runner runner, PrintStream out) throws Exception {
        md.add("### Throughput by payload (100 connections, depth 16, closed loop)");
        md.add("");
        md.add("| payload | target | msgs/s | MB/s | p99 µs | ratio to baseline | goal |");
        md.add("|---:|---|---:|---:|---:|---:|---|");
        long failures = 0;
        for (int payload : new int[] {128, 16, 4096}) {
            Comparison c = Comparison.run(runner, out, "payload " + payload, List.of(NETTY, POOL0, POOL), rounds,
                    base("-c", "100", "-d", "16", "-s", Integer.toString(payload)));
            if (payload == 128) saturated = c.medianRate(POOL);
            for (Runner.Target t : c.results.keySet()) {
                failures += c.failures(t);
                md.add(String.format(Locale.ROOT, "| %d B | %s | %,.0f | %.1f | %.0f | %s | %s |", payload, name(t),
                        c.medianRate(t), median(c, t, LoadResult::mbPerSec), c.medianP99(t), ratio(c, t),
                        goal(c, t)));
            }
        }
        md.add("");
        return failures;
    }

    private long connections(Runner runner, PrintStream out) throws Exception {
        md.add("### Throughput and p99 as connections grow (128 B, depth 16, closed loop)");
        md.add("");
        md.add("| connections | target | msgs/s | p99 µs | ratio to baseline |");
        md.add("|---:|---|---:|---:|---:|");
        long failures = 0;
        for (int conns : new int[] {1, 1000, 10000}) {
            Comparison c = Comparison.run(runner, out, conns + " connections", List.of(NETTY, POOL0, POOL), rounds,
                    base("-c", Integer.toString(conns), "-d", "16", "-s", "128", "--drain", "30"));
            for (Runner.Target t : c.results.keySet()) {
                failures += c.failures(t);
                md.add(String.format(Locale.ROOT, "| %,d | %s | %,.0f | %.0f | %s |", conns, name(t), c.medianRate(t),
                        c.medianP99(t), ratio(c, t)));
            }
        }
        md.add("");
        return failures;
    }

    private long latency(Runner runner, PrintStream out) throws Exception {
        if (saturatedGiven != null) saturated = saturatedGiven;
        if (Double.isNaN(saturated)) {
            Comparison c = Comparison.run(runner, out, "saturation", List.of(POOL), rounds,
                    base("-c", "100", "-d", "16", "-s", "128"));
            saturated = c.medianRate(POOL);
        }
        long half = Math.round(saturated / 2);
        md.add(String.format(Locale.ROOT, "### Latency, open loop (100 connections, 128 B); half of Paguma's saturated throughput is %,d msgs/s", half));
        md.add("");
        md.add("Latency is measured from each request's intended send time (no coordinated omission). Lower rates show the floor of this machine.");
        md.add("");
        md.add("| rate msgs/s | target | msgs/s | p50 µs | p99 µs | p99.9 µs | max µs | goal p99 ≤ 2 ms |");
        md.add("|---:|---|---:|---:|---:|---:|---:|---|");
        long failures = 0;
        for (long rate : new long[] {half, 300_000, 100_000, 10_000}) {
            Comparison c = Comparison.run(runner, out, "latency at " + rate + " msgs/s", List.of(NETTY, POOL0, POOL), rounds,
                    base("-c", "100", "-s", "128", "--rate", Long.toString(rate)));
            for (Runner.Target t : c.results.keySet()) {
                failures += c.failures(t);
                double p99 = c.medianP99(t);
                md.add(String.format(Locale.ROOT, "| %,d | %s | %,.0f | %.0f | %.0f | %.0f | %.0f | %s |", rate, name(t),
                        c.medianRate(t), median(c, t, r -> r.latencyMicros().p50()), p99,
                        median(c, t, r -> r.latencyMicros().p999()), median(c, t, r -> r.latencyMicros().max()),
                        t.baseline() ? "" : p99 <= 2000 ? "met" : "**missed**"));
            }
        }
        md.add("");
        return failures;
    }

    private void memory(Runner runner, PrintStream out) throws Exception {
        int n = 10_000;
        md.add("### Memory of 10,000 idle connections (server process, after GC)");
        md.add("");
        md.add("| target | connections | heap Δ | direct Δ | per connection (heap + direct) | RSS Δ | goal ≤ 4 KiB |");
        md.add("|---|---:|---:|---:|---:|---:|---|");
        for (Runner.Target t : List.of(NETTY, POOL)) {
            try (Runner.ServerProcess server = runner.server(t)) {
                out.println("== memory " + t + ": opening " + n + " idle connections");
                MemoryReport[] m = runner.idleMemory(server, n);
                long heap = m[1].heapUsed() - m[0].heapUsed();
                long direct = m[1].directUsed() - m[0].directUsed();
                double per = (double) (heap + direct) / m[1].connections();
                String line = String.format(Locale.ROOT, "| %s | %,d | %,d KiB | %,d KiB | %,.0f B | %,d KiB | %s |", name(t),
                        m[1].connections(), heap / 1024, direct / 1024, per, (m[1].rss() - m[0].rss()) / 1024,
                        t.baseline() ? "" : per <= 4096 ? "met" : "**missed**");
                out.println(line);
                md.add(line);
            }
        }
        md.add("");
    }

    private long c10k(Runner runner, PrintStream out) throws Exception {
        md.add("### c10k (10,000 connections, 12–256 B requests, pauses 0–1000 ms, 10% two frames per write, 5% reconnect)");
        md.add("");
        md.add("| target | msgs/s | p50 µs | p99 µs | max µs | reconnects | two-frame writes | failed or mismatched |");
        md.add("|---|---:|---:|---:|---:|---:|---:|---:|");
        long failures = 0;
        for (Runner.Target t : List.of(NETTY, POOL)) {
            try (Runner.ServerProcess server = runner.server(t)) {
                LoadResult r = runner.load("c10k-" + t, server.port,
                        List.of("--scenario", "c10k", "-c", "10000", "--max-pause", "1000", "--warmup", "5", "--duration", fmt(Math.max(duration, 20)),
                                "--drain", "30"));
                failures += r.failures();
                md.add(String.format(Locale.ROOT, "| %s | %,.0f | %.0f | %.0f | %.0f | %d | %d | %d |", name(t), r.msgsPerSec(),
                        r.latencyMicros().p50(), r.latencyMicros().p99(), r.latencyMicros().max(), r.reconnects(),
                        r.doubleFrameWrites(), r.failures()));
            }
        }
        md.add("");
        return failures;
    }

    private long hub(Runner runner, PrintStream out) throws Exception {
        md.add("### Hub (NetHub, seed 002): request/echo through two hubs' main loops against core Server/Client echo");
        md.add("");
        HubCommand.Outcome o = HubCommand.forSuite(rounds, warmup, duration).run(runner, out);
        md.addAll(o.table());
        md.add("");
        return o.failures();
    }

    private static String name(Runner.Target t) {
        if (t.baseline()) return "raw Netty";
        return t.pool() == null ? "Paguma, default pool" : "Paguma, workerPoolSize " + t.pool();
    }

    private static String ratio(Comparison c, Runner.Target t) {
        return t.baseline() ? "1.00" : String.format(Locale.ROOT, "%.2f", c.ratio(t));
    }

    private static String goal(Comparison c, Runner.Target t) {
        if (t.baseline()) return "";
        double want = t.pool() != null && t.pool() == 0 ? 0.95 : 0.85;
        return (c.ratio(t) >= want ? "met" : "**missed**") + String.format(Locale.ROOT, " (≥ %.2f)", want);
    }

    private static double median(Comparison c, Runner.Target t, java.util.function.ToDoubleFunction<LoadResult> f) {
        return Comparison.median(c.results.get(t).stream().mapToDouble(f).toArray());
    }

    private static String fmt(double d) {
        return d == Math.rint(d) ? Long.toString((long) d) : Double.toString(d);
    }
}
