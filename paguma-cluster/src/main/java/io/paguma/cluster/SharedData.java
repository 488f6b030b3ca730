package io.paguma.cluster;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/**
 * Data every node of a cluster sees (SPEC H4; seed 003's shared data): keys to byte values, with
 * compare-and-set, atomic counters, time to live and per-key change notifications. One contract,
 * several homes: in this process ({@link InProcessSharedData}, the default: one machine, nothing to
 * configure), hosted by a service on one node, or Redis.
 *
 * <p>Every operation is asynchronous and never blocks its caller: safe from an IO thread. A
 * future fails with {@link SharedDataException} when the store cannot answer (closed, unreachable),
 * and with {@link IllegalArgumentException} for a key that is null or empty or a value that is
 * null where one is needed. Values are copied in and out: changing an array after handing it over,
 * or one received, changes nothing stored.
 *
 * <p>A future may complete on the store's own threads (a remote store's IO thread): continue with
 * an {@code *Async} method, or on an executor of your own, before anything that blocks.
 *
 * <p>Counters ({@link #increment}) are values too: the decimal ASCII text of a signed 64-bit
 * integer, as Redis stores them; incrementing a key whose value is not such a text fails.
 */
public interface SharedData extends AutoCloseable {


    /** The value of {@code key}, or null when it has none (never set, deleted or expired). */
    CompletableFuture<byte[]> get(String key);

    /** Sets {@code key} to {@code value}, with no time to live (an earlier one is cleared). */
    CompletableFuture<Void> set(String key, byte[] value);

    /** Sets {@code key} to {@code value}; it expires {@code ttl} from now (more than zero). */
    CompletableFuture<Void> set(String key, byte[] value, Duration ttl);

    /** Deletes {@code key}; completes with whether it had a value. */
    CompletableFuture<Boolean> delete(String key);

    /**
     * Sets {@code key} to {@code update} if its value is now {@code expected}, atomically;
     * completes with whether it did. {@code expected} null means "has no value" (set if absent);
     * {@code update} null deletes (so {@code compareAndSet(k, null, null)} on an absent key is true
     * and changes nothing). A time to live the key had is kept when it is replaced.
     */
    CompletableFuture<Boolean> compareAndSet(String key, byte[] expected, byte[] update);

    /**
     * Adds {@code delta} to the counter at {@code key} (absent counts as 0), atomically; completes
     * with the new value. Fails with {@link SharedDataException} if the value is not a counter or
     * the sum overflows. A time to live the key had is kept.
     */
    CompletableFuture<Long> increment(String key, long delta);

    /** Makes {@code key} expire {@code ttl} from now; completes with false if it has no value. */
    CompletableFuture<Boolean> expire(String key, Duration ttl);

    /**
     * Calls {@code listener} for every later change of {@code key}: set (by any operation, even to
     * the same value), deleted, expired; a new time to live alone ({@link #expire}) is not a change.
     * The calls of one store, to all its listeners, come one at a time in the order the changes
     * happened (per store, not only per listener), never on the caller's thread
     * and never while holding the store's locks. A change made after this returns is heard; one
     * that completed before it is not. Close the subscription to stop. Having no future, this throws:
     * {@link IllegalArgumentException} for a null or empty key, {@link SharedDataException} once
     * the store is closed.
     */
    Subscription subscribe(String key, Consumer<Change> listener);

    /**
     * Releases what the store holds (threads, connections) and ends its subscriptions; later
     * operations fail with {@link SharedDataException}. Safe to call twice.
     */
    @Override
    void close();

    /** What happened to a key. */
    enum ChangeType {
        SET, DELETED, EXPIRED
    }

    /**
     * One change of a key: its new value after {@link ChangeType#SET} (a copy), null otherwise.
     */
    record Change(String key, ChangeType type, byte[] value) {
    }

    /** A listener's registration. */
    interface Subscription extends AutoCloseable {
        /** Stops the calls; does not wait for a call under way, which finishes. Safe to call twice. */
        @Override
        void close();
    }
}
