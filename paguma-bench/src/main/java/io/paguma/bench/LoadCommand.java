package io.paguma.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.paguma.bench.load.LoadGenerator;
import io.paguma.bench.load.LoadOptions;
import io.paguma.bench.load.LoadResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Drives load at a running server and reports what it measured. */
@Command(name = "load", mixinStandardHelpOptions = true,
        description = "Load an ltv-le echo server: closed loop (--depth) or open loop (--rate); checks every reply.")
final class LoadCommand implements Callable<Integer> {
    @Option(names = "--host", defaultValue = "127.0.0.1") String host;
    @Option(names = "--port", required = true) int port;
    @Option(names = "--scenario", defaultValue = "echo", description = "echo, idle or c10k") String scenario;
    @Option(names = {"-c", "--connections"}, defaultValue = "100") int connections;
    @Option(names = {"-s", "--payload"}, defaultValue = "128", description = "payload bytes (echo)") int payload;
    @Option(names = {"-d", "--depth"}, defaultValue = "16", description = "requests in flight per connection (closed loop)") int depth;
    @Option(names = {"-r", "--rate"}, defaultValue = "0", description = "requests/s over all connections (open loop); 0 = closed loop") long rate;
    @Option(names = "--warmup", defaultValue = "3", description = "warm-up seconds") double warmup;
    @Option(names = "--duration", defaultValue = "10", description = "measured seconds") double duration;
    @Option(names = "--count", defaultValue = "0", description = "measure this many requests instead of a duration") long count;
    @Option(names = "--drain", defaultValue = "10", description = "seconds to wait for outstanding replies at the end") double drain;
    @Option(names = "--id", defaultValue = "1", description = "message id of the requests") int id;
    @Option(names = "--io-threads", defaultValue = "0", description = "client IO threads; 0 = available processors") int ioThreads;
    @Option(names = "--seed", defaultValue = "42") long seed;
    @Option(names = "--label", defaultValue = "") String label;
    @Option(names = "--min-payload", defaultValue = "12", description = "c10k: smallest payload") int minPayload;
    @Option(names = "--max-payload", defaultValue = "256", description = "c10k: largest payload") int maxPayload;
    @Option(names = "--max-pause", defaultValue = "200", description = "c10k: longest pause between requests, ms") int maxPause;
    @Option(names = "--double-ratio", defaultValue = "0.1", description = "c10k: share of sends written as two frames at once") double doubleRatio;
    @Option(names = "--reconnect-ratio", defaultValue = "0.05", description = "c10k: share of connections that reconnect mid-run") double reconnectRatio;
    @Option(names = "--out", description = "write the result as JSON to this file") Path out;
    @Option(names = "--quiet", description = "no progress line") boolean quiet;

    @Override
    public Integer call() throws Exception {
        LoadOptions o = new LoadOptions();
        o.host = host;
        o.port = port;
        o.scenario = LoadOptions.Scenario.valueOf(scenario.toUpperCase(Locale.ROOT));
        o.connections = connections;
        o.payload = payload;
        o.depth = depth;
        o.rate = rate;
        o.warmupSeconds = warmup;
        o.durationSeconds = duration;
        o.count = count;
        o.drainSeconds = drain;
        o.messageId = id;
        o.ioThreads = ioThreads;
        o.seed = seed;
        o.label = label;
        o.minPayload = minPayload;
        o.maxPayload = maxPayload;
        o.maxPauseMillis = maxPause;
        o.doubleFrameRatio = doubleRatio;
        o.reconnectRatio = reconnectRatio;
        o.progress = !quiet;
        LoadResult result = new LoadGenerator(o, System.err).run();
        ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        if (out != null) {
            if (out.getParent() != null) Files.createDirectories(out.getParent());
            json.writeValue(out.toFile(), result);
        }
        System.err.println(summary(result));
        return result.failures() == 0 ? 0 : 1;
    }

    static String summary(LoadResult r) {
        LoadResult.Latency l = r.latencyMicros();
        return String.format(Locale.ROOT,
                "%s%s: %,d msgs in %.1f s = %,.0f msg/s (%.1f MB/s)  latency us p50 %.0f p99 %.0f p99.9 %.0f max %.0f"
                        + "  mismatches %d errors %d unanswered %d connect-failures %d reconnects %d",
                r.label().isEmpty() ? "" : r.label() + " ", r.scenario(), r.messages(), r.measuredSeconds(), r.msgsPerSec(),
                r.mbPerSec(), l.p50(), l.p99(), l.p999(), l.max(), r.mismatches(), r.errors(), r.unanswered(),
                r.connectFailures(), r.reconnects());
    }
}
