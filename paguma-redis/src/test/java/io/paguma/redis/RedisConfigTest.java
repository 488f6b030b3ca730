package io.paguma.redis;

import io.paguma.ConfigException;
import io.paguma.ConfigKey;
import io.paguma.PagumaConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class RedisConfigTest {

    @Test
    void theRedisSectionIsFoundOnTheClasspathAndReadFromTheFileAndTheEnvironment(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("application.yaml");
        Files.writeString(file, "name: zone\nredis:\n  uri: redis://10.0.0.5:6380/2\n  keyPrefix: 'game:'\n");
        PagumaConfig config = PagumaConfig.load(file, Map.of("PAGUMA_REDIS_COMMAND_TIMEOUT", "750ms"), Map.of());
        var redis = config.section(new RedisConfig());
        assertThat(redis.get(RedisConfig.URI)).isEqualTo("redis://10.0.0.5:6380/2");
        assertThat(redis.get(RedisConfig.KEY_PREFIX)).isEqualTo("game:");
        assertThat(redis.get(RedisConfig.COMMAND_TIMEOUT)).isEqualTo(Duration.ofMillis(750));
        assertThat(redis.get(RedisConfig.RECONNECT_DELAY)).isEqualTo(Duration.ofSeconds(1));
    }

    @Test
    void theDefaultsPointAtALocalRedis() {
        var redis = PagumaConfig.load(null, Map.of(), Map.of()).section(new RedisConfig());
        assertThat(redis.get(RedisConfig.URI)).isEqualTo("redis://127.0.0.1:6379");
        assertThat(redis.get(RedisConfig.KEY_PREFIX)).isEqualTo("paguma:");
        assertThat(redis.get(RedisConfig.COMMAND_TIMEOUT)).isEqualTo(Duration.ofSeconds(2));
    }

    @Test
    void aBadUriOrTimeoutFailsNamingTheKey() {
        assertThatThrownBy(() -> PagumaConfig.load(null, Map.of("PAGUMA_REDIS_URI", "10.0.0.5:6379"), Map.of()))
                .isInstanceOf(ConfigException.class).hasMessageContaining("redis.uri").hasMessageContaining("redis://");
        assertThatThrownBy(() -> PagumaConfig.load(null, Map.of("PAGUMA_REDIS_COMMAND_TIMEOUT", "0s"), Map.of()))
                .isInstanceOf(ConfigException.class).hasMessageContaining("redis.commandTimeout");
    }

    @Test
    void everyKeyHasARowInConfigMd() throws Exception {
        Path root = Path.of("").toAbsolutePath();
        while (!Files.exists(root.resolve("docs/CONFIG.md"))) root = root.getParent();
        String doc = Files.readString(root.resolve("docs/CONFIG.md"));
        for (ConfigKey<?> key : new RedisConfig().keys()) {
            assertThat(doc).as("CONFIG.md row of redis.%s", key.name()).contains("| `redis." + key.name() + "` |");
        }
    }
}
