package io.paguma.admin;

import io.paguma.ConfigException;
import io.paguma.ConfigKey;
import io.paguma.PagumaConfig;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class AdminConfigTest {
    @Test
    void theSectionLoadsFromTheEnvironmentAndBadValuesFailNamingTheKey() {
        PagumaConfig c = PagumaConfig.load(null, Map.of("PAGUMA_ADMIN_PORT", "9191", "PAGUMA_ADMIN_TOKEN", "t"), Map.of());
        assertThat(c.section(new AdminConfig()).get(AdminConfig.PORT)).isEqualTo(9191);
        assertThat(c.section(new AdminConfig()).get(AdminConfig.TOKEN)).isEqualTo("t");
        assertThatThrownBy(() -> PagumaConfig.load(null, Map.of("PAGUMA_ADMIN_PORT", "70000"), Map.of()))
                .isInstanceOf(ConfigException.class).hasMessageContaining("admin.port");
    }

    @Test
    void everyKeyIsDocumentedInConfigMd() throws Exception {
        Path root = Path.of("").toAbsolutePath();
        while (!Files.exists(root.resolve("docs/CONFIG.md"))) root = root.getParent();
        String doc = Files.readString(root.resolve("docs/CONFIG.md"));
        for (ConfigKey<?> key : new AdminConfig().keys()) {
            assertThat(doc).as("CONFIG.md row of admin.%s", key.name()).contains("| `admin." + key.name() + "` |");
        }
    }
}
