package io.paguma;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.TreeMap;

/**
 * Reads {@link PagumaConfig} from a file, environment variables and system properties, in that
 * order of precedence (later wins). The keys are those of {@link PagumaConfig#ROOT} and of the
 * declared {@link ConfigSection}s: nothing about a key is written here.
 */
final class ConfigLoader {
    /** Environment variables and system properties that name the file instead of a key. */
    static final String FILE_ENV = "PAGUMA_CONFIG";
    static final String FILE_PROPERTY = "paguma.config";
    /** Read by the {@code paguma} launcher script, not by the config. */
    private static final Set<String> RESERVED_ENV = Set.of(FILE_ENV, "PAGUMA_JAVA_OPTS");

    private static final List<String> FILE_NAMES = List.of("application.json", "application.yaml", "application.yml");

    /** Zinx's {@code application.json} key names, accepted in files so a Zinx config carries over. */
    private static final Map<String, String> ZINX_ALIASES = Map.of(
            "Name", "name", "Host", "host", "TcpPort", "port", "MaxConn", "maxConn",
            "MaxPacketSize", "maxPacketSize", "WorkerPoolSize", "workerPoolSize",
            "MaxWorkerTaskLen", "maxWorkerTaskLen");

    private ConfigLoader() {
    }

    /** The process's system properties as a map. */
    static Map<String, String> systemProperties() {
        Map<String, String> m = new TreeMap<>();
        System.getProperties().forEach((key, value) -> m.put(String.valueOf(key), String.valueOf(value)));
        return m;
    }

    static PagumaConfig load(Path file, Map<String, String> env, Map<String, String> props, Path workDir) {
        return load(file, env, props, workDir, List.of());
    }

    /**
     * @param file    an explicit file, or null to look for one
     * @param workDir where to look for {@code application.*} when {@code file} is null and no
     *                environment variable or property names one; null means do not look
     * @param extra   sections besides the root one and those found on the classpath
     */
    static PagumaConfig load(Path file, Map<String, String> env, Map<String, String> props, Path workDir,
                             List<ConfigSection> extra) {
        Map<String, ConfigSection> sections = sections(extra);
        Map<String, Setting> values = new LinkedHashMap<>();
        Path chosen = file;
        if (chosen == null && props.get(FILE_PROPERTY) != null) chosen = Path.of(props.get(FILE_PROPERTY));
        if (chosen == null && env.get(FILE_ENV) != null) chosen = Path.of(env.get(FILE_ENV));
        if (chosen == null && workDir != null) chosen = findFile(workDir);
        if (chosen != null) readFile(chosen, sections, values);

        Map<String, Setting> byEnv = new HashMap<>();
        for (ConfigSection s : sections.values()) {
            for (ConfigKey<?> k : s.keys()) byEnv.put(s.environmentName(k), new Setting(s, k, null, null));
        }
        for (Map.Entry<String, String> e : new TreeMap<>(env).entrySet()) {
            String var = e.getKey();
            if (!var.startsWith("PAGUMA_") || RESERVED_ENV.contains(var)) continue;
            Setting target = byEnv.get(var);
            if (target == null) throw unknownEnv(var, sections);
            put(values, target.at(e.getValue(), "environment variable " + var));
        }
        for (Map.Entry<String, String> e : new TreeMap<>(props).entrySet()) {
            String prop = e.getKey();
            if (!prop.startsWith("paguma.") || prop.equals(FILE_PROPERTY)) continue;
            String name = prop.substring("paguma.".length());
            int dot = name.indexOf('.');
            ConfigSection s = sections.get(dot < 0 ? "" : name.substring(0, dot));
            ConfigKey<?> k = s == null ? null : s.key(name.substring(dot + 1));
            if (k == null) throw unknownProperty(prop, name, dot, s, sections);
            put(values, new Setting(s, k, e.getValue(), "system property " + prop));
        }

        PagumaConfig.Builder builder = PagumaConfig.builder();
        sections.values().forEach(s -> {
            if (!s.name().isEmpty()) builder.section(s);
        });
        for (Map.Entry<String, Setting> e : values.entrySet()) {
            Setting s = e.getValue();
            try {
                apply(builder, s.section, s.key, s.value, s.origin);
            } catch (IllegalArgumentException ex) {
                throw new ConfigException(e.getKey() + " (from " + s.origin + "): " + ex.getMessage());
            }
        }
        try {
            return builder.build();
        } catch (ConfigException ex) {
            Setting s = ex.key() == null ? null : values.get(ex.key());
            throw s == null ? ex : new ConfigException(ex.getMessage() + " (from " + s.origin + ")");
        }
    }

