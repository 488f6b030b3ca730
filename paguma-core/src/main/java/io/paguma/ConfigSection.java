package io.paguma;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * The keys one module owns, read from a section of the configuration file named after it
 * ({@code cluster:} in {@code application.yaml}), from {@code PAGUMA_<SECTION>_<KEY>} environment
 * variables and from {@code paguma.<section>.<key>} system properties. Core's own keys are the
 * root section, {@link PagumaConfig#ROOT}, written at the top level.
 *
 * <p>Sections exist so that modules built on core (a hub, a cluster, Redis-backed shared data)
 * keep their settings in the same file without core knowing them, and still get core's checks: an
 * unknown key in a section fails naming the key, the section and where it was set. A module
 * declares its section as a class and lists it in
 * {@code META-INF/services/io.paguma.ConfigSection}, so {@link PagumaConfig#load} finds it on the
 * classpath; a section can also be passed to {@code load} explicitly.
 *
 * <pre>{@code
 * public final class ClusterConfig extends ConfigSection {
 *     public static final ConfigKey<String> REGISTRY = ConfigKey.string("registry", "")
 *             .doc("host:port of the registry node; empty: this node is the registry.");
 *     public ClusterConfig() {
 *         super("cluster", REGISTRY);
 *     }
 * }
 * // later: config.section(new ClusterConfig()).get(ClusterConfig.REGISTRY)
 * }</pre>
 */
public abstract class ConfigSection {
    private static final Pattern NAME = Pattern.compile("[a-z][A-Za-z0-9]*");

    private final String name;
    private final Map<String, ConfigKey<?>> keys;

    /**
     * @param name  camelCase, starting with a lower-case letter; also the file's section and,
     *              in upper snake case, the environment variables' infix
     * @param keys  the section's keys, in the order they are documented
     * @throws IllegalArgumentException if the name is malformed or two keys share a name
     */
    protected ConfigSection(String name, ConfigKey<?>... keys) {
        this(checkName(name), List.of(keys));
    }

    /** The root section (name {@code ""}) is made by {@link PagumaConfig} only. */
    ConfigSection(String name, List<ConfigKey<?>> keys) {
        Map<String, ConfigKey<?>> m = new LinkedHashMap<>();
        for (ConfigKey<?> k : keys) {
            Objects.requireNonNull(k, "key");
            if (m.put(k.name(), k) != null) {
                throw new IllegalArgumentException("config section '" + name + "' has two keys named " + k.name());
            }
        }
        this.name = name;
        this.keys = Collections.unmodifiableMap(m);
    }

    /** A section that needs no class of its own, for passing to {@link PagumaConfig#load} explicitly. */
    public static ConfigSection of(String name, ConfigKey<?>... keys) {
        return new ConfigSection(name, keys) {
        };
    }

    private static String checkName(String name) {
        Objects.requireNonNull(name, "name");
        if (!NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("config section name must be camelCase letters and digits starting with"
                    + " a lower-case letter, got '" + name + "'");
        }
        return name;
    }

    /** The section's name; {@code ""} for the root section. */
    public final String name() {
        return name;
    }

    /** The keys, in the order they are documented. */
    public final List<ConfigKey<?>> keys() {
        return List.copyOf(keys.values());
    }

    /** The key called {@code name}, or null. */
    public final ConfigKey<?> key(String name) {
        return keys.get(name);
    }

    /** The key's full name: {@code cluster.registry}, or just {@code port} in the root section. */
    public final String qualifiedName(ConfigKey<?> key) {
        return name.isEmpty() ? key.name() : name + "." + key.name();
    }

    /** {@code PAGUMA_CLUSTER_REGISTRY}, {@code PAGUMA_MAX_PACKET_SIZE}. */
    public final String environmentName(ConfigKey<?> key) {
        return "PAGUMA_" + (name.isEmpty() ? "" : upperSnake(name) + "_") + upperSnake(key.name());
    }

    /** {@code paguma.cluster.registry}, {@code paguma.maxPacketSize}. */
    public final String propertyName(ConfigKey<?> key) {
        return "paguma." + qualifiedName(key);
    }

    /** The section's defaults. */
    public final Values defaults() {
        return new Values(this, Map.of());
    }

    static String upperSnake(String camel) {
        return camel.replaceAll("([a-z0-9])([A-Z])", "$1_$2").toUpperCase(Locale.ROOT);
    }

    @Override
    public String toString() {
        return name.isEmpty() ? "root section" : "section " + name;
    }

    /**
     * The values of one section in a loaded {@link PagumaConfig}, immutable like it; read with
     * {@link #get}. Keys not set have their default.
     */
    public static final class Values {
        private final ConfigSection section;
        private final Map<String, Object> values;

        /** @throws ConfigException naming the first key (as {@code section.key}) whose value breaks a rule */
        Values(ConfigSection section, Map<String, Object> set) {
            Map<String, Object> m = new LinkedHashMap<>();
            for (ConfigKey<?> k : section.keys.values()) {
                Object v = set.containsKey(k.name()) ? set.get(k.name()) : k.defaultValue();
                String broken = brokenRule(k, v);
                if (broken != null) {
                    String q = section.qualifiedName(k);
                    throw new ConfigException(q, q + " " + broken);
                }
                m.put(k.name(), v);
            }
            this.section = section;
            this.values = Collections.unmodifiableMap(m);
        }

        @SuppressWarnings("unchecked")
        private static <T> String brokenRule(ConfigKey<T> key, Object value) {
            return key.broken((T) value);
        }

        /** The section these are the values of. */
        public ConfigSection section() {
            return section;
        }

        /**
         * The value of {@code key}.
         *
         * @throws IllegalArgumentException if {@code key} is not one of this section's keys
         */
        @SuppressWarnings("unchecked")
        public <T> T get(ConfigKey<T> key) {
            if (section.keys.get(key.name()) != key) {
                throw new IllegalArgumentException("config key " + key.name() + " is not a key of " + section);
            }
            return (T) values.get(key.name());
        }

        @Override
        public String toString() {
            List<String> parts = new ArrayList<>();
            for (ConfigKey<?> k : section.keys.values()) parts.add(k.name() + "=" + formatted(k, values.get(k.name())));
            return String.join(", ", parts);
        }

        @SuppressWarnings("unchecked")
        static <T> String formatted(ConfigKey<T> key, Object value) {
            return key.format((T) value);
        }
    }
}
