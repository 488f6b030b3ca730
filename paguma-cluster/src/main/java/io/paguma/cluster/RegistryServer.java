package io.paguma.cluster;

import io.paguma.ConfigSection;
import io.paguma.Connection;
import io.paguma.PagumaConfig;
import io.paguma.PagumaRuntime;
import io.paguma.Request;
import io.paguma.Server;
import io.paguma.cluster.Registry.MembershipChange;
import io.paguma.cluster.Registry.MembershipChange.Type;
import io.paguma.cluster.RegistryProtocol.Malformed;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * The seed's registry node (SPEC X6; seed 002 §3.1.1, {@code Reg}): a Paguma {@link Server}
 * (codec {@code paguma}) that members join over a connection of theirs (the seed's
 * {@code Exe2Reg}, whose accepted twin here is {@code ExeInReg}), telling it their own
 * {@link NodeInfo}. It keeps every member's latest info — the seed's executor manager, readable
 * with {@link #members()} and {@link #leastLoaded} — and pushes every change to every connected
 * view. {@link RegistryClient} is the other end; {@code docs/PROTOCOL.md} has the messages.
 *
 * <p>A member is kept while it refreshes itself (joins, updates, heartbeats) at least once per
 * {@code memberTtl}; one silent for longer is dropped and every view sees it leave, with a reason
 * that says whether its link had closed or it only stopped heartbeating. A member whose link
 * closed is kept until then, so a view that reconnects in time takes its members back without
 * the others seeing them go. A second live member with an id is refused. At most
 * {@code registryMaxMembers} members and {@code registryMaxViews} connections are held; beyond
 * them a join fails, a connection is refused, each with a message naming the key. A connection
 * that sends an unknown message id, a payload that is not the protocol's or a frame over
 * {@code registryMaxInfoSize} bytes is closed, with one log line naming it; the others carry on.
 *
 * <p>The members and views are guarded by one lock, taken by the routers (on the IO threads, or
 * a shared runtime's workers) and by the sweep of silent members, which runs on a thread of the
 * node's own, {@code paguma-registry-<port>-sweep}. Methods are safe from any thread.
 */
public final class RegistryServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(RegistryServer.class);
    /** Connection property: the ids of the members the connection holds (guarded by the lock). */
    private static final String HELD = "paguma.registry.held";

    private final Server server;
    private final String name;
    private final Duration memberTtl;
    private final long ttlNanos;
    private final int maxMembers;
    private final int maxViews;
    private final Object lock = new Object();
    /** Guarded by {@link #lock}. */
    private final Map<String, Member> members = new HashMap<>();
    /** Guarded by {@link #lock}. */
    private final Set<Connection> views = new LinkedHashSet<>();
    /** Guarded by {@link #lock}: the number of changes so far; a view applies them in this order. */
    private long version;
    private final ScheduledThreadPoolExecutor sweeper;
    /** Guarded by {@link #lock}: the tasks (the seed's step 2: this node assigns them). */
    private final TaskBoard board = new TaskBoard(new TaskBoard.Out() {
        @Override
        public void assign(String executorId, Task task) {
            Connection c = servers.get(executorId);
            if (c != null) {
                ObjectNode o = RegistryProtocol.object();
                o.put("executor", executorId);
                o.set("task", RegistryProtocol.task(task));
                c.send(RegistryProtocol.TASK_ASSIGN, RegistryProtocol.bytes(o));
            }
        }

        @Override
        public void changed(TaskStatus status) {
            Connection c = publishers.get(status.id());
            if (c != null && c.isOpen()) {
                ObjectNode o = RegistryProtocol.object();
                o.set("status", RegistryProtocol.status(status));
                c.send(RegistryProtocol.TASK_CHANGED, RegistryProtocol.bytes(o));
            }
            if (status.state().isFinal()) publishers.remove(status.id());
        }
    }, 10_000);
    /** Guarded by {@link #lock}: the connection serving each executor. */
    private final Map<String, Connection> servers = new HashMap<>();
    /** Guarded by {@link #lock}: the connection told of each unfinished task's changes. */
    private final Map<String, Connection> publishers = new HashMap<>();

    private RegistryServer(Builder b) {
        PagumaConfig base = b.config != null ? b.config : PagumaConfig.defaults();
        ConfigSection.Values cluster = base.section(new ClusterConfig());
        this.memberTtl = b.memberTtl != null ? b.memberTtl : cluster.get(ClusterConfig.MEMBER_TTL);
        this.ttlNanos = memberTtl.toNanos();
        this.maxMembers = b.maxMembers > 0 ? b.maxMembers : cluster.get(ClusterConfig.REGISTRY_MAX_MEMBERS);
        this.maxViews = b.maxViews > 0 ? b.maxViews : cluster.get(ClusterConfig.REGISTRY_MAX_VIEWS);
        int maxInfo = b.maxInfoSize > 0 ? b.maxInfoSize : cluster.get(ClusterConfig.REGISTRY_MAX_INFO_SIZE);
        String[] address = splitAddress(cluster.get(ClusterConfig.REGISTRY_ADDRESS));
        String host = b.host != null ? b.host : address[0];
        int port = b.port != null ? b.port : Integer.parseInt(address[1]);
        this.name = b.name != null ? b.name : "registry";
        PagumaConfig.Builder config = base.toBuilder()
                .name(name).host(host).port(port).mode(PagumaConfig.Mode.TCP).codec("paguma")
                .maxPacketSize(maxInfo)
                .maxConn(maxViews)
                .serverFullMsgId(RegistryProtocol.REFUSED)
                .serverFullMessage("registry node " + name + " refuses the connection: it has " + maxViews
                        + " connections, its limit (cluster.registryMaxViews)")
                // Views heartbeat at memberTtl/3: a connection silent for twice the TTL is dead.
                .heartbeatMax(memberTtl.multipliedBy(2));
        if (b.runtime == null) {
            // The routers only take the lock and send: the IO threads run them.
            config.workerPoolSize(0);
        }
        Server.Builder sb = Server.builder().config(config.build())
                .route(RegistryProtocol.JOIN, this::join)
                .route(RegistryProtocol.UPDATE, this::update)
                .route(RegistryProtocol.LEAVE, this::leave)
                .route(RegistryProtocol.HEARTBEAT, this::heartbeat)
                .route(RegistryProtocol.SYNC, this::sync)
                .route(RegistryProtocol.TASK_PUBLISH, this::taskPublish)
                .route(RegistryProtocol.TASK_SERVE, this::taskServe)
                .route(RegistryProtocol.TASK_UNSERVE, this::taskUnserve)
                .route(RegistryProtocol.TASK_REPORT, this::taskReport)
                .route(RegistryProtocol.TASK_STATUS, this::taskStatus)
                .onUnknownMessage(r -> cut(r.connection(), "unknown message id " + Integer.toUnsignedString(r.id())))
                .onConnStop(this::linkClosed);
        if (b.runtime != null) {
            sb.runtime(b.runtime);
        }
        this.server = sb.build();
        this.sweeper = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "paguma-" + name + "-sweep");
            t.setDaemon(true);
            return t;
        });
        sweeper.setRemoveOnCancelPolicy(true);
    }

    public static Builder builder() {
        return new Builder();
    }

    /** {@code host:port}, {@code [v6]:port}. */
    static String[] splitAddress(String address) {
        int colon = address.lastIndexOf(':');
        String host = address.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        return new String[] {host, address.substring(colon + 1)};
    }

    /**
     * Binds and starts accepting members and views.
     *
     * @throws IllegalStateException if started before, or the address cannot be bound
     */
    public RegistryServer start() {
        server.start();
        long period = Math.max(TimeUnit.MILLISECONDS.toNanos(10), ttlNanos / 10);
        sweeper.scheduleWithFixedDelay(this::sweep, period, period, TimeUnit.NANOSECONDS);
        log.info("registry node {} listening on {}: memberTtl {} ms, at most {} members and {} views", name,
                server.localAddress(), memberTtl.toMillis(), maxMembers, maxViews);
        return this;
    }

    /** Starts if not started yet, then blocks until stopped (by {@link #stop()}, SIGINT or SIGTERM). */
    public void serve() {
        if (!server.isRunning()) {
            start();
        }
        server.serve();
        sweeper.shutdownNow();
    }

    /** Stops accepting, closes every connection and ends the node's threads. The members are forgotten. */
    public void stop() {
        sweeper.shutdownNow();
        server.stop();
        synchronized (lock) {
            members.clear();
            views.clear();
        }
    }

    @Override
    public void close() {
        stop();
    }

    /** The bound address; with port 0, the port that was picked. */
    public InetSocketAddress localAddress() {
        return server.localAddress();
    }

    public int port() {
        return server.port();
    }

    /** {@code host:port} to give {@link RegistryClient.Builder#address}. */
    public String address() {
        InetSocketAddress a = server.localAddress();
        String host = a.getAddress().isAnyLocalAddress() ? "127.0.0.1" : a.getAddress().getHostAddress();
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + a.getPort();
    }

    public Duration memberTtl() {
        return memberTtl;
    }

    /** The members now, by id: an immutable copy (the seed's executor manager, read-only). */
    public Map<String, NodeInfo> members() {
        synchronized (lock) {
            Map<String, NodeInfo> m = new HashMap<>();
            members.forEach((id, member) -> m.put(id, member.info));
            return Map.copyOf(m);
        }
    }

    /** The members now, least loaded first (ties by id): where a dispatcher looks first. */
    public List<NodeInfo> membersByLoad() {
        List<NodeInfo> list = new ArrayList<>(members().values());
        list.sort(Comparator.comparingLong(NodeInfo::load).thenComparing(NodeInfo::id));
        return list;
    }

    /** The least loaded member that {@code filter} accepts (e.g. {@code n -> n.runs("render")}), if any. */
    public Optional<NodeInfo> leastLoaded(Predicate<NodeInfo> filter) {
        Objects.requireNonNull(filter, "filter");
        return membersByLoad().stream().filter(filter).findFirst();
    }

    /** The number of connections that read the membership ({@code SYNC} sent). */
    public int viewCount() {
        synchronized (lock) {
            return views.size();
        }
    }

    private void join(Request r) {
        NodeInfo info = infoOf(r);
        if (info == null) {
            return;
        }
        Connection c = r.connection();
        synchronized (lock) {
            Member m = members.get(info.id());
            if (m != null && m.owner.isOpen()) {
                r.fail(RegistryProtocol.DUPLICATE_ID, "a live member has the id " + info.id() + " (joined from "
                        + describe(m.owner) + ")");
                return;
            }
            if (m != null) {
                // Its link closed within the TTL: the member is back (a view that reconnected), not new.
                held(m.owner).remove(info.id());
                m.owner = c;
                m.refreshedAt = System.nanoTime();
                held(c).add(info.id());
                log.info("registry node {}: member {} is back, from {}", name, info.id(), describe(c));
                if (!m.info.equals(info)) {
                    m.info = info;
                    publish(new MembershipChange(Type.UPDATED, info, null), c);
                }
            } else if (members.size() >= maxMembers) {
                r.fail(RegistryProtocol.FULL, "the registry node holds " + maxMembers + " members, its limit"
                        + " (cluster.registryMaxMembers); " + info.id() + " is refused");
                return;
            } else {
                Member added = new Member(info, c);
                members.put(info.id(), added);
                held(c).add(info.id());
                publish(new MembershipChange(Type.JOINED, info, null), c);
            }
            r.reply(RegistryProtocol.JOIN, RegistryProtocol.versionOnly(version));
        }
    }

    private void update(Request r) {
        NodeInfo info = infoOf(r);
        if (info == null) {
            return;
        }
        Connection c = r.connection();
        synchronized (lock) {
            Member m = members.get(info.id());
            if (m == null || m.owner != c) {
                r.fail(RegistryProtocol.NOT_MEMBER, "the registry node holds no member " + info.id()
                        + " for this connection (it was dropped, or joined through another)");
                return;
            }
            m.refreshedAt = System.nanoTime();
            if (!m.info.equals(info)) {
                m.info = info;
                publish(new MembershipChange(Type.UPDATED, info, null), c);
            }
            r.reply(RegistryProtocol.UPDATE, RegistryProtocol.versionOnly(version));
        }
    }

    private void leave(Request r) {
        String id;
        try {
            id = RegistryProtocol.text(RegistryProtocol.parse(r.data()), "id", true);
        } catch (Malformed e) {
            cut(r.connection(), "a malformed leave: " + e.getMessage());
            return;
        }
        Connection c = r.connection();
        synchronized (lock) {
            Member m = members.get(id);
            if (m != null && m.owner == c) {
                members.remove(id);
                held(c).remove(id);
                publish(new MembershipChange(Type.LEFT, m.info, "left"), c);
            }
            r.reply(RegistryProtocol.LEAVE, RegistryProtocol.versionOnly(version));
        }
    }

    private void heartbeat(Request r) {
        Connection c = r.connection();
        long now = System.nanoTime();
        synchronized (lock) {
            Set<String> held = held(c);
            for (String id : held) {
                members.get(id).refreshedAt = now;
            }
            r.reply(RegistryProtocol.HEARTBEAT, RegistryProtocol.held(version, new TreeSet<>(held)));
        }
    }

    private void sync(Request r) {
        Connection c = r.connection();
        synchronized (lock) {
            if (!c.isOpen()) {
                return;
            }
            if (views.add(c)) {
                log.debug("registry node {}: {} is a view", name, describe(c));
            }
            List<NodeInfo> all = new ArrayList<>();
            members.values().forEach(m -> all.add(m.info));
            r.reply(RegistryProtocol.SYNC, RegistryProtocol.snapshot(version, memberTtl.toMillis(), all));
        }
    }

    private void linkClosed(Connection c) {
        synchronized (lock) {
            views.remove(c);
            for (var e : new ArrayList<>(servers.entrySet())) {
                if (e.getValue() != c) continue;
                String executor = e.getKey();
                servers.remove(executor);
                board.unavailable(executor);
                // Its tasks stay with it for memberTtl: a link that comes back in time takes them back.
                sweeper.schedule(() -> {
                    synchronized (lock) {
                        if (!servers.containsKey(executor)) board.gone(executor, "its link to the registry closed and it did not come back within memberTtl");
                    }
                }, ttlNanos, TimeUnit.NANOSECONDS);
            }
            publishers.values().removeIf(p -> p == c);
            Set<String> held = c.property(HELD);
            if (held != null && !held.isEmpty()) {
                log.info("registry node {}: {} closed; its members {} are kept for memberTtl {} ms unless it comes back",
                        name, describe(c), new TreeSet<>(held), memberTtl.toMillis());
            }
        }
    }

    /** On the sweep thread: drops the members silent for longer than the TTL. */
    private void sweep() {
        long now = System.nanoTime();
        synchronized (lock) {
            board.sweep(now);
            for (Iterator<Member> it = members.values().iterator(); it.hasNext(); ) {
                Member m = it.next();
                if (now - m.refreshedAt <= ttlNanos) {
                    continue;
                }
                it.remove();
                held(m.owner).remove(m.info.id());
                String reason = m.owner.isOpen()
                        ? "no heartbeat for memberTtl " + memberTtl.toMillis() + " ms (its link is still open)"
                        : "its link to the registry closed and it did not come back within memberTtl "
                        + memberTtl.toMillis() + " ms";
                publish(new MembershipChange(Type.LEFT, m.info, reason), m.owner);
            }
        }
    }

    /** Under the lock: one more change, sent to every view. */
    private void publish(MembershipChange change, Connection from) {
        version++;
        if (change.type() == Type.LEFT && servers.containsKey(change.node().id())) {
            servers.remove(change.node().id());
            board.gone(change.node().id(), "it left the cluster: " + change.reason());
        }
        byte[] payload = RegistryProtocol.change(version, change);
        // Joins and leaves are events; updates (a load figure, say) may come often.
        if (change.type() == Type.UPDATED) {
            log.debug("registry node {}: UPDATED {} (from {}; version {})", name, change.node(), describe(from), version);
        } else {
            log.info("registry node {}: {} (from {}; version {})", name,
                    change.type() == Type.LEFT ? change : change.type() + " " + change.node(), describe(from), version);
        }
        for (Connection v : views) {
            v.send(RegistryProtocol.CHANGE, payload);
        }
    }

    // --- Tasks (X7)


    private static byte[] statusMessage(TaskStatus s) {
        ObjectNode o = RegistryProtocol.object();
        o.set("status", RegistryProtocol.status(s));
        return RegistryProtocol.bytes(o);
    }

    private void taskPublish(Request r) {
        Task task;
        try {
            task = RegistryProtocol.task(RegistryProtocol.parse(r.data()).get("task"));
        } catch (Malformed e) {
            cut(r.connection(), "a malformed task: " + e.getMessage());
            return;
        }
        synchronized (lock) {
            TaskStatus known = board.status(task.id());
            if (known == null) publishers.put(task.id(), r.connection());
            TaskStatus s = board.publish(task);
            if (!s.id().equals(task.id())) publishers.putIfAbsent(s.id(), r.connection());
            log.info("registry node {}: task {} published by {}: {}", name, task.id(), task.publisher(), s.state());
            r.reply(RegistryProtocol.TASK_PUBLISH, statusMessage(s));
        }
    }

    private void taskServe(Request r) {
        String executor;
        Set<String> types = new TreeSet<>();
        int slots;
        try {
            JsonNode o = RegistryProtocol.parse(r.data());
            executor = RegistryProtocol.text(o, "executor", true);
            JsonNode t = o.get("types");
            if (t == null || !t.isArray()) throw new Malformed("types is missing");
            for (JsonNode n : t) types.add(n.asText());
            JsonNode n = o.get("slots");
            slots = n == null ? 1 : n.asInt();
            if (slots < 1) throw new Malformed("slots must be at least 1");
        } catch (Malformed e) {
            cut(r.connection(), "a malformed serve: " + e.getMessage());
            return;
        }
        synchronized (lock) {
            servers.put(executor, r.connection());
            log.info("registry node {}: executor {} serves task types {} ({} slots) over {}", name, executor, types, slots,
                    describe(r.connection()));
            board.serve(executor, types, slots);
            r.reply(RegistryProtocol.TASK_SERVE, RegistryProtocol.bytes(RegistryProtocol.object()));
        }
    }

    private void taskUnserve(Request r) {
        String executor;
        try {
            executor = RegistryProtocol.text(RegistryProtocol.parse(r.data()), "executor", true);
        } catch (Malformed e) {
            cut(r.connection(), "a malformed unserve: " + e.getMessage());
            return;
        }
        synchronized (lock) {
            if (servers.get(executor) == r.connection()) {
                servers.remove(executor);
                board.gone(executor, "it stopped serving");
            }
            r.reply(RegistryProtocol.TASK_UNSERVE, RegistryProtocol.bytes(RegistryProtocol.object()));
        }
    }

    private void taskReport(Request r) {
        String id, executor, detail;
        TaskState state;
        try {
            JsonNode o = RegistryProtocol.parse(r.data());
            id = RegistryProtocol.text(o, "id", true);
            executor = RegistryProtocol.text(o, "executor", true);
            detail = RegistryProtocol.text(o, "detail", false);
            state = TaskState.valueOf(RegistryProtocol.text(o, "state", true));
        } catch (Malformed | IllegalArgumentException e) {
            cut(r.connection(), "a malformed report: " + e.getMessage());
            return;
        }
        synchronized (lock) {
            board.report(id, executor, state, detail, System.nanoTime());
            r.reply(RegistryProtocol.TASK_REPORT, RegistryProtocol.bytes(RegistryProtocol.object()));
        }
    }

    private void taskStatus(Request r) {
        String id;
        try {
            id = RegistryProtocol.text(RegistryProtocol.parse(r.data()), "id", true);
        } catch (Malformed e) {
            cut(r.connection(), "a malformed status request: " + e.getMessage());
            return;
        }
        synchronized (lock) {
            TaskStatus s = board.status(id);
            if (s == null) {
                r.fail(RegistryProtocol.NO_TASK, "the registry node knows no task " + id);
                return;
            }
            if (!s.state().isFinal()) publishers.put(id, r.connection());
            r.reply(RegistryProtocol.TASK_STATUS, statusMessage(s));
        }
    }

    /** The tasks each executor holds now (for tests and the admin page). */
    public Map<String, Integer> taskLoad() {
        synchronized (lock) {
            return board.load();
        }
    }

    /** Under the lock: the ids {@code c} holds. */
    private static Set<String> held(Connection c) {
        Set<String> held = c.property(HELD);
        if (held == null) {
            held = new LinkedHashSet<>();
            c.property(HELD, held);
        }
        return held;
    }

    private NodeInfo infoOf(Request r) {
        try {
            return RegistryProtocol.info(RegistryProtocol.parse(r.data()));
        } catch (Malformed e) {
            cut(r.connection(), "a malformed " + (r.id() == RegistryProtocol.JOIN ? "join" : "update") + ": "
                    + e.getMessage());
            return null;
        }
    }

    /** Closes a connection that broke the protocol; the others carry on. */
    private void cut(Connection c, String what) {
        log.warn("registry node {}: {} sent {}; closing it", name, describe(c), what);
        c.close();
    }

    private static String describe(Connection c) {
        InetSocketAddress a = c.remoteAddress();
        return "connection " + c.id() + " (" + (a == null ? "?" : a.getAddress().getHostAddress() + ":" + a.getPort()) + ")";
    }

    /** One member: its latest info, the connection that holds it and when it last refreshed itself. */
    private static final class Member {
        NodeInfo info;
        Connection owner;
        long refreshedAt = System.nanoTime();

        Member(NodeInfo info, Connection owner) {
            this.info = info;
            this.owner = owner;
        }
    }

    /**
     * Settings of a registry node; unset ones come from the config's section {@code cluster:}
     * ({@link ClusterConfig}): {@code registryAddress}, {@code memberTtl}, {@code registryMaxMembers},
     * {@code registryMaxViews}, {@code registryMaxInfoSize}.
     */
    public static final class Builder {
        private PagumaConfig config;
        private PagumaRuntime runtime;
        private String name;
        private String host;
        private Integer port;
        private Duration memberTtl;
        private int maxMembers;
        private int maxViews;
        private int maxInfoSize;

        private Builder() {
        }

        /** Core's keys for the server and section {@code cluster:}; default {@link PagumaConfig#defaults()}. */
        public Builder config(PagumaConfig config) {
            this.config = Objects.requireNonNull(config, "config");
            return this;
        }

        /** Runs on {@code runtime}'s threads, shared with other endpoints. */
        public Builder runtime(PagumaRuntime runtime) {
            this.runtime = Objects.requireNonNull(runtime, "runtime");
            return this;
        }

        /** The name in logs and thread names; default {@code registry}. */
        public Builder name(String name) {
            this.name = Objects.requireNonNull(name, "name");
            return this;
        }

        /** Where to listen instead of {@code registryAddress}'s host. */
        public Builder host(String host) {
            this.host = Objects.requireNonNull(host, "host");
            return this;
        }

        /** The port instead of {@code registryAddress}'s (0: any free one). */
        public Builder port(int port) {
            if (port < 0 || port > 65535) {
                throw new IllegalArgumentException("port must be between 0 and 65535, got " + port);
            }
            this.port = port;
            return this;
        }

        /** {@code cluster.memberTtl}. */
        public Builder memberTtl(Duration memberTtl) {
            if (memberTtl.toMillis() < 100) {
                throw new IllegalArgumentException("memberTtl must be at least 100ms, got " + memberTtl.toMillis() + "ms");
            }
            this.memberTtl = memberTtl;
            return this;
        }

        /** {@code cluster.registryMaxMembers}. */
        public Builder maxMembers(int maxMembers) {
            if (maxMembers < 1) {
                throw new IllegalArgumentException("maxMembers must be > 0, got " + maxMembers);
            }
            this.maxMembers = maxMembers;
            return this;
        }

        /** {@code cluster.registryMaxViews}. */
        public Builder maxViews(int maxViews) {
            if (maxViews < 1) {
                throw new IllegalArgumentException("maxViews must be > 0, got " + maxViews);
            }
            this.maxViews = maxViews;
            return this;
        }

        /** {@code cluster.registryMaxInfoSize}. */
        public Builder maxInfoSize(int bytes) {
            if (bytes < 256) {
                throw new IllegalArgumentException("maxInfoSize must be at least 256, got " + bytes);
            }
            this.maxInfoSize = bytes;
            return this;
        }

        /** @throws io.paguma.ConfigException if a config value is out of range */
        public RegistryServer build() {
            return new RegistryServer(this);
        }
    }
}
