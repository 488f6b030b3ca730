package io.paguma.cluster;

import io.paguma.ConfigKey;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The keys the registry node and its views read have their rows in docs/CONFIG.md. */
class RegistryDocsTest {
    @Test
    void everyRegistryKeyHasARowInConfigMd() throws Exception {
        Path root = Path.of("").toAbsolutePath();
        while (!Files.exists(root.resolve("docs/CONFIG.md"))) {
            root = root.getParent();
        }
        String doc = Files.readString(root.resolve("docs/CONFIG.md"));
        for (ConfigKey<?> key : List.of(ClusterConfig.REGISTRY_ADDRESS, ClusterConfig.MEMBER_TTL, ClusterConfig.REQUEST_TIMEOUT,
                ClusterConfig.REGISTRY_MAX_MEMBERS, ClusterConfig.REGISTRY_MAX_VIEWS, ClusterConfig.REGISTRY_MAX_INFO_SIZE)) {
            assertThat(doc).as("CONFIG.md row of cluster.%s", key.name()).contains("| `cluster." + key.name() + "` |");
        }
    }
}
