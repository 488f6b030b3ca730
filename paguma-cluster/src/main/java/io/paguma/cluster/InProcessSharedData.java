package io.paguma.cluster;

import io.paguma.cluster.internal.Args;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.Objects;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * {@link SharedData} held in this process: the default home, for one machine, with nothing to
 * configure. Two stores are independent; each is safe to use from any number of threads.
 *
 * <p>Operations are carried out on the caller's thread and return completed futures (they take
 * no lock longer than one key's update). Everything the contract says "fails" fails the returned
 * future, never throws: a null or empty key, a null value or a time to live that is null, zero or
 * negative with {@link IllegalArgumentException}; a value that is not a counter, an overflowing
 * sum, or a closed store with {@link SharedDataException}. Only {@link #subscribe}, which returns
 * no future, throws: {@link IllegalArgumentException} for a bad key, {@link NullPointerException}
 * for a null listener, {@link SharedDataException} once closed.
 *
 * <p>Each store has one daemon thread, {@code paguma-shared-data-<name>}, started on first need.
 * It expires keys when their time comes, whether or not anyone reads them (a read after the
 * deadline also finds the key absent, even if the thread is late), and it calls listeners: one at
 * a time, in the order the changes were made to the store, never under a lock of the store. A
 * listener that blocks delays every other listener and expiry of this store. A listener that
 * throws is logged with its key; the others are still called. Changing only a time to live
 * ({@link #expire}) is not a change: it notifies nobody.
 *
 * <p>{@link #close()} stops that thread and waits (at most 5 seconds) for it to end, unless called
 * from it; notifications not yet delivered are dropped and subscriptions end.
 */
public final class InProcessSharedData implements SharedData {
    private static final Logger log = LoggerFactory.getLogger(InProcessSharedData.class);
    private static final AtomicInteger NEXT_NUMBER = new AtomicInteger(1);
    /** Longer times to live are cut to this (about 73 years), so that deadlines never overflow. */
    private static final long MAX_TTL_NANOS = Long.MAX_VALUE / 4;
    private static final int DRAIN_BATCH = 256;

    private final String name;
    private final ConcurrentHashMap<String, Entry> entries = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Sub[]> subscribers = new ConcurrentHashMap<>();
    /**
     * The changes not yet delivered. A change is queued inside the {@code compute} that makes it,
     * while that key's bin is locked: two changes of one key are queued in the order they were
     * made, and a change made after another (by any key) returned is queued after it. Only the
     * store's single thread takes from the queue, and calls listeners outside any lock: one at a
     * time, in queue order.
     */
    private final Queue<Notification> notifications = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean drainScheduled = new AtomicBoolean();
    private final ScheduledThreadPoolExecutor executor;
    private final AtomicBoolean closed = new AtomicBoolean();
    private volatile Thread thread;

    private InProcessSharedData(String name) {
        this.name = name;
        executor = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "paguma-shared-data-" + name);
            t.setDaemon(true);
            thread = t;
            return t;
        });
        executor.setRemoveOnCancelPolicy(true);
        executor.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
    }

    /** A new, empty store whose thread is named {@code paguma-shared-data-<n>}, n counting stores. */
    public static InProcessSharedData create() {
        return create(Integer.toString(NEXT_NUMBER.getAndIncrement()));
    }

    /** A new, empty store whose thread is named {@code paguma-shared-data-<name>}. */
    public static InProcessSharedData create(String name) {
        return new InProcessSharedData(Objects.requireNonNull(name, "name"));
    }

    /** An entry, never changed once made: a copy of the value, its deadline, and the timer that expires it. */
    private record Entry(byte[] value, long deadline, Future<?> timer) {
        boolean hasTtl() {
            return timer != null;
        }

        boolean expiredAt(long now) {
            return timer != null && deadline - now <= 0;
        }
    }

    /** A change to deliver to the listeners that were subscribed when it was made. */
    private record Notification(String key, ChangeType type, byte[] value, Sub[] subs) {
    }

    private static final class Sub implements Subscription {
        final InProcessSharedData store;
        final String key;
        final Consumer<Change> listener;
        volatile boolean closed;

        Sub(InProcessSharedData store, String key, Consumer<Change> listener) {
            this.store = store;
            this.key = key;
            this.listener = listener;
        }

        @Override
        public void close() {
            if (closed) return;
            closed = true;
            store.unsubscribe(this);
        }
    }

    /** Thrown inside an update to fail the operation without changing the key. */
    private static final class Refused extends RuntimeException {
        Refused(RuntimeException failure) {
            super(failure);
        }
    }

    @Override
    public CompletableFuture<byte[]> get(String key) {
        return run(key, () -> {
            Entry e = entries.get(key);
            if (e == null) return null;
            if (e.expiredAt(System.nanoTime())) {
                expireIfDue(key);
                return null;
            }
            return e.value().clone();
        });
    }

    @Override
    public CompletableFuture<Void> set(String key, byte[] value) {
        if (value == null) return CompletableFuture.failedFuture(new IllegalArgumentException("value is null"));
        byte[] copy = value.clone();
        return run(key, () -> {
            entries.compute(key, (k, old) -> {
                live(k, old, System.nanoTime());
                cancelTimer(old);
                notify(k, ChangeType.SET, copy);
                return new Entry(copy, 0, null);
            });
            return null;
        });
    }

    @Override
    public CompletableFuture<Void> set(String key, byte[] value, Duration ttl) {
        if (value == null) return CompletableFuture.failedFuture(new IllegalArgumentException("value is null"));
        IllegalArgumentException badTtl = Args.badTtl(ttl);
        if (badTtl != null) return CompletableFuture.failedFuture(badTtl);
        byte[] copy = value.clone();
        long nanos = ttlNanos(ttl);
        return run(key, () -> {
            entries.compute(key, (k, old) -> {
                long now = System.nanoTime();
                live(k, old, now);
                cancelTimer(old);
                Entry e = timed(k, copy, now, nanos);
                notify(k, ChangeType.SET, copy);
                return e;
            });
            return null;
        });
    }

    @Override
    public CompletableFuture<Boolean> delete(String key) {
        return run(key, () -> {
            boolean[] had = new boolean[1];
            entries.compute(key, (k, old) -> {
                Entry current = live(k, old, System.nanoTime());
                cancelTimer(old);
                if (current != null) {
                    had[0] = true;
                    notify(k, ChangeType.DELETED, null);
                }
                return null;
            });
            return had[0];
        });
    }

    @Override
    public CompletableFuture<Boolean> compareAndSet(String key, byte[] expected, byte[] update) {
        byte[] expectedCopy = expected == null ? null : expected.clone();
        byte[] updateCopy = update == null ? null : update.clone();
        return run(key, () -> {
            boolean[] done = new boolean[1];
            entries.compute(key, (k, old) -> {
                Entry current = live(k, old, System.nanoTime());
                boolean matches = current == null ? expectedCopy == null
                        : expectedCopy != null && Arrays.equals(current.value(), expectedCopy);
                if (!matches) return current;
                done[0] = true;
                if (updateCopy == null) {
                    if (current == null) return null; // absent stays absent: no change
                    cancelTimer(current);
                    notify(k, ChangeType.DELETED, null);
                    return null;
                }
                notify(k, ChangeType.SET, updateCopy);
                return current == null ? new Entry(updateCopy, 0, null)
                        : new Entry(updateCopy, current.deadline(), current.timer());
            });
            return done[0];
        });
    }

    @Override
    public CompletableFuture<Long> increment(String key, long delta) {
        return run(key, () -> {
            long[] result = new long[1];
            entries.compute(key, (k, old) -> {
                Entry current = live(k, old, System.nanoTime());
                long sum;
                try {
                    sum = Math.addExact(current == null ? 0 : counter(k, current.value()), delta);
                } catch (ArithmeticException overflow) {
                    throw new Refused(new SharedDataException("incrementing '" + k + "' by " + delta + " overflows"));
                }
                result[0] = sum;
                byte[] text = Long.toString(sum).getBytes(StandardCharsets.US_ASCII);
                notify(k, ChangeType.SET, text);
                return current == null ? new Entry(text, 0, null) : new Entry(text, current.deadline(), current.timer());
            });
            return result[0];
        });
    }

    @Override
    public CompletableFuture<Boolean> expire(String key, Duration ttl) {
        IllegalArgumentException badTtl = Args.badTtl(ttl);
        if (badTtl != null) return CompletableFuture.failedFuture(badTtl);
        long nanos = ttlNanos(ttl);
        return run(key, () -> {
            boolean[] had = new boolean[1];
            entries.compute(key, (k, old) -> {
                long now = System.nanoTime();
                Entry current = live(k, old, now);
                if (current == null) return null;
                had[0] = true;
                cancelTimer(current);
                return timed(k, current.value(), now, nanos);
            });
            return had[0];
        });
    }

    @Override
    public Subscription subscribe(String key, Consumer<Change> listener) {
        checkKey(key);
        Objects.requireNonNull(listener, "listener");
        if (closed.get()) throw closedException();
        Sub sub = new Sub(this, key, listener);
        subscribers.compute(key, (k, subs) -> {
            if (subs == null) return new Sub[] {sub};
            Sub[] more = Arrays.copyOf(subs, subs.length + 1);
            more[subs.length] = sub;
            return more;
        });
        return sub;
    }

    private void unsubscribe(Sub sub) {
        subscribers.computeIfPresent(sub.key, (k, subs) -> {
            Sub[] fewer = Arrays.stream(subs).filter(s -> s != sub).toArray(Sub[]::new);
            return fewer.length == 0 ? null : fewer;
        });
    }

    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) return;
        executor.shutdownNow();
        notifications.clear();
        subscribers.clear();
        entries.clear();
        if (Thread.currentThread() == thread) return; // a listener closing its store: the thread ends after it
        try {
            if (!executor.awaitTermination(5, TimeUnit.SECONDS)) {
                log.warn("Shared data '{}': its thread did not end within 5 s of close (a listener blocks?)", name);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public String toString() {
        return "InProcessSharedData[" + name + "]";
    }

    // --- Inside an update of one key (ConcurrentHashMap.compute): nothing here calls a listener.

    /**
     * {@code old} if it is live at {@code now}; null if absent or expired. An expired entry is
     * announced here (and its timer cancelled), so that the change replacing it comes after.
     */
    private Entry live(String key, Entry old, long now) {
        if (old == null || !old.expiredAt(now)) return old;
        cancelTimer(old);
        notify(key, ChangeType.EXPIRED, null);
        return null;
    }

    private Entry timed(String key, byte[] value, long now, long nanos) {
        Future<?> timer = executor.schedule(() -> expireIfDue(key), nanos, TimeUnit.NANOSECONDS);
        return new Entry(value, now + nanos, timer);
    }

    private static void cancelTimer(Entry e) {
        if (e != null && e.timer() != null) e.timer().cancel(false);
    }

    /** Queues a change for the listeners subscribed now; called under the key's update, so in order. */
    private void notify(String key, ChangeType type, byte[] value) {
        Sub[] subs = subscribers.get(key);
        if (subs != null) notifications.add(new Notification(key, type, value, subs));
    }

    private static long counter(String key, byte[] value) {
        // Redis's rule: an optional minus, then digits without a leading zero (or a lone "0").
        int n = value.length;
        int start = n > 0 && value[0] == '-' ? 1 : 0;
        boolean ok = n > start && n - start <= 19;
        for (int i = start; ok && i < n; i++) ok = value[i] >= '0' && value[i] <= '9';
        ok = ok && (value[start] != '0' || (n == 1));
        if (ok) {
            try {
                return Long.parseLong(new String(value, StandardCharsets.US_ASCII));
            } catch (NumberFormatException outOfRange) {
                // falls through
            }
        }
        throw new Refused(new SharedDataException("value of '" + key + "' is not a counter"));
    }

    // --- On the store's thread.

    private void expireIfDue(String key) {
        entries.computeIfPresent(key, (k, old) -> live(k, old, System.nanoTime()));
        drainSoon();
    }

    private void drainSoon() {
        if (notifications.isEmpty() || !drainScheduled.compareAndSet(false, true)) return;
        try {
            executor.execute(this::drain);
        } catch (RejectedExecutionException closing) {
            // closed meanwhile: its notifications are dropped
        }
    }

    /**
     * Delivers queued notifications, at most {@link #DRAIN_BATCH}: then it yields the thread to the
     * timers that are due and schedules itself again, so that a flood of changes delays no expiry.
     */
    private void drain() {
        drainScheduled.set(false); // before polling: a change queued from now on schedules another drain
        Notification n;
        for (int i = 0; i < DRAIN_BATCH && !closed.get() && (n = notifications.poll()) != null; i++) {
            for (Sub sub : n.subs()) {
                if (sub.closed || closed.get()) continue;
                try {
                    sub.listener.accept(new Change(n.key(), n.type(), n.value() == null ? null : n.value().clone()));
                } catch (Throwable t) {
                    log.warn("Shared data '{}': a listener of key '{}' threw {}", name, n.key(), t.toString());
                    log.debug("Shared data listener failure", t);
                }
            }
        }
        drainSoon();
    }

    // --- Checks.

    private <T> CompletableFuture<T> run(String key, Supplier<T> operation) {
        if (key == null || key.isEmpty()) {
            return CompletableFuture.failedFuture(new IllegalArgumentException("key is " + (key == null ? "null" : "empty")));
        }
        if (closed.get()) return CompletableFuture.failedFuture(closedException());
        try {
            T result = operation.get();
            return CompletableFuture.completedFuture(result);
        } catch (Refused r) {
            return CompletableFuture.failedFuture(r.getCause());
        } catch (RejectedExecutionException closing) {
            return CompletableFuture.failedFuture(closedException());
        } catch (RuntimeException | Error e) {
            return CompletableFuture.failedFuture(e);
        } finally {
            drainSoon();
        }
    }

    private SharedDataException closedException() {
        return new SharedDataException("shared data '" + name + "' is closed");
    }

    private static void checkKey(String key) {
        if (key == null || key.isEmpty()) throw new IllegalArgumentException("key is " + (key == null ? "null" : "empty"));
    }


    private static long ttlNanos(Duration ttl) {
        if (ttl.compareTo(Duration.ofNanos(MAX_TTL_NANOS)) >= 0) return MAX_TTL_NANOS;
        return ttl.toNanos();
    }
}
