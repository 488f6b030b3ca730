package io.paguma.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import io.paguma.Client;
import io.paguma.ConfigSection;
import io.paguma.Connection;
import io.paguma.Message;
import io.paguma.PagumaConfig;
import io.paguma.PagumaRuntime;
import io.paguma.RemoteException;
import io.paguma.Request;
import io.paguma.cluster.Registry.MembershipChange.Type;
import io.paguma.cluster.RegistryProtocol.Malformed;
import io.netty.util.concurrent.ScheduledFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * A {@link Registry} view held by a {@link RegistryServer}, the seed's registry node: one
 * process's link to it, a core {@link Client} (codec {@code paguma}) that reconnects with backoff,
 * on threads of its own or on a shared {@link PagumaRuntime}.
 *
 * <p>On every connection the view re-joins the members joined through it, with their latest
 * info, then re-reads the whole membership and tells its listeners the difference from what it
 * knew (JOINED, UPDATED, LEFT); from then on the node pushes every change, numbered, and the view
 * applies them in their order. So a registry node that restarts is survived: the members come
 * back everywhere. Members joined here heartbeat at a third of the node's {@code memberTtl}, which
 * it sends with the membership (one heartbeat per link refreshes them all); a heartbeat's reply lists what the node holds, and a member it lost (it
 * dropped it during a long pause, say) is joined again. While the link is down, {@link #join} and
 * {@link Membership#update} fail at once with a {@link RegistryException} naming the address and
 * {@link #members()} keeps the last known view; only before the first connection does a join
 * wait for it, up to {@code cluster.requestTimeout}.
 *
 * <p>Nothing here blocks: the link's routers only update the view under a lock, and listeners
 * and the futures this returns are completed on one thread of the view's own,
 * {@code paguma-registry-view-<n>}, one at a time in the order the view learnt the changes (a
 * join's future after the listeners heard the join). {@link #close()} leaves for every member
 * joined here, then closes the link; {@link #closeFuture()} says when that is done.
 */
public final class RegistryClient implements Registry, TaskQueue {
    private static final Logger log = LoggerFactory.getLogger(RegistryClient.class);
    private static final AtomicInteger NEXT_NUMBER = new AtomicInteger(1);
    /** A snapshot of the membership may be large: the node is trusted to send at most this much. */
    private static final int MAX_INBOUND = 64 * 1024 * 1024;
    /** More changes ahead of a gap than this: the link is broken, read the membership again. */
    private static final int MAX_AHEAD = 65536;
    private static final String HEARTBEAT_TIMER = "paguma.registry.heartbeat";

    private final String address;
    private final Duration memberTtl;
    private final Duration requestTimeout;
    private final Client client;
    private final ExecutorService notifier;
    private final CopyOnWriteArrayList<Watch> watches = new CopyOnWriteArrayList<>();
    private final CompletableFuture<Void> ready = new CompletableFuture<>();
    private final CompletableFuture<Void> closed = new CompletableFuture<>();
    private final Object lock = new Object();
    /** Guarded by {@link #lock}: the link the view reads, or null while down. */
    private Connection link;
    /** Guarded by {@link #lock}: the membership has been read on {@link #link}. */
    private boolean synced;
    /** Guarded by {@link #lock}: the next change number to apply. */
    private long nextVersion;
    /** Guarded by {@link #lock}: changes that arrived ahead of their turn. */
    private final TreeMap<Long, MembershipChange> ahead = new TreeMap<>();
    /** Guarded by {@link #lock}: what the view knows. */
    private final Map<String, NodeInfo> view = new HashMap<>();
    /** Guarded by {@link #lock}: the members joined through this view, by id. */
    private final Map<String, LocalMember> joined = new LinkedHashMap<>();
    /** Guarded by {@link #lock}: futures waiting for the view to have applied a change number. */
    private final List<Waiter> waiters = new ArrayList<>();
    /** Guarded by {@link #lock}. */
    private boolean closing;
    /** Why the node refused this view's last connection, or null. */
    private volatile String refusal;

    private RegistryClient(Builder b) {
        PagumaConfig base = b.config != null ? b.config : PagumaConfig.defaults();
        ConfigSection.Values cluster = base.section(new ClusterConfig());
        this.address = b.address != null ? b.address : cluster.get(ClusterConfig.REGISTRY_ADDRESS);
        if (address.lastIndexOf(':') <= 0) {
            throw new IllegalArgumentException("registry address must be host:port, got '" + address + "'");
        }
        String[] hostPort = RegistryServer.splitAddress(address);
        int port;
        try {
            port = Integer.parseInt(hostPort[1]);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("registry address must be host:port, got '" + address + "'");
        }
        this.memberTtl = b.memberTtl != null ? b.memberTtl : cluster.get(ClusterConfig.MEMBER_TTL);
        this.requestTimeout = cluster.get(ClusterConfig.REQUEST_TIMEOUT);
        int number = NEXT_NUMBER.getAndIncrement();
        String name = b.name != null ? b.name : "registry-view-" + number;
        Duration third = memberTtl.dividedBy(3);
        Duration reconnectBase = min(base.reconnectBase(), third);
        PagumaConfig config = base.toBuilder()
                .name(name).host(hostPort[0]).port(port).mode(PagumaConfig.Mode.TCP).codec("paguma")
                .workerPoolSize(0).maxPacketSize(MAX_INBOUND)
                .reconnect(true).reconnectAttempts(0).offlineQueueSize(0)
                .reconnectBase(reconnectBase)
                .reconnectMaxDelay(min(base.reconnectMaxDelay(), memberTtl.compareTo(reconnectBase) > 0 ? memberTtl : reconnectBase))
                // Two heartbeats in a row unanswered, nothing else heard: the link is dead, dial again.
                .deadLinkTimeouts(2)
                .build();
        Client.Builder cb = Client.builder().config(config)
                .route(RegistryProtocol.CHANGE, this::onChange)
                .route(RegistryProtocol.REFUSED, this::onRefused)
                .route(RegistryProtocol.TASK_ASSIGN, this::onTaskAssign)
                .route(RegistryProtocol.TASK_CHANGED, this::onTaskChanged)
                .onUnknownMessage(r -> log.warn("registry view {}: message id {} from the registry node {} is unknown; ignored",
                        name, Integer.toUnsignedString(r.id()), address))
                .onConnStart(this::linkUp)
                .onConnStop(this::linkDown);
        if (b.runtime != null) {
            cb.runtime(b.runtime);
        }
        this.client = cb.build();
        String threadName = "paguma-" + name;
        ThreadPoolExecutor executor = new ThreadPoolExecutor(1, 1, 1, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), r -> {
            Thread t = new Thread(r, threadName);
            t.setDaemon(true);
            return t;
        });
        executor.allowCoreThreadTimeOut(true);
        this.notifier = executor;
        client.connect();
    }

    public static Builder builder() {
        return new Builder();
    }

    private static Duration min(Duration a, Duration b) {
        return a.compareTo(b) <= 0 ? a : b;
    }

    /** The registry node's {@code host:port}. */
    public String address() {
        return address;
    }

    /** Completes once the view has read the membership for the first time. */
    public CompletableFuture<Void> ready() {
        return ready;
    }

    /** Whether the view is linked to the node and has read the membership. */
    public boolean isConnected() {
        synchronized (lock) {
            return link != null && synced;
        }
    }

    /** The link now, or null while down (tests cut it to play a broken network). */
    Connection link() {
        synchronized (lock) {
            return link;
        }
    }

    /** Completes when {@link #close()} has left for the members and closed the link. */
    public CompletableFuture<Void> closeFuture() {
        return closed;
    }

    @Override
    public CompletableFuture<Membership> join(NodeInfo self) {
        Objects.requireNonNull(self, "self");
        synchronized (lock) {
            if (closing) {
                return CompletableFuture.failedFuture(new RegistryException("registry view of " + address + " is closed"));
            }
            if (joined.containsKey(self.id())) {
                return CompletableFuture.failedFuture(new RegistryException("a live member has the id " + self.id()
                        + " (joined through this view)"));
            }
        }
        return onLink(c -> c.request(new Message(RegistryProtocol.JOIN, RegistryProtocol.bytes(RegistryProtocol.info(self))),
                        requestTimeout)
                .thenCompose(reply -> {
                    LocalMember m = new LocalMember(self);
                    synchronized (lock) {
                        if (closing) {
                            c.send(RegistryProtocol.LEAVE, RegistryProtocol.leave(self.id()));
                            throw new RegistryException("registry view of " + address + " closed while " + self.id() + " joined");
                        }
                        joined.put(self.id(), m);
                    }
                    return applied(c, versionOf(reply)).thenApply(v -> (Membership) m);
                }), "join of " + self.id());
    }

    @Override
    public Map<String, NodeInfo> members() {
        synchronized (lock) {
            return Map.copyOf(view);
        }
    }

    @Override
    public Subscription watch(Consumer<MembershipChange> listener) {
        Objects.requireNonNull(listener, "listener");
        Watch w = new Watch(listener);
        watches.add(w);
        return () -> watches.remove(w);
    }

    @Override
    public void close() {
        List<LocalMember> leaving;
        Connection c;
        synchronized (lock) {
            if (closing) {
                return;
            }
            closing = true;
            leaving = new ArrayList<>(joined.values());
            joined.clear();
            leaving.forEach(m -> m.left = true);
            c = link;
        }
        watches.clear();
        List<CompletableFuture<Message>> leaves = new ArrayList<>();
        if (c != null) {
            for (LocalMember m : leaving) {
                leaves.add(c.request(RegistryProtocol.LEAVE, RegistryProtocol.leave(m.self.id()), requestTimeout));
            }
        }
        ready.completeExceptionally(new RegistryException("registry view of " + address + " is closed"));
        // The leaves go out before the link closes; a node that does not answer drops them by TTL.
        CompletableFuture.allOf(leaves.toArray(new CompletableFuture<?>[0]))
                .handle((v, e) -> null)
                .thenCompose(v -> client.close())
                .whenComplete((v, e) -> {
                    notifier.shutdown();
                    closed.complete(null);
                });
    }

    /**
     * Runs {@code op} on the link once the view has read the membership; fails at once while the
     * link is down, except before the first connection, which it waits for. Failures become
     * {@link RegistryException}s (an {@link IllegalArgumentException} stays one) completed on the
     * notifier.
     */
    private <T> CompletableFuture<T> onLink(Function<Connection, CompletableFuture<T>> op, String what) {
        Connection c;
        synchronized (lock) {
            c = synced ? link : null;
        }
        CompletableFuture<T> result;
        if (c != null) {
            result = op.apply(c);
        } else if (!ready.isDone()) {
            result = ready.copy().orTimeout(requestTimeout.toMillis(), TimeUnit.MILLISECONDS)
                    .exceptionally(e -> {
                        throw new RegistryException(unreachable(), e);
                    })
                    .thenCompose(v -> {
                        Connection now;
                        synchronized (lock) {
                            now = synced ? link : null;
                        }
                        if (now == null) {
                            throw new RegistryException(unreachable());
                        }
                        return op.apply(now);
                    });
        } else {
            result = CompletableFuture.failedFuture(new RegistryException(unreachable()));
        }
        CompletableFuture<T> out = new CompletableFuture<>();
        result.whenComplete((v, e) -> deliver(() -> {
            if (e == null) {
                out.complete(v);
            } else {
                out.completeExceptionally(translate(e, what));
            }
        }));
        return out;
    }

    private String unreachable() {
        String why = refusal;
        return "registry node " + address + " is not reachable" + (why != null ? " (" + why + ")" : "")
                + "; the view keeps reconnecting";
    }

    private Throwable translate(Throwable e, String what) {
        Throwable t = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
        if (t instanceof RegistryException || t instanceof IllegalArgumentException) {
            return t;
        }
        if (t instanceof RemoteException r) {
            return new RegistryException(r.remoteMessage(), r);
        }
        return new RegistryException(what + " at registry node " + address + " failed: " + t, t);
    }

    private static long versionOf(Message reply) {
        try {
            return RegistryProtocol.version(RegistryProtocol.parse(reply.data()));
        } catch (Malformed e) {
            throw new RegistryException("the registry node's reply is malformed: " + e.getMessage());
        }
    }

    /** Completes once the view has applied change {@code version} of link {@code c} (or the link is gone). */
    private CompletableFuture<Void> applied(Connection c, long version) {
        synchronized (lock) {
            if (link != c || (synced && nextVersion > version)) {
                return CompletableFuture.completedFuture(null);
            }
            Waiter w = new Waiter(version, new CompletableFuture<>());
            waiters.add(w);
            return w.future;
        }
    }

    /** Under the lock: completes the waiters the view has caught up with ({@code all}: every one). */
    private void releaseWaiters(boolean all) {
        for (Iterator<Waiter> it = waiters.iterator(); it.hasNext(); ) {
            Waiter w = it.next();
            if (all || nextVersion > w.version) {
                it.remove();
                w.future.complete(null);
            }
        }
    }

    /** On the link's thread, before anything else is sent on it: re-joins, reads the membership, starts heartbeats. */
    private void linkUp(Connection c) {
        List<LocalMember> rejoin;
        synchronized (lock) {
            if (closing) {
                return;
            }
            link = c;
            synced = false;
            ahead.clear();
            rejoin = new ArrayList<>(joined.values());
        }
        log.info("registry view {}: linked to the registry node {} ({}); re-joining {} members", client.config().name(),
                address, c, rejoin.size());
        for (LocalMember m : rejoin) {
            rejoin(c, m);
        }
        // Executors served through this view offer themselves again; tasks published through it are watched again.
        for (Serving sv : servings.values()) serve(c, sv);
        for (String id : watchedTasks) {
            c.request(RegistryProtocol.TASK_STATUS, idMessage(id), requestTimeout).whenComplete((reply, e) -> {
                if (e == null) taskChanged(reply.data());
            });
        }
        // After the re-joins: the membership read includes them, so no one seems to leave and come back.
        c.request(RegistryProtocol.SYNC, new byte[0], requestTimeout).whenComplete((reply, e) -> synced(c, reply, e));
    }

    /**
     * Heartbeats on {@code c} at a third of the node's TTL (the view's own if the node sent none):
     * the node's is the one that drops members.
     */
    private void startHeartbeats(Connection c, long nodeTtlMillis) {
        long ttl = nodeTtlMillis > 0 ? nodeTtlMillis : memberTtl.toMillis();
        if (nodeTtlMillis > 0 && nodeTtlMillis != memberTtl.toMillis()) {
            log.warn("registry view {}: the registry node {} has memberTtl {} ms, this view {} ms; heartbeating at a third"
                    + " of the node's (set cluster.memberTtl alike everywhere)", client.config().name(), address,
                    nodeTtlMillis, memberTtl.toMillis());
        }
        long period = Math.max(1, ttl / 3);
        ScheduledFuture<?> timer = c.channel().eventLoop().scheduleAtFixedRate(() -> heartbeat(c, Duration.ofMillis(ttl / 2)),
                period, period, TimeUnit.MILLISECONDS);
        ScheduledFuture<?> before = c.property(HEARTBEAT_TIMER, timer);
        if (before != null) {
            before.cancel(false);
        }
        if (!c.isOpen()) {
            // Closed meanwhile: linkDown may have run before the timer was stored.
            timer.cancel(false);
        }
    }

    private void linkDown(Connection c) {
        ScheduledFuture<?> timer = c.property(HEARTBEAT_TIMER);
        if (timer != null) {
            timer.cancel(false);
        }
        synchronized (lock) {
            if (link != c) {
                return;
            }
            link = null;
            synced = false;
            ahead.clear();
            releaseWaiters(true);
            if (closing) {
                return;
            }
        }
        log.info("registry view {}: link to the registry node {} lost; members() keeps the last known view while it reconnects",
                client.config().name(), address);
    }

    private void synced(Connection c, Message reply, Throwable e) {
        if (e != null) {
            if (c.isOpen()) {
                log.warn("registry view {}: reading the membership from {} failed: {}; reconnecting", client.config().name(),
                        address, e.toString());
                c.channel().close();
            }
            return;
        }
        Map<String, NodeInfo> members;
        long version;
        long nodeTtl;
        try {
            JsonNode o = RegistryProtocol.parse(reply.data());
            version = RegistryProtocol.version(o);
            nodeTtl = RegistryProtocol.memberTtlMillis(o);
            members = RegistryProtocol.members(o);
        } catch (Malformed m) {
            brokenLink(c, "a malformed membership: " + m.getMessage());
            return;
        }
        boolean first;
        synchronized (lock) {
            if (link != c || closing) {
                return;
            }
            for (NodeInfo known : new ArrayList<>(view.values())) {
                if (!members.containsKey(known.id())) {
                    view.remove(known.id());
                    post(new MembershipChange(Type.LEFT, known, "gone from the registry node while this view was away from it"));
                }
            }
            for (NodeInfo n : members.values()) {
                NodeInfo before = view.put(n.id(), n);
                if (before == null) {
                    post(new MembershipChange(Type.JOINED, n, null));
                } else if (!before.equals(n)) {
                    post(new MembershipChange(Type.UPDATED, n, null));
                }
            }
            nextVersion = version + 1;
            synced = true;
            refusal = null;
            ahead.headMap(nextVersion).clear();
            drainAhead();
            releaseWaiters(false);
            first = !ready.isDone();
        }
        startHeartbeats(c, nodeTtl);
        if (first) {
            deliver(() -> ready.complete(null));
        }
    }

    /** A router on the link: a numbered change pushed by the node. */
    private void onChange(Request r) {
        long version;
        MembershipChange change;
        try {
            JsonNode o = RegistryProtocol.parse(r.data());
            version = RegistryProtocol.version(o);
            change = RegistryProtocol.change(o);
        } catch (Malformed m) {
            brokenLink(r.connection(), "a malformed change: " + m.getMessage());
            return;
        }
        synchronized (lock) {
            if (link != r.connection() || closing) {
                return;
            }
            if (synced && version < nextVersion) {
                return;
            }
            ahead.put(version, change);
            if (ahead.size() > MAX_AHEAD) {
                ahead.clear();
                brokenLink(r.connection(), "more than " + MAX_AHEAD + " changes after a missing one");
                return;
            }
            if (synced) {
                drainAhead();
                releaseWaiters(false);
            }
        }
    }

    /** Under the lock: applies the changes that are next in line. */
    private void drainAhead() {
        MembershipChange c;
        while ((c = ahead.remove(nextVersion)) != null) {
            nextVersion++;
            if (c.type() == Type.LEFT) {
                view.remove(c.node().id());
            } else {
                view.put(c.node().id(), c.node());
            }
            post(c);
        }
    }

    private void onRefused(Request r) {
        refusal = "it refused this view: " + r.text();
        log.warn("registry view {}: the registry node {} refused the connection: {}", client.config().name(), address, r.text());
    }

    private void brokenLink(Connection c, String what) {
        log.warn("registry view {}: the registry node {} sent {}; closing the link to read everything again",
                client.config().name(), address, what);
        c.channel().close();
    }

    /** On the link's event loop, every third of the node's TTL: refreshes the members; joins again those the node lost. */
    private void heartbeat(Connection c, Duration timeout) {
        synchronized (lock) {
            if (link != c || closing) {
                return;
            }
        }
        c.request(RegistryProtocol.HEARTBEAT, new byte[0], timeout).whenComplete((reply, e) -> {
            if (e != null) {
                log.debug("registry view {}: heartbeat to {} failed: {}", client.config().name(), address, e.toString());
                return;
            }
            Set<String> held;
            try {
                held = new HashSet<>(RegistryProtocol.held(RegistryProtocol.parse(reply.data())));
            } catch (Malformed m) {
                brokenLink(c, "a malformed heartbeat reply: " + m.getMessage());
                return;
            }
            List<LocalMember> lost = new ArrayList<>();
            synchronized (lock) {
                if (link != c || closing) {
                    return;
                }
                for (LocalMember m : joined.values()) {
                    if (!held.contains(m.self.id()) && !m.rejoining) {
                        lost.add(m);
                    }
                }
            }
            for (LocalMember m : lost) {
                log.info("registry view {}: the registry node {} no longer holds {}; joining again",
                        client.config().name(), address, m.self.id());
                rejoin(c, m);
            }
        });
    }

    /** Joins {@code m} again on {@code c} with its latest info. */
    private CompletableFuture<Message> rejoin(Connection c, LocalMember m) {
        synchronized (lock) {
            m.rejoining = true;
        }
        CompletableFuture<Message> f = c.request(RegistryProtocol.JOIN, RegistryProtocol.bytes(RegistryProtocol.info(m.self)),
                requestTimeout);
        f.whenComplete((reply, e) -> {
            boolean gone;
            synchronized (lock) {
                m.rejoining = false;
                gone = m.left;
            }
            if (e instanceof RemoteException r && !gone) {
                log.warn("registry view {}: {} could not join the registry node {} again: {}; trying again at the next heartbeat",
                        client.config().name(), m.self.id(), address, r.remoteMessage());
            }
        });
        return f;
    }

    /** Under the lock: hands a change to the listeners, in order. */
    private void post(MembershipChange change) {
        deliver(() -> {
            for (Watch w : watches) {
                try {
                    w.listener.accept(change);
                } catch (RuntimeException e) {
                    log.warn("registry view {}: listener failed on {}", client.config().name(), change, e);
                }
            }
        });
    }

    private void deliver(Runnable r) {
        try {
            notifier.execute(r);
        } catch (RejectedExecutionException e) {
            // Closed: nothing listens any more, but a future must still complete.
            r.run();
        }
    }

    private record Watch(Consumer<MembershipChange> listener) {
    }

    // --- Tasks (X7): the registry node assigns them

    /** An executor this view offers to the registry node, offered again after every reconnection. */
    private record Serving(String executor, Set<String> types, int slots, Consumer<Task> assigned) {
    }

    private final java.util.concurrent.ConcurrentHashMap<String, Serving> servings = new java.util.concurrent.ConcurrentHashMap<>();
    private final Set<String> watchedTasks = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private final CopyOnWriteArrayList<Consumer<TaskStatus>> taskWatchers = new CopyOnWriteArrayList<>();

    @Override
    public TaskQueue tasks() {
        return this;
    }

    private static byte[] idMessage(String id) {
        com.fasterxml.jackson.databind.node.ObjectNode o = RegistryProtocol.object();
        o.put("id", id);
        return RegistryProtocol.bytes(o);
    }

    @Override
    public CompletableFuture<TaskStatus> publish(Task task) {
        com.fasterxml.jackson.databind.node.ObjectNode o = RegistryProtocol.object();
        o.set("task", RegistryProtocol.task(task));
        byte[] msg = RegistryProtocol.bytes(o);
        watchedTasks.add(task.id());
        return onLink(c -> c.request(new Message(RegistryProtocol.TASK_PUBLISH, msg), requestTimeout), "publishing task " + task.id())
                .thenApply(reply -> {
                    TaskStatus s = parseStatus(reply.data());
                    if (!s.id().equals(task.id())) {
                        watchedTasks.remove(task.id());
                        if (!s.state().isFinal()) watchedTasks.add(s.id());
                    }
                    return s;
                }).whenComplete((s, e) -> {
                    if (e != null) watchedTasks.remove(task.id());
                });
    }

    @Override
    public Subscription serve(String executorId, Set<String> types, int slots, Consumer<Task> assigned) {
        Serving sv = new Serving(executorId, Set.copyOf(types), slots, assigned);
        servings.put(executorId, sv);
        Connection c;
        synchronized (lock) {
            c = link;
        }
        if (c != null) serve(c, sv);
        return () -> {
            if (!servings.remove(executorId, sv)) return;
            Connection now;
            synchronized (lock) {
                now = link;
            }
            if (now != null) {
                com.fasterxml.jackson.databind.node.ObjectNode o = RegistryProtocol.object();
                o.put("executor", executorId);
                try {
                    now.request(RegistryProtocol.TASK_UNSERVE, RegistryProtocol.bytes(o), requestTimeout).get(requestTimeout.toMillis(), TimeUnit.MILLISECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
                    log.info("registry view {}: the registry node did not confirm that executor {} stopped serving ({}); it sees it"
                            + " go within memberTtl", client.config().name(), executorId, e.getMessage());
                }
            }
        };
    }

    private void serve(Connection c, Serving sv) {
        com.fasterxml.jackson.databind.node.ObjectNode o = RegistryProtocol.object();
        o.put("executor", sv.executor());
        com.fasterxml.jackson.databind.node.ArrayNode t = o.putArray("types");
        new java.util.TreeSet<>(sv.types()).forEach(t::add);
        o.put("slots", sv.slots());
        c.request(RegistryProtocol.TASK_SERVE, RegistryProtocol.bytes(o), requestTimeout).whenComplete((reply, e) -> {
            if (e != null) log.warn("registry view {}: the registry node did not take executor {}'s offer: {}", client.config().name(),
                    sv.executor(), e.getMessage());
        });
    }

    @Override
    public CompletableFuture<Void> report(String taskId, String executorId, TaskState state, String detail) {
        com.fasterxml.jackson.databind.node.ObjectNode o = RegistryProtocol.object();
        o.put("id", taskId);
        o.put("executor", executorId);
        o.put("state", state.name());
        if (detail != null) o.put("detail", detail.length() > 2000 ? detail.substring(0, 2000) : detail);
        byte[] msg = RegistryProtocol.bytes(o);
        return onLink(c -> c.request(new Message(RegistryProtocol.TASK_REPORT, msg), requestTimeout), "reporting task " + taskId)
                .thenApply(reply -> null);
    }

    @Override
    public CompletableFuture<TaskStatus> status(String taskId) {
        return onLink(c -> c.request(new Message(RegistryProtocol.TASK_STATUS, idMessage(taskId)), requestTimeout), "the status of task " + taskId)
                .thenApply(reply -> parseStatus(reply.data()));
    }

    @Override
    public Subscription watchTasks(Consumer<TaskStatus> listener) {
        taskWatchers.add(listener);
        return () -> taskWatchers.remove(listener);
    }

    private static TaskStatus parseStatus(byte[] data) {
        try {
            return RegistryProtocol.status(RegistryProtocol.parse(data).get("status"));
        } catch (RegistryProtocol.Malformed e) {
            throw new RegistryException("the registry node answered a malformed task status: " + e.getMessage());
        }
    }

    private void onTaskAssign(Request r) {
        Task task;
        try {
            task = RegistryProtocol.task(RegistryProtocol.parse(r.data()).get("task"));
        } catch (RegistryProtocol.Malformed e) {
            log.warn("registry view {}: a malformed task assignment from the registry node {}: {}", client.config().name(), address, e.getMessage());
            return;
        }
        String executor;
        try {
            executor = RegistryProtocol.text(RegistryProtocol.parse(r.data()), "executor", true);
        } catch (RegistryProtocol.Malformed e) {
            log.warn("registry view {}: a task assignment without its executor from the registry node {}", client.config().name(), address);
            return;
        }
        Serving target = servings.get(executor);
        if (target == null) {
            log.warn("registry view {}: the registry node assigned {} to executor {}, which does not serve through this view", client.config().name(), task, executor);
            return;
        }
        deliver(() -> target.assigned().accept(task));
    }

    private void onTaskChanged(Request r) {
        taskChanged(r.data());
    }

    private void taskChanged(byte[] data) {
        TaskStatus s;
        try {
            s = parseStatus(data);
        } catch (RegistryException e) {
            log.warn("registry view {}: {}", client.config().name(), e.getMessage());
            return;
        }
        if (s.state().isFinal()) watchedTasks.remove(s.id());
        deliver(() -> taskWatchers.forEach(w -> w.accept(s)));
    }

    private record Waiter(long version, CompletableFuture<Void> future) {
    }

    /** A member joined through this view. */
    private final class LocalMember implements Membership {
        /** The info the node accepted last; re-joins send it. */
        private volatile NodeInfo self;
        /** Guarded by {@link #lock}. */
        private boolean left;
        /** Guarded by {@link #lock}: a re-join is under way. */
        private boolean rejoining;

        LocalMember(NodeInfo self) {
            this.self = self;
        }

        @Override
        public NodeInfo self() {
            return self;
        }

        @Override
        public CompletableFuture<Void> update(NodeInfo info) {
            Objects.requireNonNull(info, "info");
            String id = self.id();
            if (!info.id().equals(id)) {
                return CompletableFuture.failedFuture(new IllegalArgumentException(
                        "member " + id + " cannot change its id to " + info.id()));
            }
            synchronized (lock) {
                if (left) {
                    return CompletableFuture.failedFuture(new RegistryException("member " + id + " has left"));
                }
            }
            return onLink(c -> c.request(new Message(RegistryProtocol.UPDATE, RegistryProtocol.bytes(RegistryProtocol.info(info))),
                            requestTimeout)
                    .exceptionallyCompose(e -> {
                        Throwable t = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
                        if (t instanceof RemoteException r && r.status() == RegistryProtocol.NOT_MEMBER) {
                            // The node dropped it (a pause longer than the TTL): join again with the new info.
                            self = info;
                            return rejoin(c, this);
                        }
                        return CompletableFuture.failedFuture(t);
                    })
                    .thenCompose(reply -> {
                        self = info;
                        return applied(c, versionOf(reply));
                    }), "update of " + id);
        }

        @Override
        public CompletableFuture<Void> leave() {
            Connection c;
            synchronized (lock) {
                if (left) {
                    return CompletableFuture.completedFuture(null);
                }
                left = true;
                joined.remove(self.id());
                c = link;
            }
            if (c == null) {
                // Unreachable: the node drops it once its TTL has passed.
                return CompletableFuture.completedFuture(null);
            }
            CompletableFuture<Void> out = new CompletableFuture<>();
            c.request(RegistryProtocol.LEAVE, RegistryProtocol.leave(self.id()), requestTimeout)
                    .thenCompose(reply -> applied(c, versionOf(reply)))
                    .whenComplete((v, e) -> {
                        if (e != null) {
                            log.debug("registry view {}: leave of {} not confirmed by {}: {}", client.config().name(),
                                    self.id(), address, e.toString());
                        }
                        deliver(() -> out.complete(null));
                    });
            return out;
        }
    }

    /**
     * Settings of a view; unset ones come from the config's section {@code cluster:}
     * ({@link ClusterConfig}): {@code registryAddress}, {@code memberTtl}, {@code requestTimeout}.
     * Core's keys of the config apply to the link (TLS, connect timeout, reconnect backoff capped
     * at {@code memberTtl/3} for the first retry and {@code memberTtl} for the longest).
     */
    public static final class Builder {
        private PagumaConfig config;
        private PagumaRuntime runtime;
        private String name;
        private String address;
        private Duration memberTtl;

        private Builder() {
        }

        public Builder config(PagumaConfig config) {
            this.config = Objects.requireNonNull(config, "config");
            return this;
        }

        /** Runs the link on {@code runtime}'s threads, shared with other endpoints. */
        public Builder runtime(PagumaRuntime runtime) {
            this.runtime = Objects.requireNonNull(runtime, "runtime");
            return this;
        }

        /** The name in logs and thread names; default {@code registry-view-<n>}. */
        public Builder name(String name) {
            this.name = Objects.requireNonNull(name, "name");
            return this;
        }

        /** The registry node's {@code host:port} instead of {@code cluster.registryAddress}. */
        public Builder address(String address) {
            this.address = Objects.requireNonNull(address, "address");
            return this;
        }

        /** {@code cluster.memberTtl}: should be the node's, whose third the heartbeats follow (a difference is logged). */
        public Builder memberTtl(Duration memberTtl) {
            if (memberTtl.toMillis() < 100) {
                throw new IllegalArgumentException("memberTtl must be at least 100ms, got " + memberTtl.toMillis() + "ms");
            }
            this.memberTtl = memberTtl;
            return this;
        }

        /** Makes the view and starts connecting; see {@link RegistryClient#ready()}. */
        public RegistryClient build() {
            return new RegistryClient(this);
        }
    }
}
