package io.paguma.testing;

import io.paguma.ConfigKey;
import io.paguma.ConfigSection;

import java.time.Duration;

/**
 * A module's config section as a module would declare it, registered in the tests'
 * {@code META-INF/services/io.paguma.ConfigSection}; docs/CONFIG.md shows it as the example of
 * section keys.
 */
public final class ExampleSection extends ConfigSection {
    public static final ConfigKey<String> REGISTRY = ConfigKey.string("registry", "")
            .doc("host:port of the registry node; empty: this node is the registry.");
    public static final ConfigKey<Duration> TIMEOUT = ConfigKey.duration("timeout", Duration.ofSeconds(5))
            .check(d -> !d.isZero(), "must be > 0")
            .doc("How long a registration may take.");
    public static final ConfigKey<Integer> RETRIES = ConfigKey.integer("retries", 3)
            .check(n -> n >= 0, "must be >= 0")
            .scope(ConfigKey.Scope.CLIENT)
            .doc("Client: registration attempts before giving up.");

    public ExampleSection() {
        super("example", REGISTRY, TIMEOUT, RETRIES);
    }
}