    private static <T> void apply(PagumaConfig.Builder b, ConfigSection section, ConfigKey<T> key, String text, String origin) {
        b.setLoaded(section, key, key.parse(text), origin);
    }

    private static void put(Map<String, Setting> values, Setting s) {
        values.put(s.section.qualifiedName(s.key), s);
    }

    /**
     * The root section, the sections on the classpath ({@code META-INF/services/io.paguma.ConfigSection})
     * and {@code extra}, by name; a section both found and passed in counts once.
     *
     * @throws ConfigException if two sections share a name or two keys an environment variable
     */
    static Map<String, ConfigSection> sections(List<ConfigSection> extra) {
        Map<String, ConfigSection> sections = new LinkedHashMap<>();
        sections.put("", PagumaConfig.ROOT);
        // Core's own sections beside the root one.
        sections.put(LengthFieldConfig.SECTION.name(), LengthFieldConfig.SECTION);
        List<ConfigSection> all = new ArrayList<>();
        try {
            ServiceLoader.load(ConfigSection.class).forEach(all::add);
        } catch (ServiceConfigurationError e) {
            throw new ConfigException("cannot load a config section declared in META-INF/services/"
                    + ConfigSection.class.getName() + ": " + e.getMessage(), e);
        }
        all.addAll(extra);
        for (ConfigSection s : all) {
            if (PagumaConfig.ROOT.key(s.name()) != null) {
                throw new ConfigException("config section " + s.name() + " (" + s.getClass().getName()
                        + ") has the name of a core key; rename the section");
            }
            ConfigSection known = sections.putIfAbsent(s.name(), s);
            if (known != null && known.getClass() != s.getClass()) {
                throw new ConfigException("config section " + s.name() + " is declared twice, by "
                        + known.getClass().getName() + " and by " + s.getClass().getName());
            }
        }
        Map<String, String> envNames = new HashMap<>();
        for (ConfigSection s : sections.values()) {
            for (ConfigKey<?> k : s.keys()) {
                String var = s.environmentName(k);
                String other = envNames.put(var, s.qualifiedName(k));
                if (other != null || RESERVED_ENV.contains(var)) {
                    throw new ConfigException("config key " + s.qualifiedName(k) + " would be set by the environment variable "
                            + var + ", which " + (other != null ? "already sets " + other : "is reserved") + "; rename one");
                }
            }
        }
        return sections;
    }

    private static ConfigException unknownEnv(String var, Map<String, ConfigSection> sections) {
        for (ConfigSection s : sections.values()) {
            String prefix = "PAGUMA_" + ConfigSection.upperSnake(s.name()) + "_";
            if (!s.name().isEmpty() && var.startsWith(prefix)) {
                return new ConfigException("unknown configuration key in environment variable " + var
                        + " (section " + s.name() + "); known keys of " + s.name() + ": " + envNames(s));
            }
        }
        List<String> known = new ArrayList<>(envNames(PagumaConfig.ROOT));
        sections.values().forEach(s -> {
            if (!s.name().isEmpty()) known.add("PAGUMA_" + ConfigSection.upperSnake(s.name()) + "_*");
        });
        return new ConfigException("unknown configuration key in environment variable " + var + "; known keys: " + known);
    }

    private static ConfigException unknownProperty(String prop, String name, int dot, ConfigSection s,
                                                   Map<String, ConfigSection> sections) {
        if (dot < 0) {
            return new ConfigException("unknown configuration key in system property " + prop + "; known keys: "
                    + keyNames(PagumaConfig.ROOT));
        }
        if (s == null) {
            return new ConfigException("unknown configuration section " + name.substring(0, dot) + " in system property "
                    + prop + ": no module on the classpath declares it; declared sections: " + sectionNames(sections));
        }
        return new ConfigException("unknown configuration key in system property " + prop + " (section " + s.name()
                + "); known keys of " + s.name() + ": " + keyNames(s));
    }

    private static Path findFile(Path workDir) {
        for (Path dir : List.of(workDir, workDir.resolve("conf"))) {
            for (String name : FILE_NAMES) {
                Path p = dir.resolve(name);
                if (Files.isRegularFile(p)) return p;
            }
        }
        return null;
    }

