package io.paguma.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.paguma.bench.hub.HubScenario;
import io.paguma.hub.DictCodec;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.PrintStream;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ./paguma bench hub}: request/echo through two {@link io.paguma.hub.NetHub}s driven by main
 * loops, next to the same traffic through core's {@code Server} and {@code Client}, in the same run.
 * Each round runs both scenarios (order alternating); each scenario's echo side and client side
 * are JVMs of their own, pinned like {@code compare}'s server and load client. See
 * {@link HubScenario} for what each side does.
 */
@Command(name = "hub", mixinStandardHelpOptions = true,
        description = {"Hub (NetHub send/update, main loops) against core Server/Client echo, same traffic, same run.",
                "Prints msgs/s of each per round, the medians and the hub/core ratio."})
final class HubCommand implements Callable<Integer> {
    @Option(names = "--rounds", defaultValue = "3", description = "rounds of both scenarios (default ${DEFAULT-VALUE})") int rounds;
    @Option(names = "--warmup", defaultValue = "5", description = "seconds of warm-up per run (default ${DEFAULT-VALUE})") double warmup;
    @Option(names = "--duration", defaultValue = "10", description = "seconds measured per run (default ${DEFAULT-VALUE})") double duration;
    @Option(names = {"-w", "--window"}, defaultValue = "64", description = "messages in flight (default ${DEFAULT-VALUE})") int window;
    @Option(names = {"-s", "--size"}, defaultValue = "64", description = "encoded dict bytes = core payload bytes (default ${DEFAULT-VALUE})") int size;
    @Option(names = "--idle", defaultValue = "wait",
            description = "what a main loop does when nothing happened: wait (update(10 ms), woken by the first event), yield,"
                    + " spin (Thread.onSpinWait) or park (50 µs) (default ${DEFAULT-VALUE})")
    String idle;
    @Option(names = "--in-process", description = "both sides in this JVM, unpinned (quick checks, tests)") boolean inProcess;
    @Option(names = "--server-cpus", defaultValue = "0", description = "taskset CPU list of the echo sides; none = no pinning") String serverCpus;
    @Option(names = "--client-cpus", defaultValue = "1", description = "taskset CPU list of the client sides") String clientCpus;
    @Option(names = "--server-jvm", defaultValue = "-Xms1g -Xmx1g") String serverJvm;
    @Option(names = "--client-jvm", defaultValue = "-Xms1g -Xmx1g") String clientJvm;
    @Option(names = "--out-dir", defaultValue = "bench-results") Path outDir;

    private static final String[] SCENARIOS = {"core", "hub"};
    private final ObjectMapper json = new ObjectMapper();

    @Override
    public Integer call() throws Exception {
        PrintStream out = System.out;
        Runner runner = inProcess ? null : new Runner(out, serverCpus, clientCpus, serverJvm, clientJvm, outDir);
        Outcome o = run(runner, out);
        out.println();
        o.table().forEach(out::println);
        out.printf("failures (mismatched or unanswered replies): %d%n", o.failures());
        return o.failures() == 0 ? 0 : 1;
    }

    /** The Markdown table (rounds and medians) and the count of mismatched or unanswered replies. */
    record Outcome(List<String> table, long failures, double medianRatio) {
    }

    /** The hub section of {@code bench suite}: this command's defaults, the suite's rounds and times. */
    static HubCommand forSuite(int rounds, double warmup, double duration) {
        HubCommand c = new HubCommand();
        c.rounds = rounds;
        c.warmup = warmup;
        c.duration = duration;
        c.window = 64;
        c.size = 64;
        c.idle = "wait";
        return c;
    }

