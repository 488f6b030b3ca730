package io.paguma.bench.load;

/** What a load run does. Plain fields: set them, then hand the object to {@link LoadGenerator}. */
public final class LoadOptions {
    /** The shapes of traffic the generator can make. */
    public enum Scenario {
        /** Every connection sends fixed-size requests: closed loop (depth) or open loop (rate). */
        ECHO,
        /** Connections are opened and held without traffic (for memory measurements). */
        IDLE,
        /**
         * Zinx-style c10k: requests of random size with random pauses, some sent as two frames in
         * one write, a share of the connections reconnecting mid-run.
         */
        C10K
    }

    public Scenario scenario = Scenario.ECHO;
    public String host = "127.0.0.1";
    public int port;
    public int connections = 100;
    /** Payload bytes per request (ECHO). */
    public int payload = 128;
    /** Requests in flight per connection (closed loop). */
    public int depth = 16;
    /** Requests per second over all connections; 0 means closed loop. */
    public long rate;
    public double warmupSeconds = 3;
    public double durationSeconds = 10;
    /** When above 0, the measured part ends after this many requests instead of after a time. */
    public long count;
    /** How long to wait at the end for replies still outstanding before counting them as lost. */
    public double drainSeconds = 10;
    public int messageId = 1;
    /** Client IO threads; 0 means one per available processor. */
    public int ioThreads;
    public int connectConcurrency = 256;
    public long seed = 42;
    public String label = "";
    /** Print a progress line every second (to stderr). */
    public boolean progress = true;

    // C10K
    public int minPayload = 12;
    public int maxPayload = 256;
    public int maxPauseMillis = 200;
    /** Share of sends that are two frames in one write. */
    public double doubleFrameRatio = 0.1;
    /** Share of connections that close and reconnect once during the run. */
    public double reconnectRatio = 0.05;

    void validate() {
        require(port > 0 && port < 65536, "port must be 1..65535");
        require(connections > 0, "connections must be > 0");
        require(payload >= 0, "payload must be >= 0");
        require(depth > 0, "depth must be > 0");
        require(rate >= 0, "rate must be >= 0");
        require(durationSeconds > 0 || count > 0, "duration or count must be > 0");
        require(minPayload >= 0 && maxPayload >= minPayload, "need 0 <= minPayload <= maxPayload");
        require(doubleFrameRatio >= 0 && doubleFrameRatio <= 1, "doubleFrameRatio must be 0..1");
        require(reconnectRatio >= 0 && reconnectRatio <= 1, "reconnectRatio must be 0..1");
    }

    int largestPayload() {
        return scenario == Scenario.C10K ? maxPayload : payload;
    }

    private static void require(boolean ok, String message) {
        if (!ok) throw new IllegalArgumentException(message);
    }
}