    private static void readFile(Path file, Map<String, ConfigSection> sections, Map<String, Setting> values) {
        String fileName = file.getFileName().toString().toLowerCase(Locale.ROOT);
        boolean yaml = fileName.endsWith(".yaml") || fileName.endsWith(".yml");
        if (!yaml && !fileName.endsWith(".json")) {
            throw new ConfigException("config file " + file + ": expected a .json, .yaml or .yml file");
        }
        JsonNode root;
        try {
            ObjectMapper mapper = yaml ? new ObjectMapper(new YAMLFactory()) : new ObjectMapper();
            root = mapper.readTree(Files.readAllBytes(file));
        } catch (JsonProcessingException e) {
            throw new ConfigException("config file " + file + " is not valid " + (yaml ? "YAML" : "JSON") + ": "
                    + e.getOriginalMessage(), e);
        } catch (IOException e) {
            throw new ConfigException("config file " + file + " cannot be read: " + e, e);
        }
        if (root == null || root.isMissingNode() || root.isNull()) return;
        if (!root.isObject()) throw new ConfigException("config file " + file + ": expected an object of keys at the top level");
        List<String> unknown = new ArrayList<>();
        List<String> unknownSections = new ArrayList<>();
        Map<String, String> spelledAs = new HashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> f = it.next();
            String name = ZINX_ALIASES.getOrDefault(f.getKey(), f.getKey());
            JsonNode v = f.getValue();
            ConfigKey<?> key = PagumaConfig.ROOT.key(name);
            if (key == null) {
                ConfigSection section = sections.get(f.getKey());
                if (section != null) {
                    readSection(file, section, v, values);
                } else {
                    (v.isObject() ? unknownSections : unknown).add("'" + f.getKey() + "'");
                }
                continue;
            }
            String earlier = spelledAs.put(name, f.getKey());
            if (earlier != null) {
                throw new ConfigException(name, name + " is given twice in " + file + ", as '" + earlier + "' and as '"
                        + f.getKey() + "'; keep one");
            }
            put(values, new Setting(PagumaConfig.ROOT, key, scalar(file, name, v), file.toString()));
        }
        if (!unknown.isEmpty()) {
            throw new ConfigException("unknown configuration key" + (unknown.size() > 1 ? "s " : " ")
                    + String.join(", ", unknown) + " in " + file + "; known keys: " + keyNames(PagumaConfig.ROOT)
                    + " (and Zinx's " + ZINX_ALIASES.keySet() + ")"
                    + (sections.size() > 1 ? "; declared sections: " + sectionNames(sections) : ""));
        }
        if (!unknownSections.isEmpty()) {
            throw new ConfigException("unknown configuration section" + (unknownSections.size() > 1 ? "s " : " ")
                    + String.join(", ", unknownSections) + " in " + file + ": no module on the classpath declares "
                    + (unknownSections.size() > 1 ? "them" : "it") + "; declared sections: " + sectionNames(sections));
        }
    }

    private static void readSection(Path file, ConfigSection section, JsonNode node, Map<String, Setting> values) {
        if (node.isNull()) return;
        if (!node.isObject()) {
            throw new ConfigException("section " + section.name() + " (from " + file + "): expected an object of its keys"
                    + " (" + keyNames(section) + "), got " + node);
        }
        List<String> unknown = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> f = it.next();
            ConfigKey<?> key = section.key(f.getKey());
            if (key == null) {
                unknown.add("'" + f.getKey() + "'");
                continue;
            }
            put(values, new Setting(section, key, scalar(file, section.qualifiedName(key), f.getValue()), file.toString()));
        }
        if (!unknown.isEmpty()) {
            throw new ConfigException("unknown configuration key" + (unknown.size() > 1 ? "s " : " ")
                    + String.join(", ", unknown) + " in section " + section.name() + " of " + file + "; known keys of "
                    + section.name() + ": " + keyNames(section));
        }
    }

    private static String scalar(Path file, String key, JsonNode v) {
        if (v.isContainerNode() || v.isNull()) {
            throw new ConfigException(key + " (from " + file + "): expected a single value, got " + v);
        }
        return v.asText();
    }

    /** {@code maxPacketSize} → {@code PAGUMA_MAX_PACKET_SIZE}. */
    static String envName(String key) {
        return "PAGUMA_" + ConfigSection.upperSnake(key);
    }

    private static List<String> envNames(ConfigSection s) {
        return s.keys().stream().map(s::environmentName).toList();
    }

    private static List<String> keyNames(ConfigSection s) {
        return s.keys().stream().map(ConfigKey::name).toList();
    }

    private static List<String> sectionNames(Map<String, ConfigSection> sections) {
        return sections.keySet().stream().filter(n -> !n.isEmpty()).toList();
    }

    /** One key's text and where it came from; {@code value} and {@code origin} are null in the lookup table. */
    private record Setting(ConfigSection section, ConfigKey<?> key, String value, String origin) {
        Setting at(String value, String origin) {
            return new Setting(section, key, value, origin);
        }
    }
}
