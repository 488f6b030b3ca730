package io.paguma.cluster;

import io.paguma.cluster.internal.Args;
import io.paguma.Message;
import io.paguma.RemoteException;
import io.paguma.cluster.internal.Wire;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * {@link SharedData} hosted by a {@link SharedDataService} on one node and reached by service
 * requests (seed 003's design without Redis). A node configured with
 * {@code cluster.sharedData: service} uses one; {@link #of(Daemon)} makes another on a running
 * node. Same contract as every shared data: atomic operations, time to live, ordered change
 * notifications.
 *
 * <p>Every operation is one request to the service (on this node when it runs here), with the
 * cluster's {@code requestTimeout}. When no node runs the service, or it does not answer in time,
 * operations fail with {@link SharedDataException} saying so. Subscriptions are kept by the
 * hosting node, which pushes each change to this node; this store calls its listeners on a
 * thread of its own, {@code paguma-shared-data-<node>-<n>}, one at a time in the order of the
 * changes. When the hosting node leaves, its data and subscriptions are gone with it.
 */
public final class ServiceSharedData implements SharedData {
    private static final Logger log = LoggerFactory.getLogger(ServiceSharedData.class);

    private final ClusterNode node;
    private final int number;
    private final ConcurrentHashMap<String, CopyOnWriteArrayList<Sub>> listeners = new ConcurrentHashMap<>();
    private final ExecutorService delivery;
    private final AtomicBoolean closed = new AtomicBoolean();

    ServiceSharedData(ClusterNode node) {
        this.node = node;
        this.number = node.registerDataStore(this);
        ThreadPoolExecutor ex = new ThreadPoolExecutor(1, 1, 1, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), r -> {
            Thread t = new Thread(r, "paguma-shared-data-" + node.id() + "-" + number);
            t.setDaemon(true);
            return t;
        });
        ex.allowCoreThreadTimeOut(true);
        this.delivery = ex;
    }

    /** Another store on a running node, reaching the same hosted data. */
    public static ServiceSharedData of(Daemon daemon) {
        return new ServiceSharedData((ClusterNode) daemon.context());
    }

    private final class Sub implements Subscription {
        final String key;
        final Consumer<Change> listener;
        volatile boolean open = true;

        Sub(String key, Consumer<Change> listener) {
            this.key = key;
            this.listener = listener;
        }

        @Override
        public void close() {
            if (!open) return;
            open = false;
            listeners.computeIfPresent(key, (k, list) -> {
                list.remove(this);
                if (list.isEmpty()) {
                    unsubscribeRemote(k);
                    return null;
                }
                return list;
            });
        }
    }

    private <T> CompletableFuture<T> op(String key, int id, Wire.Writer fields, Function<byte[], T> decode) {
        if (key == null || key.isEmpty()) {
            return CompletableFuture.failedFuture(new IllegalArgumentException("key is " + (key == null ? "null" : "empty")));
        }
        if (closed.get()) return CompletableFuture.failedFuture(closedException());
        byte[] k = key.getBytes(StandardCharsets.UTF_8);
        Wire.Writer w = new Wire.Writer(8 + k.length).bytes(k);
        byte[] frame = fields == null ? w.toBytes() : concat(w.toBytes(), fields.toBytes());
        return node.request(SharedDataService.NAME, id, frame, node.requestTimeout(), true).handle((Message reply, Throwable e) -> {
            if (e == null) return CompletableFuture.completedFuture(decode.apply(reply.data()));
            Throwable cause = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
            if (cause instanceof RemoteException re && re.status() == SharedDataService.BAD_ARGUMENT) {
                return CompletableFuture.<T>failedFuture(new IllegalArgumentException(re.remoteMessage()));
            }
            if (cause instanceof RemoteException re && re.status() == SharedDataService.REFUSED) {
                return CompletableFuture.<T>failedFuture(new SharedDataException(re.remoteMessage()));
            }
            return CompletableFuture.<T>failedFuture(new SharedDataException("shared data service '" + SharedDataService.NAME
                    + "' did not answer node " + node.id() + ": " + cause, cause));
        }).thenCompose(Function.identity());
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    private static boolean bool(byte[] b) {
        return b.length == 1 && b[0] == 1;
    }


    private static long ttlNanos(Duration ttl) {
        return ttl.compareTo(Duration.ofNanos(Long.MAX_VALUE / 4)) >= 0 ? Long.MAX_VALUE / 4 : ttl.toNanos();
    }

    @Override
    public CompletableFuture<byte[]> get(String key) {
        return op(key, SharedDataService.GET, null, b -> {
            Wire.Reader in = new Wire.Reader(b);
            return in.u8("has") == 1 ? in.bytes("value") : null;
        });
    }

    @Override
    public CompletableFuture<Void> set(String key, byte[] value) {
        if (value == null) return CompletableFuture.failedFuture(new IllegalArgumentException("value is null"));
        return op(key, SharedDataService.SET, new Wire.Writer(8 + value.length).bytes(value), b -> null);
    }

    @Override
    public CompletableFuture<Void> set(String key, byte[] value, Duration ttl) {
        if (value == null) return CompletableFuture.failedFuture(new IllegalArgumentException("value is null"));
        IllegalArgumentException bad = Args.badTtl(ttl);
        if (bad != null) return CompletableFuture.failedFuture(bad);
        return op(key, SharedDataService.SET_TTL, new Wire.Writer(16 + value.length).bytes(value).i64(ttlNanos(ttl)), b -> null);
    }

    @Override
    public CompletableFuture<Boolean> delete(String key) {
        return op(key, SharedDataService.DELETE, null, ServiceSharedData::bool);
    }

    @Override
    public CompletableFuture<Boolean> compareAndSet(String key, byte[] expected, byte[] update) {
        Wire.Writer w = new Wire.Writer(16 + (expected == null ? 0 : expected.length) + (update == null ? 0 : update.length));
        w.u8(expected == null ? 0 : 1);
        if (expected != null) w.bytes(expected);
        w.u8(update == null ? 0 : 1);
        if (update != null) w.bytes(update);
        return op(key, SharedDataService.CAS, w, ServiceSharedData::bool);
    }

    @Override
    public CompletableFuture<Long> increment(String key, long delta) {
        return op(key, SharedDataService.INCREMENT, new Wire.Writer(8).i64(delta), b -> new Wire.Reader(b).i64("value"));
    }

    @Override
    public CompletableFuture<Boolean> expire(String key, Duration ttl) {
        IllegalArgumentException bad = Args.badTtl(ttl);
        if (bad != null) return CompletableFuture.failedFuture(bad);
        return op(key, SharedDataService.EXPIRE, new Wire.Writer(8).i64(ttlNanos(ttl)), ServiceSharedData::bool);
    }

    @Override
    public Subscription subscribe(String key, Consumer<Change> listener) {
        if (key == null || key.isEmpty()) throw new IllegalArgumentException("key is " + (key == null ? "null" : "empty"));
        Objects.requireNonNull(listener, "listener");
        if (closed.get()) throw closedException();
        Sub sub = new Sub(key, listener);
        listeners.compute(key, (k, list) -> {
            if (list == null) {
                list = new CopyOnWriteArrayList<>();
                subscribeRemote(k);
            }
            list.add(sub);
            return list;
        });
        return sub;
    }

    /** Sent on the caller's thread: a change made after subscribe() returns reaches the host after it. */
    private void subscribeRemote(String key) {
        subscription(SharedDataService.SUBSCRIBE, key);
    }

    /** The hosting service came (back): subscribe again to every key that has listeners here. */
    void resubscribe() {
        if (closed.get()) return;
        for (String key : listeners.keySet()) {
            subscription(SharedDataService.SUBSCRIBE, key);
        }
    }

    private void unsubscribeRemote(String key) {
        subscription(SharedDataService.UNSUBSCRIBE, key);
    }

    private void subscription(int id, String key) {
        byte[] k = key.getBytes(StandardCharsets.UTF_8);
        byte[] frame = new Wire.Writer(24 + k.length).bytes(k).str(node.id()).i32(number).toBytes();
        node.request(SharedDataService.NAME, id, frame, node.requestTimeout(), true).whenComplete((reply, e) -> {
            if (e != null) {
                log.warn("shared data of node {}: {} of key {} failed: {}", node.id(),
                        id == SharedDataService.SUBSCRIBE ? "subscription" : "unsubscription", key, e.toString());
            }
        });
    }

    /** A change the hosting node pushed, on the link's thread: handed to this store's delivery thread. */
    void changed(Change change) {
        CopyOnWriteArrayList<Sub> subs = listeners.get(change.key());
        if (subs == null || closed.get()) return;
        Sub[] snapshot = subs.toArray(Sub[]::new);
        try {
            delivery.execute(() -> {
                for (Sub s : snapshot) {
                    if (!s.open || closed.get()) continue;
                    try {
                        s.listener.accept(new Change(change.key(), change.type(), change.value() == null ? null : change.value().clone()));
                    } catch (RuntimeException e) {
                        log.warn("shared data listener of key {} failed", change.key(), e);
                    }
                }
            });
        } catch (RejectedExecutionException e) {
            // closed
        }
    }

    private SharedDataException closedException() {
        return new SharedDataException("shared data of node " + node.id() + " (store " + number + ") is closed");
    }

    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) return;
        for (String key : listeners.keySet()) {
            unsubscribeRemote(key);
        }
        listeners.clear();
        node.unregisterDataStore(number);
        delivery.shutdown();
    }

}
