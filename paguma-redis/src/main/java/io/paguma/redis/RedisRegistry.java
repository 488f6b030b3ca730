package io.paguma.redis;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.lettuce.core.KeyValue;
import io.lettuce.core.ScriptOutputType;
import io.paguma.PagumaConfig;
import io.paguma.PagumaRuntime;
import io.paguma.cluster.ClusterConfig;
import io.paguma.cluster.NodeInfo;
import io.paguma.cluster.Registry;
import io.paguma.cluster.TaskQueue;
import io.paguma.cluster.RegistryException;
import io.paguma.redis.RedisLink.Script;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * A {@link Registry} in Redis: one view of the members of every process that uses the same Redis
 * (and {@code redis.keyPrefix}). See docs/REDIS.md for the keys, channels and scripts.
 *
 * <p>A member is key {@code <keyPrefix>member:<id>}, holding its info (JSON, after a token naming
 * the membership that wrote it), with a time to live of {@code cluster.memberTtl}, and its id is in
 * the set {@code <keyPrefix>member-ids}. The member's
 * view refreshes it every third of that, making it again if it vanished (Redis restarted without
 * persistence, or refreshes came late), so a member whose process died is gone within
 * {@code memberTtl}. Join, update and leave are Lua scripts that change the key and publish the
 * change on channel {@code <keyPrefix>members}; a join fails with {@link RegistryException} if the
 * key exists (a live member has the id). Views learn changes from that channel and from Redis's
 * expired-key events (a member whose key expired is seen to leave, with a reason saying it stopped
 * refreshing). Pub/sub delivers at most once, so every view also re-reads the whole membership
 * (the ids in the set, then their keys; ids whose key is gone are dropped from the set) every
 * {@code cluster.resyncInterval} and derives JOINED, UPDATED and LEFT from the difference.
 * While Redis is unreachable a view keeps what it knew; after it reconnects it lets its members'
 * refreshes come back (one {@code memberTtl}) before a resync may call anyone gone.
 *
 * <p>One daemon thread per view, {@code paguma-redis-registry-<name>}, applies what the view learns
 * and calls the listeners, one at a time in that order; it ends after a second without work.
 * Futures of {@link #join} and of a membership's operations complete on it, once the view has
 * applied their change. Timers (refresh, resync) run on the runtime's IO loops, or Lettuce's.
 *
 * <p>{@link #close()} makes the members joined through this view leave (deletes their keys and
 * announces it, waiting at most {@code redis.commandTimeout}), then closes the connections and the
 * Lettuce resources it made (never the runtime's loops).
 */
public final class RedisRegistry implements Registry {
    private static final Logger log = LoggerFactory.getLogger(RedisRegistry.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int READ_BATCH = 500;

    /** KEYS: the member's key, the members channel, the index of ids. ARGV: id, value, ttl. */
    private static final Script JOIN = Script.of("join", """
            if redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3], 'NX') then
              redis.call('SADD', KEYS[3], ARGV[1])
              redis.call('PUBLISH', KEYS[2], 'J' .. ARGV[2])
              return 1
            end
            return 0""");
    /** ARGV: id, token, value, ttl. 2: made again, 1: refreshed, 0: another membership has the key. */
    private static final Script REFRESH = Script.of("refresh", """
            local current = redis.call('GET', KEYS[1])
            redis.call('SADD', KEYS[3], ARGV[1])
            if current == false then
              redis.call('SET', KEYS[1], ARGV[3], 'PX', ARGV[4])
              redis.call('PUBLISH', KEYS[2], 'J' .. ARGV[3])
              return 2
            end
            if string.sub(current, 1, #ARGV[2]) ~= ARGV[2] then return 0 end
            redis.call('PEXPIRE', KEYS[1], ARGV[4])
            return 1""");
    /** ARGV: id, token, value, ttl. */
    private static final Script UPDATE = Script.of("update", """
            local current = redis.call('GET', KEYS[1])
            if current ~= false and string.sub(current, 1, #ARGV[2]) ~= ARGV[2] then return 0 end
            redis.call('SET', KEYS[1], ARGV[3], 'PX', ARGV[4])
            redis.call('SADD', KEYS[3], ARGV[1])
            redis.call('PUBLISH', KEYS[2], 'U' .. ARGV[3])
            return 1""");
    /** ARGV: id, token. */
    private static final Script LEAVE = Script.of("leave", """
            local current = redis.call('GET', KEYS[1])
            if current ~= false and string.sub(current, 1, #ARGV[2]) == ARGV[2] then
              redis.call('DEL', KEYS[1])
              redis.call('SREM', KEYS[3], ARGV[1])
              redis.call('PUBLISH', KEYS[2], 'L' .. current)
              return 1
            end
            return 0""");
    /** ARGV: id. Drops an id from the index once its key is gone (expired), atomically: a member joining meanwhile stays. */
    private static final Script PRUNE = Script.of("prune", """
            if redis.call('EXISTS', KEYS[1]) == 0 then
              redis.call('SREM', KEYS[3], ARGV[1])
              return 1
            end
            return 0""");

    private final String name;
    private final String memberPrefix;
    private final String channel;
    private final String index;
    private final Duration memberTtl;
    private final Duration resyncInterval;
    private final RedisLink link;
    private final ThreadPoolExecutor thread;
    private final Set<Thread> threads = ConcurrentHashMap.newKeySet();
    private final Map<String, NodeInfo> members = new ConcurrentHashMap<>();
    private final Map<String, RedisMembership> own = new ConcurrentHashMap<>();
    private final CopyOnWriteArrayList<Watch> watches = new CopyOnWriteArrayList<>();
    private final AtomicBoolean closed = new AtomicBoolean();
    private final Future<?> resyncTimer;
    private final CompletableFuture<Void> ready = new CompletableFuture<>();

    // --- Touched only on the view's thread.
    /** Counts what the view learnt from pub/sub; a resync ignores ids learnt about after it started. */
    private long seq;
    private final Map<String, Long> touched = new HashMap<>();
    private long leftAllowedAt = System.nanoTime();
    private boolean resyncing;
    private boolean resyncFailing;

    /** The task queue of this view's cluster, made on first use (SPEC X7). */
    private volatile RedisTaskQueue tasks;
    private final io.paguma.ConfigSection.Values redisValues;
    private final PagumaRuntime runtime;

    private RedisRegistry(PagumaConfig config, PagumaRuntime runtime) {
        this.name = config.name();
        var redis = config.section(new RedisConfig());
        this.redisValues = redis;
        this.runtime = runtime;
        var cluster = config.section(new ClusterConfig());
        this.memberPrefix = redis.get(RedisConfig.KEY_PREFIX) + "member:";
        this.index = redis.get(RedisConfig.KEY_PREFIX) + "member-ids";
        this.memberTtl = cluster.get(ClusterConfig.MEMBER_TTL);
        this.resyncInterval = cluster.get(ClusterConfig.RESYNC_INTERVAL);
        String threadName = "paguma-redis-registry-" + name;
        thread = new ThreadPoolExecutor(1, 1, 1, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), r -> {
            Thread t = new Thread(r, threadName);
            t.setDaemon(true);
            threads.add(t);
            return t;
        });
        thread.allowCoreThreadTimeOut(true);
        this.channel = redis.get(RedisConfig.KEY_PREFIX) + "members";
        this.link = new RedisLink("registry '" + name + "'", redis, runtime, Set.of(channel), new RedisLink.Listener() {
            @Override
            public void message(String ch, byte[] message) {
                heard(ch, message);
            }

            @Override
            public void connected() {
                post(() -> {
                    leftAllowedAt = System.nanoTime() + memberTtl.toNanos();
                    resync();
                });
            }
        });
        long every = resyncInterval.toNanos();
        resyncTimer = link.scheduler().scheduleWithFixedDelay(() -> post(this::resync), every, every, TimeUnit.NANOSECONDS);
    }

    /**
     * A view onto the cluster in the Redis of {@code config}'s section {@code redis:}, with section
     * {@code cluster:}'s {@code memberTtl} and {@code resyncInterval}, on Lettuce resources of its
     * own (closed with it). Returns at once; it connects and reads the membership in the background.
     */
    /**
     * The cluster's task queue in this Redis: a stream per task type with a consumer group
     * ({@link RedisTaskQueue}); made on first use, closed with the view.
     */
    @Override
    public TaskQueue tasks() {
        RedisTaskQueue t = tasks;
        if (t == null) {
            synchronized (this) {
                t = tasks;
                if (t == null) {
                    if (closed.get()) return null;
                    tasks = t = new RedisTaskQueue(name, redisValues, memberTtl, runtime);
                }
            }
        }
        return t;
    }

    /** The tasks each executor serving through this view holds now (for tests and the admin page). */
    public Map<String, Integer> taskLoad() {
        RedisTaskQueue t = tasks;
        return t == null ? Map.of() : t.load();
    }

    public static RedisRegistry create(PagumaConfig config) {
        return new RedisRegistry(Objects.requireNonNull(config, "config"), null);
    }

    /** A view whose Lettuce client runs on {@code runtime}'s IO event loops. Close the view before the runtime. */
    public static RedisRegistry create(PagumaConfig config, PagumaRuntime runtime) {
        return new RedisRegistry(Objects.requireNonNull(config, "config"), Objects.requireNonNull(runtime, "runtime"));
    }

    /**
     * Completes once the view has connected to Redis, subscribed to the membership's changes and
     * read the whole membership: from then on it hears every change. Creating a view does not wait
     * for that; a caller that must not miss a change made right after (a test, a node that lists
     * its peers at start) waits for this. Completes on the view's thread; fails if the view closes first.
     */
    public CompletableFuture<Void> ready() {
        return ready.copy();
    }

    // --- Registry

    @Override
    public CompletableFuture<Membership> join(NodeInfo self) {
        Objects.requireNonNull(self, "self");
        if (closed.get()) return CompletableFuture.failedFuture(closedException());
        if (own.containsKey(self.id())) return CompletableFuture.failedFuture(taken(self.id()));
        RedisMembership m = new RedisMembership(self);
        return link.<Long>script(JOIN, ScriptOutputType.INTEGER, keys(self.id()), bytes(self.id()), bytes(m.value(self)),
                        ascii(memberTtl.toMillis()))
                .handle((r, e) -> {
                    if (e != null) throw failure(e, "the join of " + self.id());
                    if (r != 1) throw taken(self.id());
                    return m;
                })
                .thenCompose(joined -> onThread(() -> {
                    if (closed.get() || own.putIfAbsent(self.id(), joined) != null) {
                        joined.leave();
                        throw closed.get() ? closedException() : taken(self.id());
                    }
                    joined.startRefreshing();
                    upsert(self);
                    return (Membership) joined;
                }));
    }

    @Override
    public Map<String, NodeInfo> members() {
        return Map.copyOf(members);
    }

    @Override
    public Subscription watch(Consumer<MembershipChange> listener) {
        Objects.requireNonNull(listener, "listener");
        Watch w = new Watch(listener);
        watches.add(w);
        return () -> {
            w.closed = true;
            watches.remove(w);
        };
    }

    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) return;
        resyncTimer.cancel(false);
        RedisTaskQueue t;
        synchronized (this) {
            t = tasks;
        }
        if (t != null) t.close();
        List<CompletableFuture<Void>> leaving = new ArrayList<>();
        for (RedisMembership m : own.values()) leaving.add(m.leave("left: its registry view closed"));
        boolean mayWait = !threads.contains(Thread.currentThread())
                && io.netty.util.internal.ThreadExecutorMap.currentExecutor() == null;
        if (mayWait) {
            try {
                CompletableFuture.allOf(leaving.toArray(CompletableFuture<?>[]::new))
                        .get(link.timeout().toMillis() + 1000, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (ExecutionException | TimeoutException e) {
                log.warn("registry '{}': not every member could leave before close ({}); their keys expire within {}", name,
                        RedisLink.unwrap(e).getMessage(), RedisLink.text(memberTtl));
            }
        }
        link.close();
        ready.completeExceptionally(closedException());
        thread.shutdown();
        if (mayWait) {
            try {
                if (!thread.awaitTermination(5, TimeUnit.SECONDS)) {
                    log.warn("registry '{}': its thread did not end within 5 s of close (a listener blocks?)", name);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Override
    public String toString() {
        return "RedisRegistry[" + name + " at " + link.address() + "]";
    }

    // --- What the view learns (applied on its thread)

    private void heard(String ch, byte[] message) {
        if (ch.equals(channel) && message.length > 1) {
            char type = (char) message[0];
            String value = new String(message, 1, message.length - 1, StandardCharsets.UTF_8);
            post(() -> {
                NodeInfo info = parse(value);
                if (info == null || own.containsKey(info.id())) return;
                touched.put(info.id(), ++seq);
                if (type == 'L') remove(info.id(), "left");
                else upsert(info);
            });
        } else if (ch.equals(link.expiredChannel())) {
            String key = new String(message, StandardCharsets.UTF_8);
            if (!key.startsWith(memberPrefix)) return;
            String id = key.substring(memberPrefix.length());
            post(() -> {
                if (own.containsKey(id)) return;
                touched.put(id, ++seq);
                remove(id, "stopped refreshing: its key expired (no refresh within cluster.memberTtl " + RedisLink.text(memberTtl) + ")");
            });
        }
    }

    /** Reads every member's key and applies the difference; on the view's thread. */
    private void resync() {
        if (closed.get() || resyncing) return;
        resyncing = true;
        long since = seq;
        read().whenComplete((snapshot, e) -> post(() -> {
            resyncing = false;
            if (e != null) {
                if (!resyncFailing && !closed.get()) {
                    resyncFailing = true;
                    log.warn("registry '{}': {}; keeping the {} members it knew", name,
                            link.describe(e, "the resync of the membership"), members.size());
                }
                return;
            }
            resyncFailing = false;
            apply(snapshot, since);
            ready.complete(null);
        }));
    }

    /** Every member in the index whose key exists; ids whose key is gone are pruned from the index. */
    private CompletableFuture<Map<String, NodeInfo>> read() {
        return link.<Set<byte[]>>call(c -> c.smembers(index)).thenCompose(members -> {
            List<String> ids = new ArrayList<>();
            for (byte[] id : members) ids.add(new String(id, StandardCharsets.UTF_8));
            Map<String, NodeInfo> snapshot = new HashMap<>();
            CompletableFuture<Void> all = CompletableFuture.completedFuture(null);
            for (int from = 0; from < ids.size(); from += READ_BATCH) {
                List<String> batch = ids.subList(from, Math.min(ids.size(), from + READ_BATCH));
                String[] keys = batch.stream().map(id -> memberPrefix + id).toArray(String[]::new);
                all = all.thenCompose(v -> link.<List<KeyValue<String, byte[]>>>call(c -> c.mget(keys))).thenAccept(values -> {
                    for (int i = 0; i < values.size(); i++) {
                        KeyValue<String, byte[]> kv = values.get(i);
                        if (!kv.hasValue()) {
                            String id = batch.get(i);
                            link.script(PRUNE, ScriptOutputType.INTEGER, keys(id), bytes(id));
                            continue;
                        }
                        NodeInfo info = parse(new String(kv.getValue(), StandardCharsets.UTF_8));
                        if (info != null) snapshot.put(info.id(), info);
                    }
                });
            }
            return all.thenApply(v -> snapshot);
        });
    }

    private void apply(Map<String, NodeInfo> snapshot, long since) {
        for (NodeInfo info : snapshot.values()) {
            if (own.containsKey(info.id()) || touched.getOrDefault(info.id(), 0L) > since) continue;
            upsert(info);
        }
        if (System.nanoTime() - leftAllowedAt >= 0) {
            for (String id : new ArrayList<>(members.keySet())) {
                if (snapshot.containsKey(id) || own.containsKey(id) || touched.getOrDefault(id, 0L) > since) continue;
                remove(id, "stopped refreshing: its key is gone from Redis (found at resync)");
            }
        }
        touched.values().removeIf(s -> s <= since);
    }

    private void upsert(NodeInfo info) {
        NodeInfo old = members.put(info.id(), info);
        if (old == null) publish(new MembershipChange(MembershipChange.Type.JOINED, info, null));
        else if (!old.equals(info)) publish(new MembershipChange(MembershipChange.Type.UPDATED, info, null));
    }

    private void remove(String id, String reason) {
        NodeInfo old = members.remove(id);
        if (old != null) publish(new MembershipChange(MembershipChange.Type.LEFT, old, reason));
    }

    private void publish(MembershipChange change) {
        log.info("registry '{}': {}", name, change.type() == MembershipChange.Type.LEFT ? change : change.type() + " " + change.node());
        for (Watch w : watches) {
            if (w.closed) continue;
            try {
                w.listener.accept(change);
            } catch (RuntimeException e) {
                log.warn("registry '{}': a listener failed on {}", name, change, e);
            }
        }
    }

    private static final class Watch {
        final Consumer<MembershipChange> listener;
        volatile boolean closed;

        Watch(Consumer<MembershipChange> listener) {
            this.listener = listener;
        }
    }

    private void post(Runnable task) {
        try {
            thread.execute(task);
        } catch (RejectedExecutionException closing) {
            // the view closed: what it learns now is dropped
        }
    }

    /** Runs {@code task} on the view's thread; its result or failure completes the future there. */
    private <T> CompletableFuture<T> onThread(Supplier<T> task) {
        CompletableFuture<T> f = new CompletableFuture<>();
        try {
            thread.execute(() -> {
                try {
                    f.complete(task.get());
                } catch (RuntimeException e) {
                    f.completeExceptionally(e);
                }
            });
        } catch (RejectedExecutionException closing) {
            f.completeExceptionally(closedException());
        }
        return f;
    }

    // --- A member joined through this view

    private final class RedisMembership implements Membership {
        private final String id;
        /** Starts every value this membership writes: how the scripts tell its key from another's. */
        private final String token = UUID.randomUUID() + "|";
        private volatile NodeInfo self;
        private volatile boolean left;
        private volatile Future<?> refresher;
        private boolean refreshFailing;
        /** The last operation: each starts after the one before, so Redis sees them in order. Guarded by this. */
        private CompletableFuture<?> tail = CompletableFuture.completedFuture(null);
        private CompletableFuture<Void> leaving;

        RedisMembership(NodeInfo self) {
            this.id = self.id();
            this.self = self;
        }

        String value(NodeInfo info) {
            return token + json(info);
        }

        void startRefreshing() {
            long every = Math.max(1, memberTtl.toNanos() / 3);
            refresher = link.scheduler().scheduleWithFixedDelay(this::refresh, every, every, TimeUnit.NANOSECONDS);
        }

        private synchronized <T> CompletableFuture<T> next(Supplier<CompletableFuture<T>> op) {
            CompletableFuture<T> f = tail.handle((v, e) -> null).thenCompose(v -> op.get());
            tail = f;
            return f;
        }

        private void refresh() {
            if (left) return;
            next(() -> link.<Long>script(REFRESH, ScriptOutputType.INTEGER, keys(id), bytes(id), bytes(token),
                    bytes(value(self)), ascii(memberTtl.toMillis()))).whenComplete((r, e) -> {
                if (e != null) {
                    if (!refreshFailing && !left) {
                        refreshFailing = true;
                        log.warn("registry '{}': member {} could not refresh itself: {}", name, id,
                                link.describe(e, "the refresh of " + id));
                    }
                    return;
                }
                refreshFailing = false;
                if (r == 2) {
                    log.info("registry '{}': member {}'s key was gone from Redis (restarted, or refreshes came late);"
                            + " made it again", name, id);
                } else if (r == 0 && !left) {
                    log.warn("registry '{}': member {} stopped: another member now has its id", name, id);
                    lost("another member took its id");
                }
            });
        }

        private void lost(String reason) {
            left = true;
            Future<?> r = refresher;
            if (r != null) r.cancel(false);
            post(() -> {
                if (own.remove(id, this)) remove(id, reason);
            });
        }

        @Override
        public NodeInfo self() {
            return self;
        }

        @Override
        public CompletableFuture<Void> update(NodeInfo info) {
            Objects.requireNonNull(info, "info");
            if (!info.id().equals(id)) {
                return CompletableFuture.failedFuture(new IllegalArgumentException(
                        "member " + id + " cannot change its id to " + info.id()));
            }
            if (left || closed.get()) return CompletableFuture.failedFuture(new RegistryException("member " + id + " has left"));
            return next(() -> link.<Long>script(UPDATE, ScriptOutputType.INTEGER, keys(id), bytes(id), bytes(token),
                    bytes(value(info)), ascii(memberTtl.toMillis())))
                    .handle((r, e) -> {
                        if (e != null) throw failure(e, "the update of " + id);
                        if (r == 0) {
                            lost("another member took its id");
                            throw new RegistryException("member " + id + " has left: another member took its id");
                        }
                        return r;
                    })
                    .thenCompose(r -> onThread(() -> {
                        self = info;
                        if (own.get(id) == this) upsert(info);
                        return null;
                    }));
        }

        @Override
        public CompletableFuture<Void> leave() {
            return leave("left");
        }

        synchronized CompletableFuture<Void> leave(String reason) {
            if (leaving != null) return leaving;
            left = true;
            Future<?> r = refresher;
            if (r != null) r.cancel(false);
            leaving = next(() -> link.<Long>script(LEAVE, ScriptOutputType.INTEGER, keys(id), bytes(id), bytes(token)))
                    .handle((ok, e) -> {
                        post(() -> {
                            if (own.remove(id, this)) remove(id, reason);
                        });
                        if (e != null) {
                            throw new RegistryException("member " + id + " left this view, but "
                                    + link.describe(e, "its leave") + "; its key expires within " + RedisLink.text(memberTtl), RedisLink.unwrap(e));
                        }
                        return null;
                    });
            return leaving;
        }
    }

    // --- Helpers

    private String[] keys(String id) {
        return new String[] {memberPrefix + id, channel, index};
    }

    private RegistryException taken(String id) {
        return new RegistryException("a live member has the id " + id + " (in Redis at " + link.address() + ")");
    }

    private RegistryException closedException() {
        return new RegistryException("registry '" + name + "' is closed");
    }

    private RuntimeException failure(Throwable e, String what) {
        Throwable t = RedisLink.unwrap(e);
        if (t instanceof RegistryException r) return r;
        if (closed.get() || RedisLink.isClosed(t)) return closedException();
        return new RegistryException("registry '" + name + "': " + link.describe(t, what), t);
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] ascii(long n) {
        return Long.toString(n).getBytes(StandardCharsets.US_ASCII);
    }

    static String json(NodeInfo info) {
        ObjectNode n = JSON.createObjectNode();
        n.put("id", info.id());
        n.put("name", info.name());
        n.put("host", info.host());
        n.put("port", info.port());
        var services = n.putArray("services");
        info.services().forEach(services::add);
        n.put("load", info.load());
        var attributes = n.putObject("attributes");
        new TreeMap<>(info.attributes()).forEach(attributes::put);
        return n.toString();
    }

    /** The info in a stored value ({@code token|json}), or null (logged) if it is not one. */
    private NodeInfo parse(String value) {
        int bar = value.indexOf('|');
        try {
            JsonNode n = JSON.readTree(value.substring(bar + 1));
            Set<String> services = new HashSet<>();
            n.path("services").forEach(s -> services.add(s.asText()));
            Map<String, String> attributes = new HashMap<>();
            n.path("attributes").properties().forEach(e -> attributes.put(e.getKey(), e.getValue().asText()));
            return new NodeInfo(n.path("id").asText(), n.path("name").asText(), n.path("host").asText(),
                    n.path("port").asInt(), services, n.path("load").asLong(), attributes);
        } catch (Exception e) {
            log.warn("registry '{}': ignored a member record that is not one ({}): {}", name, e.getMessage(),
                    value.length() > 200 ? value.substring(0, 200) + "..." : value);
            return null;
        }
    }
}
