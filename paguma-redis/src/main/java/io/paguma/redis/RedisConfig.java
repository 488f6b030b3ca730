package io.paguma.redis;

import io.lettuce.core.RedisURI;
import io.paguma.ConfigKey;
import io.paguma.ConfigSection;

import java.time.Duration;

/**
 * Redis's keys: section {@code redis:} of {@code application.yaml}, {@code PAGUMA_REDIS_<KEY>}
 * environment variables, {@code paguma.redis.<key>} system properties. Where Redis is, the prefix
 * of every key and channel Paguma uses in it, and how long Paguma waits for it. Which homes use
 * Redis is chosen in section {@code cluster:} ({@code registry: redis}, {@code sharedData: redis});
 * the membership times are there too ({@code memberTtl}, {@code resyncInterval}).
 */
public final class RedisConfig extends ConfigSection {
    public static final ConfigKey<String> URI = ConfigKey.string("uri", "redis://127.0.0.1:6379")
            .check(RedisConfig::parses, "must be a Redis URI: redis://[user:password@]host[:port][/database]"
                    + " or rediss://... for TLS")
            .doc("Where Redis is: redis://[user:password@]host[:port][/database], rediss:// for TLS.");
    public static final ConfigKey<String> KEY_PREFIX = ConfigKey.string("keyPrefix", "paguma:")
            .check(v -> v.indexOf(' ') < 0, "must not contain spaces")
            .doc("Starts every key and channel Paguma uses in Redis, so that clusters (or other programs) can share one Redis.");
    public static final ConfigKey<Duration> COMMAND_TIMEOUT = ConfigKey.duration("commandTimeout", Duration.ofSeconds(2))
            .check(v -> v.toMillis() >= 1, "must be at least 1ms")
            .doc("How long an operation waits for Redis's answer (and a connection attempt for its connection) before it fails.");
    public static final ConfigKey<Duration> RECONNECT_DELAY = ConfigKey.duration("reconnectDelay", Duration.ofSeconds(1))
            .check(v -> v.toMillis() >= 1, "must be at least 1ms")
            .doc("After the link to Redis broke (or could not be made), the time between attempts to make it again;"
                    + " the first attempt is made at once.");

    public RedisConfig() {
        super("redis", URI, KEY_PREFIX, COMMAND_TIMEOUT, RECONNECT_DELAY);
    }

    private static boolean parses(String uri) {
        try {
            RedisURI.create(uri);
            return uri.startsWith("redis://") || uri.startsWith("rediss://");
        } catch (RuntimeException e) {
            return false;
        }
    }
}
