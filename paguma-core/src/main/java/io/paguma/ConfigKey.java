package io.paguma;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One configuration key: its name, how its text is parsed and printed, its default, the rules its
 * value must follow, which side it applies to and a one-line description. It is the only place a
 * key is described: loading, checks, defaults and {@code toString} all read it.
 *
 * <p>A module declares its keys as constants and lists them in its {@link ConfigSection}:
 *
 * <pre>{@code
 * static final ConfigKey<Duration> TIMEOUT = ConfigKey.duration("timeout", Duration.ofSeconds(5))
 *         .check(d -> !d.isZero(), "must be > 0")
 *         .doc("How long a registration may take.");
 * }</pre>
 *
 * <p>Keys are immutable: {@link #check}, {@link #scope} and {@link #doc} return a new key. Parsing
 * throws {@link IllegalArgumentException} with a message saying what was expected; the loader adds
 * the key's name and where the text came from.
 *
 * @param <T> the type of the value
 */
public final class ConfigKey<T> {

    /** Which endpoints a key applies to; a key set for the other side is ignored with a warning. */
    public enum Scope {
        /** Servers only. */
        SERVER,
        /** Clients only. */
        CLIENT,
        /** Servers and clients (the default). */
        BOTH;

        boolean appliesTo(Scope endpoint) {
            return this == BOTH || this == endpoint;
        }
    }

    private static final Pattern NAME = Pattern.compile("[a-z][A-Za-z0-9]*");
    private static final Pattern DURATION = Pattern.compile("(\\d+)\\s*(ms|s|m|h)");

    private final String name;
    private final T defaultValue;
    private final Function<String, T> parser;
    private final Function<T, String> printer;
    private final List<Rule<T>> rules;
    private final Scope scope;
    private final String doc;

    private ConfigKey(String name, T defaultValue, Function<String, T> parser, Function<T, String> printer,
                      List<Rule<T>> rules, Scope scope, String doc) {
        this.name = name;
        this.defaultValue = defaultValue;
        this.parser = parser;
        this.printer = printer;
        this.rules = List.copyOf(rules);
        this.scope = scope;
        this.doc = doc;
    }

    /**
     * A key of any type: {@code parser} turns the text of a file, environment variable or system
     * property into a value (throwing {@link IllegalArgumentException} that says what was
     * expected), {@code printer} writes a value the way it is written in a file.
     *
     * @param name camelCase, starting with a lower-case letter ({@code registry}, {@code maxPeers})
     */
    public static <T> ConfigKey<T> of(String name, T defaultValue, Function<String, T> parser, Function<T, String> printer) {
        Objects.requireNonNull(name, "name");
        if (!NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("config key name must be camelCase letters and digits starting with a"
                    + " lower-case letter, got '" + name + "'");
        }
        Objects.requireNonNull(defaultValue, "defaultValue");
        return new ConfigKey<>(name, defaultValue, Objects.requireNonNull(parser, "parser"),
                Objects.requireNonNull(printer, "printer"), List.of(), Scope.BOTH, "");
    }

    /** Text, taken as written. */
    public static ConfigKey<String> string(String name, String defaultValue) {
        return of(name, defaultValue, v -> v, v -> v);
    }

    /** A signed 32-bit decimal integer. */
    public static ConfigKey<Integer> integer(String name, int defaultValue) {
        return of(name, defaultValue, ConfigKey::parseInt, String::valueOf);
    }

    /** An unsigned 32-bit decimal (0 … 4294967295), such as a message id; stored as an {@code int}. */
    public static ConfigKey<Integer> unsignedInt(String name, int defaultValue) {
        return of(name, defaultValue, ConfigKey::parseUnsignedInt, Integer::toUnsignedString);
    }

    /** A decimal number. */
    public static ConfigKey<Double> decimal(String name, double defaultValue) {
        return of(name, defaultValue, ConfigKey::parseDouble, String::valueOf);
    }

    /** {@code true} or {@code false}. */
    public static ConfigKey<Boolean> bool(String name, boolean defaultValue) {
        return of(name, defaultValue, ConfigKey::parseBoolean, String::valueOf);
    }

    /** A number with a unit: {@code 500ms}, {@code 10s}, {@code 2m}, {@code 1h}; a bare number is refused. */
    public static ConfigKey<Duration> duration(String name, Duration defaultValue) {
        return of(name, defaultValue, ConfigKey::parseDuration, ConfigKey::formatDuration);
    }

    /** One of {@code type}'s constants, named in lower case ({@code -} stands for {@code _}); case is ignored. */
    public static <E extends Enum<E>> ConfigKey<E> enumOf(String name, Class<E> type, E defaultValue) {
        return of(name, defaultValue, v -> parseEnum(type, v), e -> e.name().toLowerCase(Locale.ROOT));
    }

    /**
     * This key with one more rule: a value for which {@code ok} is false fails with
     * {@code <key> <rule>, got <value>} ({@code port must be between 0 and 65535, got 70000}).
     */
    public ConfigKey<T> check(Predicate<? super T> ok, String rule) {
        Objects.requireNonNull(ok, "ok");
        Objects.requireNonNull(rule, "rule");
        List<Rule<T>> more = new ArrayList<>(rules);
        more.add(new Rule<>(ok, rule));
        return new ConfigKey<>(name, defaultValue, parser, printer, more, scope, doc);
    }

    /** This key, applying only to {@code scope}; the default is {@link Scope#BOTH}. */
    public ConfigKey<T> scope(Scope scope) {
        return new ConfigKey<>(name, defaultValue, parser, printer, rules, Objects.requireNonNull(scope, "scope"), doc);
    }

    /** This key with a one-line description. */
    public ConfigKey<T> doc(String doc) {
        return new ConfigKey<>(name, defaultValue, parser, printer, rules, scope, Objects.requireNonNull(doc, "doc"));
    }

    /** The key's name within its section. */
    public String name() {
        return name;
    }

    /** The value when no source sets the key. */
    public T defaultValue() {
        return defaultValue;
    }

    /** Which endpoints the key applies to. */
    public Scope scope() {
        return scope;
    }

    /** The one-line description; {@code ""} when none was given. */
    public String doc() {
        return doc;
    }

    /** @throws IllegalArgumentException saying what was expected */
    public T parse(String text) {
        return parser.apply(text);
    }

    /** {@code value} as it is written in a file ({@code 10s}, not {@code PT10S}). */
    public String format(T value) {
        return value == null ? "null" : printer.apply(value);
    }

    /** The first rule {@code value} breaks, as {@code "must be > 0, got -1"}; null when it follows them all. */
    public String broken(T value) {
        if (value == null) return "must not be null";
        for (Rule<T> r : rules) {
            if (!r.ok.test(value)) return r.rule + ", got " + format(value);
        }
        return null;
    }

    @Override
    public String toString() {
        return name;
    }

    private record Rule<T>(Predicate<? super T> ok, String rule) {
    }

    static int parseInt(String v) {
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

    /** {@code 500ms}, {@code 10s}, {@code 2m}, {@code 1h}. */
    static Duration parseDuration(String v) {
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

    /** Durations as they are written in config files ({@code 500ms}), not as {@code PT0.5S}. */
    static String formatDuration(Duration d) {
        return d.toMillis() % 1000 == 0 ? d.toSeconds() + "s" : d.toMillis() + "ms";
    }
}
