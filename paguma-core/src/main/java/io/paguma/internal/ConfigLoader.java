package io.paguma.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.paguma.ConfigException;
import io.paguma.PagumaConfig;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.BiConsumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads {@link PagumaConfig} from a file, environment variables and system properties, in that
 * order of precedence (later wins). Every key is listed once, in {@link #KEYS}.
 */
public final class ConfigLoader {
    /** Environment variables and system properties that name the file instead of a key. */
    public static final String FILE_ENV = "PAGUMA_CONFIG";
    public static final String FILE_PROPERTY = "paguma.config";
    /** Read by the {@code paguma} launcher script, not by the config. */
    private static final Set<String> RESERVED_ENV = Set.of(FILE_ENV, "PAGUMA_JAVA_OPTS");

    private static final List<String> FILE_NAMES = List.of("application.json", "application.yaml", "application.yml");

    /** Zinx's {@code application.json} key names, accepted in files so a Zinx config carries over. */
    private static final Map<String, String> ZINX_ALIASES = Map.of(
            "Name", "name", "Host", "host", "TcpPort", "port", "MaxConn", "maxConn",
            "MaxPacketSize", "maxPacketSize", "WorkerPoolSize", "workerPoolSize",
            "MaxWorkerTaskLen", "maxWorkerTaskLen");

    /** Every key, in documentation order. */
    public static final Map<String, BiConsumer<PagumaConfig.Builder, String>> KEYS = keys();

    private ConfigLoader() {
    }

    private static Map<String, BiConsumer<PagumaConfig.Builder, String>> keys() {
        Map<String, BiConsumer<PagumaConfig.Builder, String>> k = new LinkedHashMap<>();
        k.put("name", PagumaConfig.Builder::name);
        k.put("host", PagumaConfig.Builder::host);
        k.put("port", (b, v) -> b.port(parseInt(v)));
        k.put("maxConn", (b, v) -> b.maxConn(parseInt(v)));
        k.put("maxPacketSize", (b, v) -> b.maxPacketSize(parseInt(v)));
        k.put("workerPoolSize", (b, v) -> b.workerPoolSize(parseInt(v)));
        k.put("maxWorkerTaskLen", (b, v) -> b.maxWorkerTaskLen(parseInt(v)));
        k.put("workerMode", (b, v) -> b.workerMode(parseEnum(PagumaConfig.WorkerMode.class, v)));
        k.put("codec", PagumaConfig.Builder::codec);
        k.put("transport", (b, v) -> b.transport(parseEnum(PagumaConfig.Transport.class, v)));
        k.put("bossThreads", (b, v) -> b.bossThreads(parseInt(v)));
        k.put("ioThreads", (b, v) -> b.ioThreads(parseInt(v)));
        k.put("tcpNoDelay", (b, v) -> b.tcpNoDelay(parseBoolean(v)));
        k.put("keepAlive", (b, v) -> b.keepAlive(parseBoolean(v)));
        k.put("keepAlivePeriod", (b, v) -> b.keepAlivePeriod(parseDuration(v)));
        k.put("soBacklog", (b, v) -> b.soBacklog(parseInt(v)));
        k.put("writeBufferLowWaterMark", (b, v) -> b.writeBufferLowWaterMark(parseInt(v)));
        k.put("writeBufferHighWaterMark", (b, v) -> b.writeBufferHighWaterMark(parseInt(v)));
        k.put("maxPendingWriteBytes", (b, v) -> b.maxPendingWriteBytes(parseInt(v)));
        k.put("stopGracePeriod", (b, v) -> b.stopGracePeriod(parseDuration(v)));
        k.put("closeLinger", (b, v) -> b.closeLinger(parseDuration(v)));
        k.put("serverFullMsgId", (b, v) -> b.serverFullMsgId(parseUnsignedInt(v)));
        k.put("serverFullMessage", PagumaConfig.Builder::serverFullMessage);
        k.put("warnInterval", (b, v) -> b.warnInterval(parseDuration(v)));
        k.put("heartbeatMax", (b, v) -> b.heartbeatMax(parseDuration(v)));
        k.put("heartbeatInterval", (b, v) -> b.heartbeatInterval(parseDuration(v)));
        k.put("heartbeatMsgId", (b, v) -> b.heartbeatMsgId(parseUnsignedInt(v)));
        k.put("heartbeatReply", (b, v) -> b.heartbeatReply(parseBoolean(v)));
        k.put("requestTimeout", (b, v) -> b.requestTimeout(parseDuration(v)));
        k.put("maxPendingRequests", (b, v) -> b.maxPendingRequests(parseInt(v)));
        k.put("tls", (b, v) -> b.tls(parseBoolean(v)));
        k.put("tlsCert", PagumaConfig.Builder::tlsCert);
        k.put("tlsKey", PagumaConfig.Builder::tlsKey);
        k.put("tlsTrust", PagumaConfig.Builder::tlsTrust);
        k.put("connectTimeout", (b, v) -> b.connectTimeout(parseDuration(v)));
        k.put("reconnect", (b, v) -> b.reconnect(parseBoolean(v)));
        k.put("reconnectBase", (b, v) -> b.reconnectBase(parseDuration(v)));
        k.put("reconnectMaxDelay", (b, v) -> b.reconnectMaxDelay(parseDuration(v)));
        k.put("reconnectAttempts", (b, v) -> b.reconnectAttempts(parseInt(v)));
        k.put("reconnectJitter", (b, v) -> b.reconnectJitter(parseDouble(v)));
        k.put("offlineQueueSize", (b, v) -> b.offlineQueueSize(parseInt(v)));
        return java.util.Collections.unmodifiableMap(k);
    }

    /** The process's system properties as a map. */
    public static Map<String, String> systemProperties() {
        Map<String, String> m = new TreeMap<>();
        System.getProperties().forEach((key, value) -> m.put(String.valueOf(key), String.valueOf(value)));
        return m;
    }

    /**
     * @param file an explicit file, or null to look for one
     * @param workDir where to look for {@code application.*} when {@code file} is null and no
     *                environment variable or property names one; null means do not look
     */
    public static PagumaConfig load(Path file, Map<String, String> env, Map<String, String> props, Path workDir) {
        Map<String, Source> values = new LinkedHashMap<>();
        Path chosen = file;
        if (chosen == null && props.get(FILE_PROPERTY) != null) chosen = Path.of(props.get(FILE_PROPERTY));
        if (chosen == null && env.get(FILE_ENV) != null) chosen = Path.of(env.get(FILE_ENV));
        if (chosen == null && workDir != null) chosen = findFile(workDir);
        if (chosen != null) readFile(chosen, values);

        for (Map.Entry<String, String> e : new TreeMap<>(env).entrySet()) {
            String var = e.getKey();
            if (!var.startsWith("PAGUMA_") || RESERVED_ENV.contains(var)) continue;
            String key = keyForEnv(var);
            if (key == null) {
                throw new ConfigException("unknown configuration key in environment variable " + var
                        + "; known keys: " + envNames());
            }
            values.put(key, new Source(e.getValue(), "environment variable " + var));
        }
        for (Map.Entry<String, String> e : new TreeMap<>(props).entrySet()) {
            String prop = e.getKey();
            if (!prop.startsWith("paguma.") || prop.equals(FILE_PROPERTY)) continue;
            String key = prop.substring("paguma.".length());
            if (!KEYS.containsKey(key)) {
                throw new ConfigException("unknown configuration key in system property " + prop
                        + "; known keys: " + KEYS.keySet());
            }
            values.put(key, new Source(e.getValue(), "system property " + prop));
        }

        PagumaConfig.Builder builder = PagumaConfig.builder();
        for (Map.Entry<String, Source> e : values.entrySet()) {
            Source s = e.getValue();
            try {
                KEYS.get(e.getKey()).accept(builder, s.value);
            } catch (IllegalArgumentException ex) {
                throw new ConfigException(e.getKey() + " (from " + s.origin + "): " + ex.getMessage());
            }
        }
        try {
            return builder.build();
        } catch (ConfigException ex) {
            Source s = ex.key() == null ? null : values.get(ex.key());
            throw s == null ? ex : new ConfigException(ex.getMessage() + " (from " + s.origin + ")");
        }
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

    private static void readFile(Path file, Map<String, Source> values) {
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
        List<String> unknown = new java.util.ArrayList<>();
        Map<String, String> spelledAs = new java.util.HashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> f = it.next();
            String key = ZINX_ALIASES.getOrDefault(f.getKey(), f.getKey());
            if (!KEYS.containsKey(key)) {
                unknown.add(f.getKey());
                continue;
            }
            String earlier = spelledAs.put(key, f.getKey());
            if (earlier != null) {
                throw new ConfigException(key, key + " is given twice in " + file + ", as '" + earlier + "' and as '"
                        + f.getKey() + "'; keep one");
            }
            JsonNode v = f.getValue();
            if (v.isContainerNode() || v.isNull()) {
                throw new ConfigException(key + " (from " + file + "): expected a single value, got " + v);
            }
            values.put(key, new Source(v.asText(), file.toString()));
        }
        if (!unknown.isEmpty()) {
            throw new ConfigException("unknown configuration key" + (unknown.size() > 1 ? "s " : " ")
                    + String.join(", ", unknown.stream().map(k -> "'" + k + "'").toList()) + " in " + file
                    + "; known keys: " + KEYS.keySet() + " (and Zinx's " + ZINX_ALIASES.keySet() + ")");
        }
    }

    static String keyForEnv(String var) {
        for (String key : KEYS.keySet()) {
            if (envName(key).equals(var)) return key;
        }
        return null;
    }

    /** {@code maxPacketSize} → {@code PAGUMA_MAX_PACKET_SIZE}. */
    public static String envName(String key) {
        return "PAGUMA_" + key.replaceAll("([a-z0-9])([A-Z])", "$1_$2").toUpperCase(Locale.ROOT);
    }

    private static List<String> envNames() {
        return KEYS.keySet().stream().map(ConfigLoader::envName).toList();
    }

    private static int parseInt(String v) {
        try {
            return Integer.parseInt(v.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("expected an integer, got '" + v + "'");
        }
    }

    private static double parseDouble(String v) {
        try {
            return Double.parseDouble(v.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("expected a number, got '" + v + "'");
        }
    }

    private static int parseUnsignedInt(String v) {
        try {
            return Integer.parseUnsignedInt(v.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("expected an integer between 0 and 4294967295, got '" + v + "'");
        }
    }

    private static boolean parseBoolean(String v) {
        String s = v.trim().toLowerCase(Locale.ROOT);
        if (s.equals("true")) return true;
        if (s.equals("false")) return false;
        throw new IllegalArgumentException("expected true or false, got '" + v + "'");
    }

    private static <E extends Enum<E>> E parseEnum(Class<E> type, String v) {
        for (E e : type.getEnumConstants()) {
            if (e.name().equalsIgnoreCase(v.trim().replace('-', '_'))) return e;
        }
        StringBuilder known = new StringBuilder();
        for (E e : type.getEnumConstants()) {
            if (known.length() > 0) known.append(", ");
            known.append(e.name().toLowerCase(Locale.ROOT));
        }
        throw new IllegalArgumentException("expected one of " + known + ", got '" + v + "'");
    }

    private static final Pattern DURATION = Pattern.compile("(\\d+)\\s*(ms|s|m|h)");

    /** {@code 500ms}, {@code 10s}, {@code 2m}, {@code 1h}. */
    public static Duration parseDuration(String v) {
        Matcher m = DURATION.matcher(v.trim());
        if (!m.matches()) throw new IllegalArgumentException("expected a duration such as 500ms, 10s, 2m or 1h, got '" + v + "'");
        long n = Long.parseLong(m.group(1));
        switch (m.group(2)) {
            case "ms": return Duration.ofMillis(n);
            case "s": return Duration.ofSeconds(n);
            case "m": return Duration.ofMinutes(n);
            default: return Duration.ofHours(n);
        }
    }

    private record Source(String value, String origin) {
    }
}
