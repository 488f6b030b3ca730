package io.paguma.cluster;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A task (SPEC X7; seed 002 §3.1.2, step 1): work of a {@code type} that one executor which runs
 * that type does, with a {@code payload}, the {@code files} it needs from the publisher's shared
 * directory (fetched into the executor's before it runs), an idempotency {@code key} and a
 * {@code timeout} for the run. {@code id} and {@code publisher} are set when it is published.
 *
 * <p>Delivery is at least once: a task whose executor dies before it reported the end runs again
 * on another. The key makes that invisible to the publisher: a second task published with a key
 * already known is the first one again, and a task's result reaches the publisher once.
 */
public record Task(String id, String type, byte[] payload, List<String> files, String key, Duration timeout, String publisher) {
    /** The largest payload a task carries: it travels through the registry; bulk data goes as files. */
    public static final int MAX_PAYLOAD = 8 * 1024;
    /** The most files a task names. */
    public static final int MAX_FILES = 64;

    public Task {
        Objects.requireNonNull(type, "type");
        if (!NodeInfo.validId(type)) throw new IllegalArgumentException("task type must be 1-64 letters, digits, '.', '_' or '-': '" + type + "'");
        payload = payload == null ? new byte[0] : payload;
        if (payload.length > MAX_PAYLOAD) throw new IllegalArgumentException("task payload of " + payload.length + " bytes is over " + MAX_PAYLOAD);
        files = List.copyOf(files == null ? List.of() : files);
        if (files.size() > MAX_FILES) throw new IllegalArgumentException("a task names at most " + MAX_FILES + " files, not " + files.size());
        timeout = timeout == null ? Duration.ofMinutes(5) : timeout;
        if (timeout.isNegative() || timeout.isZero()) throw new IllegalArgumentException("task timeout must be positive: " + timeout);
    }

    public static Builder builder(String type) {
        return new Builder(type);
    }

    Task published(String newId, String by) {
        return new Task(newId, type, payload, files, key == null || key.isEmpty() ? newId : key, timeout, by);
    }

    @Override
    public String toString() {
        return "Task[" + id + " " + type + (key != null && !key.equals(id) ? " key " + key : "") + ", " + payload.length + " B"
                + (files.isEmpty() ? "" : ", files " + files) + (publisher == null ? "" : ", from " + publisher) + "]";
    }

    public static final class Builder {
        private final String type;
        private byte[] payload;
        private final List<String> files = new ArrayList<>();
        private String key;
        private Duration timeout;

        private Builder(String type) {
            this.type = type;
        }

        public Builder payload(byte[] payload) {
            this.payload = payload.clone();
            return this;
        }

        public Builder payload(String text) {
            return payload(text.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        }

        /** A file the task needs: a name in the publisher's shared directory. */
        public Builder file(String name) {
            files.add(Objects.requireNonNull(name, "name"));
            return this;
        }

        /** The idempotency key (default: the task's id, i.e. none shared). */
        public Builder key(String key) {
            this.key = key;
            return this;
        }

        /** How long a run may take once assigned (default 5 minutes); then the task is TIMED_OUT. */
        public Builder timeout(Duration timeout) {
            this.timeout = timeout;
            return this;
        }

        public Task build() {
            return new Task(null, type, payload, files, key, timeout, null);
        }
    }
}
