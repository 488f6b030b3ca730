package io.paguma;

import io.paguma.testing.ExampleSection;
import io.paguma.testing.LogCapture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Sections: the keys of other modules in the same file, environment and system properties (issue 10 item 5). */
class ConfigSectionTest {
    private static final ExampleSection EXAMPLE = new ExampleSection();

    @TempDir
    Path dir;

    private Path write(String name, String text) throws IOException {
        Path p = dir.resolve(name);
        Files.writeString(p, text);
        return p;
    }

    @Test
    void aSectionDeclaredOnTheClasspathIsReadFromTheSameFileAsTheCoreKeys() throws IOException {
        Path f = write("application.yaml", """
                name: hub
                port: 9000
                example:
                  registry: 10.0.0.1:7000
                  timeout: 500ms
                """);
        PagumaConfig c = PagumaConfig.load(f, Map.of(), Map.of());
        assertThat(c.port()).isEqualTo(9000);
        ConfigSection.Values example = c.section(EXAMPLE);
        assertThat(example.get(ExampleSection.REGISTRY)).isEqualTo("10.0.0.1:7000");
        assertThat(example.get(ExampleSection.TIMEOUT)).isEqualTo(Duration.ofMillis(500));
        assertThat(example.get(ExampleSection.RETRIES)).isEqualTo(3);
        assertThat(c.toString()).contains("port=9000").contains("example{registry=10.0.0.1:7000, timeout=500ms, retries=3}");
        Path json = write("application.json", "{\"example\": {\"retries\": 7}}");
        assertThat(PagumaConfig.load(json, Map.of(), Map.of()).section(EXAMPLE).get(ExampleSection.RETRIES)).isEqualTo(7);
    }

    @Test
    void aSectionPassedToLoadIsReadLikeOneOnTheClasspath() throws IOException {
        ConfigKey<Integer> level = ConfigKey.integer("level", 1).check(n -> n <= 9, "must be at most 9");
        ConfigSection extra = ConfigSection.of("extraModule", level);
        Path f = write("application.yaml", "extraModule:\n  level: 4\n");
        assertThat(PagumaConfig.load(f, Map.of(), Map.of(), extra).section(extra).get(level)).isEqualTo(4);
        assertThat(PagumaConfig.load(null, Map.of("PAGUMA_EXTRA_MODULE_LEVEL", "5"), Map.of(), extra).section(extra).get(level))
                .isEqualTo(5);
        assertThatThrownBy(() -> PagumaConfig.load(f, Map.of(), Map.of()))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("unknown configuration section 'extraModule' in " + f)
                .hasMessageContaining("declared sections: [lengthField, example]");
    }

    @Test
    void anUnknownKeyInASectionFailsNamingTheKeySectionAndFile() throws IOException {
        Path f = write("application.yaml", "port: 9000\nexample:\n  regsitry: x\n  timeout: 1s\n");
        assertThatThrownBy(() -> PagumaConfig.load(f, Map.of(), Map.of()))
                .isInstanceOf(ConfigException.class)
                .hasMessage("unknown configuration key 'regsitry' in section example of " + f
                        + "; known keys of example: [registry, timeout, retries]");
        assertThatThrownBy(() -> PagumaConfig.load(null, Map.of("PAGUMA_EXAMPLE_REGSITRY", "x"), Map.of()))
                .isInstanceOf(ConfigException.class)
                .hasMessage("unknown configuration key in environment variable PAGUMA_EXAMPLE_REGSITRY (section example);"
                        + " known keys of example: [PAGUMA_EXAMPLE_REGISTRY, PAGUMA_EXAMPLE_TIMEOUT, PAGUMA_EXAMPLE_RETRIES]");
        assertThatThrownBy(() -> PagumaConfig.load(null, Map.of(), Map.of("paguma.example.regsitry", "x")))
                .isInstanceOf(ConfigException.class)
                .hasMessage("unknown configuration key in system property paguma.example.regsitry (section example);"
                        + " known keys of example: [registry, timeout, retries]");
    }

