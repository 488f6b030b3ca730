package io.paguma.bench.load;

/**
 * What one load run measured; written as JSON by the {@code load} command. Latencies are in
 * microseconds; {@code mbPerSec} counts echoed frame bytes (header + payload) in one direction.
 */
public record LoadResult(
        String label,
        String scenario,
        String target,
        int connections,
        int payload,
        int depth,
        long rate,
        double warmupSeconds,
        double measuredSeconds,
        long messages,
        double msgsPerSec,
        double mbPerSec,
        Latency latencyMicros,
        long mismatches,
        long errors,
        long unanswered,
        long connectFailures,
        long reconnects,
        long doubleFrameWrites,
        String startedAt,
        String javaVersion,
        int clientCpus) {

    /** Latency percentiles in microseconds. */
    public record Latency(double p50, double p90, double p99, double p999, double max, double mean, long count) {}

    /** Replies that were wrong or missing, plus connections lost or refused. */
    public long failures() {
        return mismatches + errors + unanswered + connectFailures;
    }
}
