package io.paguma.cluster;

import io.paguma.ConfigException;
import io.paguma.ConfigKey;
import io.paguma.PagumaConfig;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ClusterConfigTest {

    @Test
    void sectionClusterIsReadFromAFileAndTheEnvironment(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        Path file = dir.resolve("node.yaml");
        Files.writeString(file, "port: 0\ncluster:\n  nodeId: node-a\n  registry: node\n  registryAddress: 10.0.0.5:7700\n"
                + "  memberTtl: 1500ms\n  sharedData: service\n");
        PagumaConfig config = PagumaConfig.load(file, Map.of("PAGUMA_CLUSTER_NODE_PORT", "7001"), Map.of());
        var c = config.section(new ClusterConfig());
        assertThat(c.get(ClusterConfig.NODE_ID)).isEqualTo("node-a");
        assertThat(c.get(ClusterConfig.REGISTRY)).isEqualTo(ClusterConfig.RegistryKind.NODE);
        assertThat(c.get(ClusterConfig.REGISTRY_ADDRESS)).isEqualTo("10.0.0.5:7700");
        assertThat(c.get(ClusterConfig.MEMBER_TTL)).isEqualTo(Duration.ofMillis(1500));
        assertThat(c.get(ClusterConfig.SHARED_DATA)).isEqualTo(ClusterConfig.SharedDataKind.SERVICE);
        assertThat(c.get(ClusterConfig.NODE_PORT)).isEqualTo(7001);
    }

    @Test
    void badValuesFailNamingTheKey(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        Path file = dir.resolve("node.yaml");
        Files.writeString(file, "cluster:\n  nodeId: 'has space'\n");
        assertThatThrownBy(() -> PagumaConfig.load(file, Map.of(), Map.of()))
                .isInstanceOf(ConfigException.class).hasMessageContaining("cluster.nodeId");
        Files.writeString(file, "cluster:\n  memberTtl: 10ms\n");
        assertThatThrownBy(() -> PagumaConfig.load(file, Map.of(), Map.of()))
                .isInstanceOf(ConfigException.class).hasMessageContaining("cluster.memberTtl");
        Files.writeString(file, "cluster:\n  registry: zookeeper\n");
        assertThatThrownBy(() -> PagumaConfig.load(file, Map.of(), Map.of()))
                .isInstanceOf(ConfigException.class).hasMessageContaining("cluster.registry");
    }

    @Test
    void everyKeyIsDocumentedInConfigMd() throws Exception {
        Path root = Path.of("").toAbsolutePath();
        while (!Files.exists(root.resolve("docs/CONFIG.md"))) root = root.getParent();
        String doc = Files.readString(root.resolve("docs/CONFIG.md"));
        for (ConfigKey<?> key : new ClusterConfig().keys()) {
            assertThat(doc).as("CONFIG.md row of cluster.%s", key.name()).contains("| `cluster." + key.name() + "` |");
        }
        for (ConfigKey<?> key : new ExecutorConfig().keys()) {
            assertThat(doc).as("CONFIG.md row of executor.%s", key.name()).contains("| `executor." + key.name() + "` |");
        }
    }
}