    /** Runs every round of both scenarios ({@code runner} null: in this JVM), printing each run. */
    Outcome run(Runner runner, PrintStream out) throws Exception {
        HubScenario.Idle how = HubScenario.Idle.parse(idle);
        int encoded = new DictCodec().size(HubScenario.dict(size));
        String where = runner == null ? "both sides in one JVM, not pinned"
                : "echo side and client side in JVMs of their own, " + runner.pinning().replace("server", "echo side");
        out.printf("bench hub: %d B (dict encoded %d B = core payload), window %d, idle %s, %s; %s s warm-up + %s s per run%n",
                size, encoded, window, how.name().toLowerCase(Locale.ROOT), where, fmt(warmup), fmt(duration));
        double[][] rates = new double[2][rounds];
        double[][] bytes = new double[2][rounds];
        long failures = 0;
        for (int round = 0; round < rounds; round++) {
            for (int k = 0; k < 2; k++) {
                int s = round % 2 == 0 ? k : 1 - k;
                HubScenario.Result r = runner == null ? inProcess(SCENARIOS[s], how) : separate(runner, SCENARIOS[s]);
                rates[s][round] = r.msgsPerSec();
                bytes[s][round] = r.bytesPerMsg();
                failures += r.failures();
                out.printf(Locale.ROOT, "round %d %-4s %,12.0f msgs/s  (%,d replies in %.2f s; mismatched %d, unanswered %d;"
                                + " client side allocates %,.0f B per round trip)%n",
                        round + 1, r.scenario(), r.msgsPerSec(), r.measured(), r.seconds(), r.mismatches(), r.unanswered(),
                        r.bytesPerMsg());
            }
        }
        double[] ratios = new double[rounds];
        for (int i = 0; i < rounds; i++) ratios[i] = rates[1][i] / rates[0][i];
        List<String> table = new ArrayList<>();
        table.add(String.format(Locale.ROOT, "%d B dicts (= core payload), window %d, a main loop whose update() returned nothing %s; %s",
                encoded, window, how == HubScenario.Idle.WAIT ? "waits in update(10 ms) until woken"
                        : how == HubScenario.Idle.PARK ? "parks 50 µs" : how == HubScenario.Idle.YIELD ? "yields"
                        : "spins (Thread.onSpinWait)", where));
        table.add("");
        table.add("| round | core echo msgs/s | hub echo msgs/s | hub/core | client B/round trip core, hub |");
        table.add("|---:|---:|---:|---:|---:|");
        for (int i = 0; i < rounds; i++) {
            table.add(String.format(Locale.ROOT, "| %d | %,.0f | %,.0f | %.2f | %,.0f, %,.0f |", i + 1, rates[0][i], rates[1][i],
                    ratios[i], bytes[0][i], bytes[1][i]));
        }
        double ratio = Comparison.median(ratios);
        table.add(String.format(Locale.ROOT, "| median | %,.0f | %,.0f | %.2f (goal ≥ 0.5: %s) | %,.0f, %,.0f |",
                Comparison.median(rates[0]), Comparison.median(rates[1]), ratio, ratio >= 0.5 ? "met" : "**missed**",
                Comparison.median(bytes[0]), Comparison.median(bytes[1])));
        return new Outcome(table, failures, ratio);
    }

    private HubScenario.Result inProcess(String scenario, HubScenario.Idle how) throws Exception {
        try (HubScenario.Echo echo = HubScenario.startEcho(scenario, how)) {
            return HubScenario.run(scenario, echo.port(), window, size, warmup, duration, how);
        }
    }

    private HubScenario.Result separate(Runner runner, String scenario) throws Exception {
        List<String> common = List.of("--scenario", scenario, "--window", Integer.toString(window), "--size",
                Integer.toString(size), "--idle", idle);
        List<String> echoArgs = new ArrayList<>(List.of("hub-endpoint", "--role", "echo"));
        echoArgs.addAll(common);
        Process echo = new ProcessBuilder(runner.command(true, echoArgs.toArray(String[]::new)))
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        try {
            BufferedReader echoOut = new BufferedReader(new InputStreamReader(echo.getInputStream(), StandardCharsets.UTF_8));
            String ready = echoOut.readLine();
            // JVM options may print first (e.g. -XX:StartFlightRecording).
            while (ready != null && !ready.startsWith("READY ")) ready = echoOut.readLine();
            if (ready == null || !ready.startsWith("READY ")) throw new IllegalStateException(scenario + " echo side said " + ready);
            int port = Integer.parseInt(ready.substring(6).trim());
            List<String> clientArgs = new ArrayList<>(List.of("hub-endpoint", "--role", "client", "--port",
                    Integer.toString(port), "--warmup", fmt(warmup), "--duration", fmt(duration)));
            clientArgs.addAll(common);
            Process client = new ProcessBuilder(runner.command(false, clientArgs.toArray(String[]::new)))
                    .redirectError(ProcessBuilder.Redirect.INHERIT).start();
            String result = null;
            try (BufferedReader cout = new BufferedReader(new InputStreamReader(client.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = cout.readLine()) != null; ) {
                    if (line.startsWith("RESULT ")) result = line.substring(7);
                    else System.out.println(line);
                }
            }
            int code = client.waitFor();
            if (result == null) throw new IllegalStateException(scenario + " client side failed (exit " + code + ")");
            return json.readValue(result, HubScenario.Result.class);
        } finally {
            stop(echo);
        }
    }

    private static void stop(Process p) throws InterruptedException {
        try {
            Writer in = new OutputStreamWriter(p.getOutputStream(), StandardCharsets.UTF_8);
            in.write("quit\n");
            in.close();
        } catch (IOException e) {
            // Already gone.
        }
        if (!p.waitFor(20, TimeUnit.SECONDS)) p.destroyForcibly().waitFor();
    }

    private static String fmt(double d) {
        return d == Math.rint(d) ? Long.toString((long) d) : Double.toString(d);
    }
}
