package io.paguma.redis;

import io.paguma.cluster.internal.Args;
import io.lettuce.core.ScriptOutputType;
import io.paguma.PagumaConfig;
import io.paguma.PagumaRuntime;
import io.paguma.cluster.SharedData;
import io.paguma.cluster.SharedDataException;
import io.paguma.redis.RedisLink.Script;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * {@link SharedData} in Redis: every node that uses the same Redis (and {@code redis.keyPrefix})
 * sees the same data. See docs/REDIS.md for the keys, channels and scripts.
 *
 * <p>Key {@code k} is Redis key {@code <keyPrefix>data:k}, holding the value's bytes as they are.
 * Every write is made by a Lua script, so it is atomic in Redis: it changes the key and publishes the
 * change on the channel of the key's own name, {@code <keyPrefix>data:k} ({@code S} and the new value, or {@code D});
 * Redis announces expired keys itself ({@code notify-keyspace-events Ex}, which the store sets when
 * it connects; if Redis refuses, one WARN says that EXPIRED will not arrive). A store subscribes
 * a key's channel while it has listeners for the key. One connection receives all of them, in the
 * order Redis made the changes, and one daemon thread per store, {@code paguma-redis-data-<name>},
 * calls the listeners in that order: never on the caller's thread, never on an IO thread. A
 * listener that blocks delays the others of its store; one that throws is logged with its key.
 * A listener hears the changes Redis made after it confirmed the subscription (for a key that
 * already has listeners, after a PING on the pub/sub connection): an operation made after
 * {@link #subscribe} returned waits for that, so its change is heard, and one that completed
 * before is not. An operation made after a subscription's close returned waits for the
 * UNSUBSCRIBE, so that a later listener of the key does not hear it.
 *
 * <p>Operations issued together (in one turn of the store's event loop) go to Redis as one command
 * per run of one kind: gets as one {@code MGET}, sets and increments as one script that handles
 * each key in turn ({@link Batches}); each keeps its own result, failure and notification, and
 * Redis applies them in the order they were issued.
 *
 * <p>Operations never block. Their futures complete on a Lettuce IO thread (the runtime's, when
 * the store has one): do not block in callbacks on them. A future fails with
 * {@link SharedDataException} naming Redis's address when Redis does not answer within
 * {@code redis.commandTimeout} or cannot be reached (the store reconnects by itself: at once, then
 * every {@code redis.reconnectDelay}), and with {@link IllegalArgumentException} for the arguments
 * {@link io.paguma.cluster.InProcessSharedData} refuses. Notifications of changes made while the
 * store was not connected are lost (Redis pub/sub delivers at most once).
 *
 * <p>{@link #close()} ends the subscriptions, drops notifications not yet delivered, closes the
 * connections and then the Lettuce resources it made (never the runtime's loops).
 */
public final class RedisSharedData implements SharedData {
    private static final Logger log = LoggerFactory.getLogger(RedisSharedData.class);
    /** Longer times to live are cut to this (about 100 years). */
    private static final long MAX_TTL_MILLIS = Duration.ofDays(36_500).toMillis();

    private static final Script DELETE = Script.of("delete", """
            if redis.call('DEL', KEYS[1]) == 1 then
              redis.call('PUBLISH', KEYS[1], 'D')
              return 1
            end
            return 0""");
    /** ARGV: expected given (1/0), expected, update given (1/0), update. */
    private static final Script COMPARE_AND_SET = Script.of("compare-and-set", """
            local current = redis.call('GET', KEYS[1])
            if ARGV[1] == '1' then
              if current == false or current ~= ARGV[2] then return 0 end
            elseif current ~= false then
              return 0
            end
            if ARGV[3] == '1' then
              redis.call('SET', KEYS[1], ARGV[4], 'KEEPTTL')
              redis.call('PUBLISH', KEYS[1], 'S' .. ARGV[4])
            elseif current ~= false then
              redis.call('DEL', KEYS[1])
              redis.call('PUBLISH', KEYS[1], 'D')
            end
            return 1""");
    private final String name;
    private final String dataPrefix;
    /**
     * Subscribed with a store's first key channel (in the same SUBSCRIBE) and kept until it closes:
     * while no store listens here, the batch scripts skip looking for listeners key by key.
     */
    private final String watching;
    private final Object watchingLock = new Object();
    private boolean watchingSubscribed;
    private final RedisLink link;
    private final Batches batches;
    private final ConcurrentHashMap<String, Sub[]> subscribers = new ConcurrentHashMap<>();
    private final ThreadPoolExecutor delivery;
    private final AtomicBoolean closed = new AtomicBoolean();
    private final Object barrierLock = new Object();
    /** Completes when every SUBSCRIBE and UNSUBSCRIBE sent so far is confirmed (or failed); operations start after it. Guarded by barrierLock. */
    private CompletableFuture<Void> subscribed = CompletableFuture.completedFuture(null);
    private final java.util.Set<Thread> deliveryThreads = ConcurrentHashMap.newKeySet();

    private RedisSharedData(PagumaConfig config, PagumaRuntime runtime) {
        this.name = config.name();
        var redis = config.section(new RedisConfig());
        String prefix = redis.get(RedisConfig.KEY_PREFIX);
        this.dataPrefix = prefix + "data:";
        String threadName = "paguma-redis-data-" + name;
        delivery = new ThreadPoolExecutor(1, 1, 1, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), r -> {
            Thread t = new Thread(r, threadName);
            t.setDaemon(true);
            deliveryThreads.add(t);
            return t;
        });
        delivery.allowCoreThreadTimeOut(true);
        this.link = new RedisLink("shared data '" + name + "'", redis, runtime, java.util.Set.of(), this::heard);
        this.watching = prefix + "watching";
        this.batches = new Batches(link, watching, this::gate);
    }

    /**
     * A store in the Redis of {@code config}'s section {@code redis:}, on Lettuce resources of its
     * own (closed with it). Returns at once; it connects in the background.
     */
    public static RedisSharedData create(PagumaConfig config) {
        return new RedisSharedData(Objects.requireNonNull(config, "config"), null);
    }

    /**
     * A store whose Lettuce client runs on {@code runtime}'s IO event loops. Close the store before
     * the runtime.
     */
    public static RedisSharedData create(PagumaConfig config, PagumaRuntime runtime) {
        return new RedisSharedData(Objects.requireNonNull(config, "config"), Objects.requireNonNull(runtime, "runtime"));
    }

    private static final class Sub implements Subscription {
        final RedisSharedData store;
        final String key;
        final Consumer<Change> listener;
        /** Set on the IO thread once Redis confirmed the subscription: messages before are of changes made earlier. */
        volatile boolean active;
        volatile boolean closed;

        Sub(RedisSharedData store, String key, Consumer<Change> listener) {
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

    // --- Operations

    @Override
    public CompletableFuture<byte[]> get(String key) {
        return run(key, "GET of '" + key + "'", batches::get);
    }

    @Override
    public CompletableFuture<Void> set(String key, byte[] value) {
        if (value == null) return CompletableFuture.failedFuture(new IllegalArgumentException("value is null"));
        byte[] copy = value.clone();
        return run(key, "SET of '" + key + "'", k -> batches.set(k, copy, null));
    }

    @Override
    public CompletableFuture<Void> set(String key, byte[] value, Duration ttl) {
        if (value == null) return CompletableFuture.failedFuture(new IllegalArgumentException("value is null"));
        IllegalArgumentException badTtl = Args.badTtl(ttl);
        if (badTtl != null) return CompletableFuture.failedFuture(badTtl);
        byte[] copy = value.clone();
        byte[] millis = ascii(ttlMillis(ttl));
        return run(key, "SET of '" + key + "'", k -> batches.set(k, copy, millis));
    }

    @Override
    public CompletableFuture<Boolean> delete(String key) {
        return run(key, "DEL of '" + key + "'", k -> batches.other(
                () -> link.<Long>script(DELETE, ScriptOutputType.INTEGER, keys(key)).thenApply(r -> r == 1)));
    }

    @Override
    public CompletableFuture<Boolean> compareAndSet(String key, byte[] expected, byte[] update) {
        byte[][] args = {
                ascii(expected == null ? 0 : 1), expected == null ? new byte[0] : expected.clone(),
                ascii(update == null ? 0 : 1), update == null ? new byte[0] : update.clone()};
        return run(key, "compare-and-set of '" + key + "'", k -> batches.other(
                () -> link.<Long>script(COMPARE_AND_SET, ScriptOutputType.INTEGER, keys(key), args).thenApply(r -> r == 1)));
    }

    @Override
    public CompletableFuture<Long> increment(String key, long delta) {
        byte[] by = ascii(delta);
        return run(key, "increment of '" + key + "'", k -> batches.increment(k, by).thenApply(text -> {
            if (text.equals(Batches.OVERFLOW)) throw new SharedDataException("incrementing '" + key + "' by " + delta + " overflows");
            if (text.equals(Batches.NOT_COUNTER)) throw new SharedDataException("value of '" + key + "' is not a counter");
            if (text.startsWith(Batches.ERROR)) {
                throw new SharedDataException("shared data '" + name + "': Redis at " + link.address() + " refused incrementing '"
                        + key + "': " + text.substring(Batches.ERROR.length()));
            }
            return Long.parseLong(text);
        }));
    }

    @Override
    public CompletableFuture<Boolean> expire(String key, Duration ttl) {
        IllegalArgumentException badTtl = Args.badTtl(ttl);
        if (badTtl != null) return CompletableFuture.failedFuture(badTtl);
        long millis = ttlMillis(ttl);
        return run(key, "PEXPIRE of '" + key + "'", k -> batches.other(() -> link.call(c -> c.pexpire(k, millis))));
    }

    // --- Subscriptions

    @Override
    public Subscription subscribe(String key, Consumer<Change> listener) {
        checkKey(key);
        Objects.requireNonNull(listener, "listener");
        if (closed.get()) throw closedException();
        Sub sub = new Sub(this, key, listener);
        subscribers.compute(key, (k, subs) -> {
            // The first listener of a key subscribes its channel; a later one waits for a PING on
            // the pub/sub connection: either way, it hears what Redis publishes after the reply.
            CompletableFuture<Void> confirmed = subs == null ? subscribeKey(k) : link.fence();
            awaitBefore(confirmed.whenComplete((v, e) -> sub.active = true));
            if (subs == null) return new Sub[] {sub};
            Sub[] more = Arrays.copyOf(subs, subs.length + 1);
            more[subs.length] = sub;
            return more;
        });
        return sub;
    }

    /**
     * SUBSCRIBEs the key's channel, after the watching channel's own SUBSCRIBE the first time: one
     * channel per command (Lettuce completes a SUBSCRIBE of several channels at the first of their
     * confirmations), issued in this order on the one pub/sub connection, so Redis has the
     * watching channel before any key channel of this store.
     */
    private CompletableFuture<Void> subscribeKey(String k) {
        synchronized (watchingLock) {
            if (!watchingSubscribed) {
                watchingSubscribed = true;
                awaitBefore(link.subscribe(watching));
            }
            return link.subscribe(dataPrefix + k);
        }
    }

    private void unsubscribe(Sub sub) {
        subscribers.computeIfPresent(sub.key, (k, subs) -> {
            Sub[] fewer = Arrays.stream(subs).filter(s -> s != sub).toArray(Sub[]::new);
            if (fewer.length > 0) return fewer;
            if (!closed.get()) awaitBefore(link.unsubscribe(dataPrefix + k));
            return null;
        });
    }

    /**
     * Later operations start once {@code confirmed} (a SUBSCRIBE or UNSUBSCRIBE) has completed:
     * Redis then publishes their changes to the channels as they are now subscribed, neither a
     * change the new listener should not hear nor one it should miss.
     */
    private void awaitBefore(CompletableFuture<Void> confirmed) {
        synchronized (barrierLock) {
            subscribed = subscribed.isDone() ? confirmed : CompletableFuture.allOf(subscribed, confirmed);
        }
    }

    /** A pub/sub message, on the IO thread: queued for the delivery thread with the listeners subscribed now. */
    private void heard(String channel, byte[] message) {
        String key;
        ChangeType type;
        byte[] value = null;
        if (channel.equals(link.expiredChannel())) {
            String expired = new String(message, StandardCharsets.UTF_8);
            if (!expired.startsWith(dataPrefix)) return;
            key = expired.substring(dataPrefix.length());
            type = ChangeType.EXPIRED;
        } else if (channel.startsWith(dataPrefix) && message.length > 0) {
            key = channel.substring(dataPrefix.length());
            if (message[0] == 'S') {
                type = ChangeType.SET;
                value = Arrays.copyOfRange(message, 1, message.length);
            } else {
                type = ChangeType.DELETED;
            }
        } else {
            return;
        }
        Sub[] all = subscribers.get(key);
        if (all == null || closed.get()) return;
        Sub[] subs = Arrays.stream(all).filter(s -> s.active).toArray(Sub[]::new);
        if (subs.length == 0) return;
        Change change = new Change(key, type, value);
        try {
            delivery.execute(() -> deliver(change, subs));
        } catch (RejectedExecutionException closing) {
            // closed meanwhile: dropped
        }
    }

    private void deliver(Change change, Sub[] subs) {
        for (Sub sub : subs) {
            if (sub.closed || closed.get()) continue;
            try {
                sub.listener.accept(new Change(change.key(), change.type(),
                        change.value() == null ? null : change.value().clone()));
            } catch (Throwable t) {
                log.warn("Shared data '{}': a listener of key '{}' threw {}", name, change.key(), t.toString());
                log.debug("Shared data listener failure", t);
            }
        }
    }

    // --- Close

    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) return;
        batches.close(closedException());
        delivery.shutdownNow();
        subscribers.clear();
        link.close();
        if (deliveryThreads.contains(Thread.currentThread()) || io.netty.util.internal.ThreadExecutorMap.currentExecutor() != null) {
            return;
        }
        try {
            if (!delivery.awaitTermination(5, TimeUnit.SECONDS)) {
                log.warn("Shared data '{}': its thread did not end within 5 s of close (a listener blocks?)", name);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public String toString() {
        return "RedisSharedData[" + name + " at " + link.address() + "]";
    }

    // --- Helpers

    private String[] keys(String key) {
        return new String[] {dataPrefix + key};
    }

    /**
     * Checks the key, waits for subscriptions under way, runs the operation on the Redis key and
     * turns Redis's failures into {@link SharedDataException}s naming Redis's address.
     */
    private <T> CompletableFuture<T> run(String key, String what, Function<String, CompletableFuture<T>> operation) {
        if (key == null || key.isEmpty()) {
            return CompletableFuture.failedFuture(new IllegalArgumentException("key is " + (key == null ? "null" : "empty")));
        }
        if (closed.get()) return CompletableFuture.failedFuture(closedException());
        String redisKey = dataPrefix + key;
        // Queued in the order issued; the queue waits for the connection and for subscriptions
        // under way before it sends anything (see gate()).
        CompletableFuture<T> started = start(operation, redisKey);
        return started.handle((result, e) -> {
            if (e == null) return result;
            Throwable t = RedisLink.unwrap(e);
            if (t instanceof SharedDataException s) throw s;
            if (closed.get() || RedisLink.isClosed(t)) throw closedException();
            throw new SharedDataException("shared data '" + name + "': " + link.describe(t, what), t);
        });
    }

    /**
     * What the batches wait for before they send: the connection attempt under way, and every
     * SUBSCRIBE and UNSUBSCRIBE sent so far (so Redis publishes a later operation's change to the
     * channels as they are now subscribed: neither a change a new listener should not hear nor
     * one it should miss).
     */
    private CompletableFuture<?> gate() {
        CompletableFuture<Void> barrier;
        synchronized (barrierLock) {
            barrier = subscribed;
        }
        CompletableFuture<Void> connected = link.ready();
        if (barrier.isDone()) return connected;
        return CompletableFuture.allOf(connected, barrier.handle((v, e) -> null));
    }

    private static <T> CompletableFuture<T> start(Function<String, CompletableFuture<T>> operation, String redisKey) {
        try {
            return operation.apply(redisKey);
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    private SharedDataException closedException() {
        return new SharedDataException("shared data '" + name + "' is closed");
    }

    private static byte[] ascii(long n) {
        return Long.toString(n).getBytes(StandardCharsets.US_ASCII);
    }

    private static void checkKey(String key) {
        if (key == null || key.isEmpty()) throw new IllegalArgumentException("key is " + (key == null ? "null" : "empty"));
    }


    /** Whole milliseconds, rounded up (Redis counts in them), at most {@link #MAX_TTL_MILLIS}. */
    static long ttlMillis(Duration ttl) {
        if (ttl.compareTo(Duration.ofMillis(MAX_TTL_MILLIS)) >= 0) return MAX_TTL_MILLIS;
        long ms = ttl.toMillis();
        return ttl.equals(Duration.ofMillis(ms)) ? ms : ms + 1;
    }
}