    @Test
    void aSectionNoModuleDeclaresFailsNamingItAndTheFile() throws IOException {
        Path f = write("application.yaml", "port: 9000\nhub:\n  rooms: 10\n");
        assertThatThrownBy(() -> PagumaConfig.load(f, Map.of(), Map.of()))
                .isInstanceOf(ConfigException.class)
                .hasMessage("unknown configuration section 'hub' in " + f
                        + ": no module on the classpath declares it; declared sections: [lengthField, example]");
        assertThatThrownBy(() -> PagumaConfig.load(null, Map.of(), Map.of("paguma.hub.rooms", "10")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("unknown configuration section hub in system property paguma.hub.rooms");
        assertThatThrownBy(() -> PagumaConfig.load(null, Map.of("PAGUMA_HUB_ROOMS", "10"), Map.of()))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("PAGUMA_HUB_ROOMS")
                .hasMessageContaining("PAGUMA_EXAMPLE_*");
        Path scalar = write("scalar.yaml", "example: on\n");
        assertThatThrownBy(() -> PagumaConfig.load(scalar, Map.of(), Map.of()))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("section example (from " + scalar + "): expected an object of its keys");
    }

    @Test
    void environmentOverridesASectionKeyOfTheFileAndSystemPropertiesOverrideBoth() throws IOException {
        Path f = write("application.yaml", "example:\n  registry: file:1\n  timeout: 1s\n  retries: 1\n");
        PagumaConfig c = PagumaConfig.load(f,
                Map.of("PAGUMA_EXAMPLE_REGISTRY", "env:2", "PAGUMA_EXAMPLE_TIMEOUT", "2s"),
                Map.of("paguma.example.timeout", "3s"));
        ConfigSection.Values example = c.section(EXAMPLE);
        assertThat(example.get(ExampleSection.REGISTRY)).isEqualTo("env:2");
        assertThat(example.get(ExampleSection.TIMEOUT)).isEqualTo(Duration.ofSeconds(3));
        assertThat(example.get(ExampleSection.RETRIES)).isEqualTo(1);
    }

    @Test
    void aBadSectionValueFailsNamingTheKeyWithItsSectionAndItsSource() throws IOException {
        assertThatThrownBy(() -> PagumaConfig.load(null, Map.of("PAGUMA_EXAMPLE_TIMEOUT", "0s"), Map.of()))
                .isInstanceOf(ConfigException.class)
                .hasMessage("example.timeout must be > 0, got 0s (from environment variable PAGUMA_EXAMPLE_TIMEOUT)");
        assertThatThrownBy(() -> PagumaConfig.load(null, Map.of(), Map.of("paguma.example.retries", "many")))
                .isInstanceOf(ConfigException.class)
                .hasMessage("example.retries (from system property paguma.example.retries): expected an integer, got 'many'");
        Path f = write("nested.yaml", "example:\n  registry:\n    host: x\n");
        assertThatThrownBy(() -> PagumaConfig.load(f, Map.of(), Map.of()))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("example.registry (from " + f + "): expected a single value");
    }

    @Test
    void aSectionNotLoadedHasItsDefaultsAndCanBeSetInCode() {
        assertThat(PagumaConfig.defaults().section(EXAMPLE).get(ExampleSection.TIMEOUT)).isEqualTo(Duration.ofSeconds(5));
        PagumaConfig c = PagumaConfig.builder().set(EXAMPLE, ExampleSection.RETRIES, 9).build();
        assertThat(c.section(EXAMPLE).get(ExampleSection.RETRIES)).isEqualTo(9);
        assertThat(c.toBuilder().port(1).build().section(EXAMPLE).get(ExampleSection.RETRIES)).isEqualTo(9);
        assertThatThrownBy(() -> PagumaConfig.builder().set(EXAMPLE, ExampleSection.RETRIES, -1).build())
                .isInstanceOf(ConfigException.class)
                .hasMessage("example.retries must be >= 0, got -1");
        ConfigKey<Integer> stranger = ConfigKey.integer("retries", 3);
        assertThatThrownBy(() -> PagumaConfig.builder().set(EXAMPLE, stranger, 1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("not a key of section example");
        assertThatThrownBy(() -> c.section(EXAMPLE).get(stranger))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void sectionsThatWouldBeAmbiguousAreRefused() {
        assertThatThrownBy(() -> PagumaConfig.load(null, Map.of(), Map.of(), ConfigSection.of("example")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("config section example is declared twice");
        assertThatThrownBy(() -> PagumaConfig.load(null, Map.of(), Map.of(), ConfigSection.of("port")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("has the name of a core key");
        ConfigSection clash = ConfigSection.of("max", ConfigKey.integer("conn", 1));
        assertThatThrownBy(() -> PagumaConfig.load(null, Map.of(), Map.of(), clash))
                .isInstanceOf(ConfigException.class)
                .hasMessage("config key max.conn would be set by the environment variable PAGUMA_MAX_CONN,"
                        + " which already sets maxConn; rename one");
        assertThatThrownBy(() -> ConfigSection.of("Bad-Name"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'Bad-Name'");
        assertThatThrownBy(() -> ConfigSection.of("twice", ConfigKey.bool("on", true), ConfigKey.bool("on", false)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("two keys named on");
        // The same section class found on the classpath and passed in counts once.
        assertThat(PagumaConfig.load(null, Map.of(), Map.of(), new ExampleSection()).section(EXAMPLE).get(ExampleSection.RETRIES))
                .isEqualTo(3);
    }

    @Test
    void aServerWarnsOnceAboutLoadedKeysThatOnlyClientsUse() throws IOException {
        Path f = write("shared.yaml", """
                name: scope-warning-server
                reconnectBase: 1s
                maxConn: 10
                example:
                  retries: 5
                """);
        PagumaConfig loaded = PagumaConfig.load(f, Map.of("PAGUMA_OFFLINE_QUEUE_SIZE", "4"), Map.of());
        try (LogCapture logs = LogCapture.start()) {
            Server.builder().config(loaded).port(0).build();
            List<String> warnings = logs.at("WARN", "scope-warning-server");
            assertThat(warnings).hasSize(1);
            assertThat(warnings.get(0))
                    .contains("server scope-warning-server: example.retries (from " + f + "), offlineQueueSize"
                            + " (from environment variable PAGUMA_OFFLINE_QUEUE_SIZE), reconnectBase (from " + f + ")"
                            + " apply to clients only and are ignored here")
                    .doesNotContain("maxConn");
        }
        try (LogCapture logs = LogCapture.start()) {
            Server.builder().config(loaded.toBuilder().reconnectBase(Duration.ofSeconds(2)).offlineQueueSize(0)
                    .set(new ExampleSection(), ExampleSection.RETRIES, 1).build()).build();
            assertThat(logs.at("WARN", "scope-warning-server")).as("keys set in code are not warned about").isEmpty();
        }
    }

    @Test
    void aClientWarnsAboutLoadedKeysThatOnlyServersUse() throws IOException {
        Path f = write("shared.json", "{\"name\": \"scope-warning-client\", \"maxConn\": 10, \"reconnectBase\": \"1s\"}");
        try (LogCapture logs = LogCapture.start()) {
            Client client = Client.builder().config(PagumaConfig.load(f, Map.of(), Map.of())).build();
            client.close().join();
            List<String> warnings = logs.at("WARN", "scope-warning-client");
            assertThat(warnings).hasSize(1);
            assertThat(warnings.get(0)).contains("client scope-warning-client: maxConn (from " + f + ")"
                    + " applies to servers only and is ignored here");
        }
    }
}
