package io.paguma.redis;

import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The harness itself, with the binary a fresh machine would use: embedded-redis's 6.2, forced
 * even where redis-server is installed, so the fallback is known to work.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RedisServerHarnessTest {

    @Test
    void theEmbeddedRedisStartsAnswersStopsAndRestartsOnItsPort() {
        try (RedisServerHarness redis = RedisServerHarness.startBinary("embedded")) {
            assertThat(redis.origin()).isEqualTo("embedded-redis jar");
            assertThat(redis.version()).startsWith("6.2.");
            int port = redis.port();
            assertThat(setThenGet(redis)).isEqualTo("v");
            redis.stop();
            assertThat(redis.isRunning()).isFalse();
            redis.restart();
            assertThat(redis.port()).isEqualTo(port);
            assertThat(setThenGet(redis)).isEqualTo("v");
        }
    }

    @Test
    void theDefaultBinaryIsTheSystemsWhenOneIsOnThePath() {
        try (RedisServerHarness redis = RedisServerHarness.startBinary("")) {
            boolean onPath = java.util.Arrays.stream(System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator))
                    .anyMatch(d -> !d.isEmpty() && java.nio.file.Files.isExecutable(java.nio.file.Path.of(d, "redis-server")));
            assertThat(redis.origin()).isEqualTo(onPath ? "system" : "embedded-redis jar");
            assertThat(setThenGet(redis)).isEqualTo("v");
        }
    }

    private static String setThenGet(RedisServerHarness redis) {
        try (RedisClient client = RedisClient.create(redis.uri());
             StatefulRedisConnection<String, String> c = client.connect()) {
            c.sync().set("harness", "v");
            return c.sync().get("harness");
        }
    }
}
