package io.paguma;

/** A configuration that cannot be used: an unknown key, a bad value, an unreadable file. The message names the key. */
public final class ConfigException extends RuntimeException {
    private final String key;

    /** A problem that is not one key's (an unreadable file, say). */
    public ConfigException(String message) {
        this(null, message);
    }

    /** A bad value of {@code key}. */
    public ConfigException(String key, String message) {
        super(message);
        this.key = key;
    }

    /** A problem that is not one key's, caused by {@code cause}. */
    public ConfigException(String message, Throwable cause) {
        super(message, cause);
        this.key = null;
    }

    /** The key whose value is bad, or null when the problem is not one key's. */
    public String key() {
        return key;
    }
}
