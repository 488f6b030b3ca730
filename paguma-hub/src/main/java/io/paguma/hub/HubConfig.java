package io.paguma.hub;

import io.paguma.ConfigKey;
import io.paguma.ConfigSection;

import java.time.Duration;

/**
 * The hub's keys: section {@code hub:} of {@code application.yaml}, {@code PAGUMA_HUB_<KEY>}
 * environment variables, {@code paguma.hub.<key>} system properties. The links themselves follow
 * core's keys ({@code maxPacketSize}, {@code connectTimeout}, {@code writeBufferHighWaterMark},
 * heartbeats, TLS, ...); a hub runtime of its own has one IO thread and runs everything on it.
 */
public final class HubConfig extends ConfigSection {
    public static final ConfigKey<Integer> MAX_PENDING = ConfigKey.integer("maxPending", 1024)
            .check(v -> v >= 1, "must be at least 1")
            .doc("Dicts that may wait for one peer while its link is being made; one more fails at once.");
    public static final ConfigKey<Duration> REDIAL_DELAY = ConfigKey.duration("redialDelay", Duration.ofSeconds(1))
            .check(v -> !v.isNegative(), "must not be negative")
            .doc("After a peer could not be reached, sends to it fail at once for this long; the next send after it dials again.");
    public static final ConfigKey<Integer> MAX_DEPTH = ConfigKey.integer("maxDepth", DictCodec.DEFAULT_MAX_DEPTH)
            .check(v -> v >= 1 && v <= DictCodec.MAX_DEPTH_LIMIT, "must be 1.." + DictCodec.MAX_DEPTH_LIMIT)
            .doc("How deeply dicts and lists may nest in a dict (the dict itself is depth 1); a deeper one received closes its link.");
    public static final ConfigKey<Integer> MAX_QUEUED = ConfigKey.integer("maxQueued", 65536)
            .check(v -> v >= 1, "must be at least 1")
            .doc("Events that may wait for update(); beyond them, links that deliver more dicts stop reading until update() takes"
                    + " what waits (TCP then holds their peers back).");

    public HubConfig() {
        super("hub", MAX_PENDING, REDIAL_DELAY, MAX_DEPTH, MAX_QUEUED);
    }
}
