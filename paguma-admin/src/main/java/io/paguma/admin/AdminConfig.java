package io.paguma.admin;

import io.paguma.ConfigKey;
import io.paguma.ConfigSection;

/**
 * The admin endpoint's keys (SPEC B5, T7): section {@code admin:} of {@code application.yaml},
 * {@code PAGUMA_ADMIN_<KEY>} environment variables, {@code paguma.admin.<key>} system properties.
 */
public final class AdminConfig extends ConfigSection {
    public static final ConfigKey<Integer> PORT = ConfigKey.integer("port", 8990)
            .check(v -> v >= 0 && v <= 65535, "must be between 0 and 65535")
            .doc("The HTTP port of /metrics, /api/stats, /healthz and the status page; 0: any free port.");
    public static final ConfigKey<String> HOST = ConfigKey.string("host", "127.0.0.1")
            .check(v -> !v.isBlank(), "must not be blank")
            .doc("The address it listens on: loopback by default; any other needs admin.token.");
    public static final ConfigKey<String> TOKEN = ConfigKey.string("token", "")
            .doc("When set, every request must carry it: header 'Authorization: Bearer <token>' (Prometheus: authorization.credentials) or ?token=<token> (a browser).");
    public static final ConfigKey<Integer> ROUTES = ConfigKey.integer("routes", 256)
            .check(v -> v >= 1 && v <= 65536, "must be between 1 and 65536")
            .doc("Message ids given their own series (count and handling-time histogram); the ones seen after these are counted together as route \"other\".");
    public static final ConfigKey<Integer> ROUTER_SAMPLE = ConfigKey.integer("routerSample", 32)
            .check(v -> v >= 1 && v <= 1 << 20 && Integer.bitCount(v) == 1, "must be a power of two between 1 and 1048576")
            .doc("Of how many messages one is timed for the handling-time histograms (chosen at random): 1 times every message; 32 keeps the cost on the hot path under 1%.");
    public static final ConfigKey<Integer> RECENT_ERRORS = ConfigKey.integer("recentErrors", 100)
            .check(v -> v >= 1 && v <= 10000, "must be between 1 and 10000")
            .doc("How many of the latest errors (bad frames, router failures, timeouts, refusals, ...) the status page lists.");

    public AdminConfig() {
        super("admin", PORT, HOST, TOKEN, ROUTES, ROUTER_SAMPLE, RECENT_ERRORS);
    }
}
