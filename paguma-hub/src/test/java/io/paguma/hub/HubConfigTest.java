package io.paguma.hub;

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

class HubConfigTest {

    @Test
    void theHubSectionIsFoundOnTheClasspathAndReadFromTheFileAndTheEnvironment(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("application.yaml");
        Files.writeString(file, "name: zone\nhub:\n  maxPending: 7\n  redialDelay: 250ms\n");
        PagumaConfig config = PagumaConfig.load(file, Map.of("PAGUMA_HUB_MAX_DEPTH", "5"), Map.of());
        var hub = config.section(new HubConfig());
        assertThat(hub.get(HubConfig.MAX_PENDING)).isEqualTo(7);
        assertThat(hub.get(HubConfig.REDIAL_DELAY)).isEqualTo(Duration.ofMillis(250));
        assertThat(hub.get(HubConfig.MAX_DEPTH)).isEqualTo(5);
    }

    @Test
    void aMisspeltKeyOrABadValueFailsNamingIt(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("application.yaml");
        Files.writeString(file, "hub:\n  maxPendng: 7\n");
        assertThatThrownBy(() -> PagumaConfig.load(file, Map.of(), Map.of())).isInstanceOf(ConfigException.class)
                .hasMessageContaining("maxPendng").hasMessageContaining("hub");
        assertThatThrownBy(() -> PagumaConfig.load(null, Map.of("PAGUMA_HUB_MAX_PENDING", "0"), Map.of()))
                .isInstanceOf(ConfigException.class).hasMessageContaining("hub.maxPending");
    }

    @Test
    void theSectionsValuesReachTheHub() {
        PagumaConfig config = PagumaConfig.load(null, Map.of("PAGUMA_HUB_MAX_PENDING", "2"), Map.of());
        NetHub hub = NetHub.builder().name("hub-config").config(config).build();
        try (java.net.ServerSocket blackHole = new java.net.ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress())) {
            int port = blackHole.getLocalPort();
            hub.send("127.0.0.1", port, Map.of("i", 1));
            hub.send("127.0.0.1", port, Map.of("i", 2));
            assertThatThrownBy(() -> hub.send("127.0.0.1", port, Map.of("i", 3)).join()).hasMessageContaining("is full (2,");
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        } finally {
            hub.destroy();
        }
    }

    @Test
    void everyKeyHasARowInConfigMd() throws Exception {
        Path root = Path.of("").toAbsolutePath();
        while (!Files.exists(root.resolve("docs/CONFIG.md"))) root = root.getParent();
        String doc = Files.readString(root.resolve("docs/CONFIG.md"));
        for (ConfigKey<?> key : new HubConfig().keys()) {
            assertThat(doc).as("CONFIG.md row of hub.%s", key.name()).contains("| `hub." + key.name() + "` |");
        }
    }
}
