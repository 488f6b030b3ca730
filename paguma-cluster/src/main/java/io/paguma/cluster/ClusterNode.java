package io.paguma.cluster;

import io.netty.channel.EventLoop;
import io.netty.util.collection.IntObjectHashMap;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.internal.ThreadExecutorMap;
import io.paguma.Client;
import io.paguma.Codecs;
import io.paguma.ConnectionClosedException;
import io.paguma.Connection;
import io.paguma.Message;
import io.paguma.PagumaConfig;
import io.paguma.PagumaRuntime;
import io.paguma.RemoteException;
import io.paguma.Request;
import io.paguma.Routes;
import io.paguma.Server;
import io.paguma.cluster.ClientEvent.Type;
import io.paguma.cluster.Registry.MembershipChange;
import io.paguma.cluster.internal.NodeProtocol;
import io.paguma.cluster.internal.Wire;
import io.paguma.cluster.internal.Warnings;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The working parts of a {@link Daemon}: the message module (which service owns which id, on which
 * nodes), the links to the other nodes, the clients of this node's gateway and their groups, the
 * client directory, and event delivery. Every service's {@link ServiceContext} is this object.
 */
final class ClusterNode implements ServiceContext {
    private static final Logger log = LoggerFactory.getLogger(ClusterNode.class);
    /** The attribute of a node's info that lists a service's message ids: {@code svc.<name>} = "1,2,3". */
    static final String SERVICE_IDS = "svc.";
    private static final String DIRECTORY = "paguma:client:";
    private static final String EPOCHS = "paguma:epoch:";
    private static final String STORES = "paguma:store:";

    private final String id;
    final PagumaRuntime runtime;
    final PagumaConfig config;
    private final Duration requestTimeout;
    private final boolean keepClientStore;
    final Registry registry;
    final SharedData data;
    /** Mounted services by name, in mount order; filled before start, read-only after. */
    final Map<String, Mounted> services = new java.util.LinkedHashMap<>();
    private final Map<String, Balance> balances;
    private volatile RouteMap routeMap = new RouteMap(new IntObjectHashMap<>(), Map.of());
    private final ConcurrentHashMap<String, NodeInfo> members = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Link> links = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<Long, LocalClient> clients = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Set<LocalClient>> groups = new ConcurrentHashMap<>();
    /** Clients of other nodes as their events told: node id → connection id → the client's last event. */
    private final ConcurrentHashMap<String, ConcurrentHashMap<Long, ClientEvent>> remoteClients = new ConcurrentHashMap<>();
    private final ExecutorService events;
    private final AtomicInteger roundRobin = new AtomicInteger();
    private final Warnings warnings;
    private final Routes linkRoutes;
    volatile NodeInfo self;
    Server nodeServer;
    volatile boolean stopping;

    record Mounted(Service service, Routes routes, Balance balance) {
    }

    /** Which service owns an id, and the nodes it may go to (this node first when it runs it). */
    record ServiceRoute(String service, Mounted local, String[] nodes, Balance balance, byte[] serviceField) {
        ServiceRoute(String service, Mounted local, String[] nodes, Balance balance) {
            this(service, local, nodes, balance, new Wire.Writer(2 + service.length()).str(service).toBytes());
        }
    }

    private record RouteMap(IntObjectHashMap<ServiceRoute> byId, Map<String, String[]> byService) {
    }

    /** A live link to another node: the connection both sides use, and the client when this side dialled. */
    private record Link(String nodeId, Connection connection, Client client) {
    }

    /**
     * @param data   the shared data, or null for service-hosted data reached through this node
     *               ({@code hosted} makes it once the node exists)
     */
    ClusterNode(String id, PagumaRuntime runtime, PagumaConfig config, Registry registry, SharedData data,
                Map<String, Balance> balances, java.util.function.Function<ClusterNode, SharedData> hosted) {
        this.id = id;
        this.runtime = runtime;
        this.config = config;
        ConfigValues c = new ConfigValues(config);
        this.requestTimeout = c.requestTimeout;
        this.keepClientStore = c.keepClientStore;
        this.registry = registry;
        this.balances = Map.copyOf(balances);
        this.warnings = new Warnings(log, config.warnInterval());
        ThreadPoolExecutor ev = new ThreadPoolExecutor(1, 1, 1, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), r -> {
            Thread t = new Thread(r, "paguma-" + id + "-events");
            t.setDaemon(true);
            return t;
        });
        ev.allowCoreThreadTimeOut(true);
        this.events = ev;
        this.linkRoutes = Routes.builder()
                .route(NodeProtocol.HELLO, this::onHello)
                .route(NodeProtocol.FORWARD, this::onForward)
                .route(NodeProtocol.TO_CLIENT, this::onToClient)
                .route(NodeProtocol.TO_GROUP, this::onToGroup)
                .route(NodeProtocol.TO_ALL, this::onToAll)
                .route(NodeProtocol.GROUP, this::onGroup)
                .route(NodeProtocol.EVENT, this::onEvent)
                .route(NodeProtocol.SERVICE_REQUEST, this::onServiceRequest)
                .route(NodeProtocol.LOGIN, this::onLogin)
                .route(NodeProtocol.CLOSE, this::onClose)
                .route(NodeProtocol.DATA_CHANGE, this::onDataChange)
                .build(runtime, config);
        this.data = data != null ? data : hosted.apply(this);
    }

    /** The cluster section's values this class needs. */
    private static final class ConfigValues {
        final Duration requestTimeout;
        final boolean keepClientStore;

        ConfigValues(PagumaConfig config) {
            var s = config.section(new ClusterConfig());
            requestTimeout = s.get(ClusterConfig.REQUEST_TIMEOUT);
            keepClientStore = s.get(ClusterConfig.KEEP_CLIENT_STORE);
        }
    }

    String id() {
        return id;
    }

    Balance balance(String service) {
        return balances.getOrDefault(service, Balance.STICKY);
    }

    Routes linkRoutes() {
        return linkRoutes;
    }

    // ---------------------------------------------------------------- the message module

    /** The info this node announces: its services and the ids each owns. */
    NodeInfo announce(NodeInfo base) {
        NodeInfo info = base.withServices(services.keySet());
        for (Mounted m : services.values()) {
            StringBuilder ids = new StringBuilder();
            for (int i : m.routes.ids()) {
                if (ids.length() > 0) ids.append(',');
                ids.append(Integer.toUnsignedString(i));
            }
            info = info.withAttribute(SERVICE_IDS + m.service.name(), ids.toString());
        }
        return info;
    }

    /** Works out the route table again from this node's services, the members and the live links. */
    synchronized void rebuildRoutes() {
        IntObjectHashMap<ServiceRoute> byId = new IntObjectHashMap<>();
        Map<String, List<String>> nodesOf = new TreeMap<>();
        Map<String, int[]> idsOf = new HashMap<>();
        for (Mounted m : services.values()) {
            nodesOf.computeIfAbsent(m.service.name(), k -> new ArrayList<>()).add(id);
            idsOf.put(m.service.name(), m.routes.ids().stream().mapToInt(Integer::intValue).toArray());
        }
        for (NodeInfo n : members.values()) {
            if (n.id().equals(id) || !links.containsKey(n.id())) continue;
            for (String s : n.services()) {
                String ids = n.attribute(SERVICE_IDS + s);
                if (ids == null) continue;
                nodesOf.computeIfAbsent(s, k -> new ArrayList<>()).add(n.id());
                if (!idsOf.containsKey(s)) {
                    idsOf.put(s, parseIds(ids));
                }
            }
        }
        Map<String, String[]> byService = new HashMap<>();
        for (Map.Entry<String, List<String>> e : nodesOf.entrySet()) {
            String service = e.getKey();
            List<String> nodes = e.getValue();
            // This node first when it runs the service; the others sorted, so every node orders them alike.
            List<String> sorted = new ArrayList<>(nodes);
            sorted.remove(id);
            Collections.sort(sorted);
            if (nodes.contains(id)) sorted.add(0, id);
            String[] arr = sorted.toArray(String[]::new);
            byService.put(service, arr);
            ServiceRoute route = new ServiceRoute(service, services.get(service), arr,
                    balances.getOrDefault(service, Balance.STICKY));
            for (int i : idsOf.getOrDefault(service, new int[0])) {
                ServiceRoute other = byId.get(i);
                if (other != null && !other.service.equals(service)) {
                    warnings.warn("id claimed twice", "message id " + Integer.toUnsignedString(i) + " is claimed by services " + other.service
                            + " and " + service + "; " + other.service + " keeps it", null);
                    continue;
                }
                byId.put(i, route);
            }
        }
        routeMap = new RouteMap(byId, byService);
    }

    private static int[] parseIds(String ids) {
        if (ids.isEmpty()) return new int[0];
        String[] parts = ids.split(",");
        int[] out = new int[parts.length];
        int n = 0;
        for (String p : parts) {
            try {
                out[n++] = Integer.parseUnsignedInt(p.trim());
            } catch (NumberFormatException e) {
                n--;
            }
        }
        return java.util.Arrays.copyOf(out, n);
    }

    /** The node a message for {@code route} goes to. */
    private String pick(ServiceRoute route, Request request, String clientId) {
        String[] nodes = route.nodes;
        if (nodes.length == 1) return nodes[0];
        Balance b = route.balance;
        if (b.roundRobin()) return nodes[Math.floorMod(roundRobin.getAndIncrement(), nodes.length)];
        String key = null;
        if (b.key() != null && request != null) {
            try {
                key = b.key().apply(request);
            } catch (RuntimeException e) {
                warnings.warn("balance key " + route.service, "balance key of service " + route.service + " failed for " + request + ": " + e, null);
            }
        }
        if (key == null) key = clientId;
        return rendezvous(key, nodes);
    }

    /** Highest random weight: the same key goes to the same node while the nodes stay the same. */
    static String rendezvous(String key, String[] nodes) {
        String best = nodes[0];
        long bestWeight = Long.MIN_VALUE;
        int k = key.hashCode();
        for (String n : nodes) {
            long w = mix(k * 0x9E3779B97F4A7C15L + n.hashCode());
            if (w > bestWeight) {
                bestWeight = w;
                best = n;
            }
        }
        return best;
    }

    private static long mix(long z) {
        z = (z ^ (z >>> 33)) * 0xff51afd7ed558ccdL;
        z = (z ^ (z >>> 33)) * 0xc4ceb9fe1a85ec53L;
        return z ^ (z >>> 33);
    }

    // ---------------------------------------------------------------- the gateway side

    void clientOpened(Connection c) {
        LocalClient lc = new LocalClient(this, c);
        clients.put(c.id(), lc);
        c.property(LocalClient.class.getName(), lc);
        publish(new ClientEvent(Type.CONNECTED, lc.clientId(), 0, id, c.id(), lc.address(), null, false));
    }

    void clientClosed(Connection c) {
        LocalClient lc = clients.remove(c.id());
        if (lc == null) return;
        List<String> left;
        synchronized (lc.groups) {
            left = new ArrayList<>(lc.groups);
            lc.groups.clear();
        }
        for (String g : left) {
            groups.computeIfPresent(g, (k, set) -> {
                set.remove(lc);
                return set.isEmpty() ? null : set;
            });
        }
        String reason = lc.closeReason != null ? lc.closeReason : stopping ? "node stopping" : "connection closed by the peer or lost";
        boolean abnormal = lc.closeReason == null && !stopping;
        long epoch = lc.epoch();
        String clientId = lc.clientId();
        ClientEvent event = new ClientEvent(Type.DISCONNECTED, clientId, epoch, id, c.id(), lc.address(), reason, abnormal);
        if (epoch == 0) {
            publish(event);
            return;
        }
        // The directory forgets this login only if it is still the current one: a newer login elsewhere stays.
        byte[] entry = entry(id, c.id(), epoch);
        CompletableFuture<Void> end = new CompletableFuture<>();
        endingClients.add(end);
        data.compareAndSet(DIRECTORY + clientId, entry, null).thenCompose(removed -> removed && !keepClientStore
                        ? clearStore(clientId, epoch) : CompletableFuture.completedFuture(null))
                .whenComplete((r, e) -> {
                    if (e != null) {
                        warnings.warn("login end", "node " + id + ": could not end the login of " + clientId + " epoch " + epoch
                                + " in shared data: " + e, null);
                    }
                    publish(event);
                    endingClients.remove(end);
                    end.complete(null);
                });
    }

    /** Logins being ended in the shared data before their disconnect is told. */
    private final Set<CompletableFuture<Void>> endingClients = ConcurrentHashMap.newKeySet();

    /** Waits (at most {@code wait}) until the disconnects of closed clients have been told. */
    void awaitClientEnds(Duration wait) {
        long deadline = System.nanoTime() + wait.toNanos();
        while (!clients.isEmpty() && System.nanoTime() < deadline) {
            // The gateway's stop has closed them; their onConnStop runs on their IO threads.
            CompletableFuture<?>[] closing = clients.values().stream().map(LocalClient::closeFuture).toArray(CompletableFuture[]::new);
            try {
                CompletableFuture.allOf(closing).get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (ExecutionException | TimeoutException e) {
                break;
            }
            if (clients.values().stream().allMatch(lc -> lc.closeFuture().isDone())) break;
        }
        try {
            CompletableFuture.allOf(endingClients.toArray(CompletableFuture[]::new))
                    .get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            log.warn("node {}: {} client logins still ending after {}", id, endingClients.size(), wait);
        }
    }

    /** A client's message, on the gateway connection's worker (or IO) thread. */
    void onClientMessage(Request request) {
        LocalClient lc = request.connection().property(LocalClient.class.getName());
        if (lc == null) return; // opened before the daemon knew it: cannot happen once started
        ServiceRoute route = routeMap.byId.get(request.id());
        if (route == null) {
            warnings.warn("no service", lc + ": no service owns message id " + Integer.toUnsignedString(request.id())
                    + ", message of " + request.message().length() + " bytes dropped", null);
            failQuietly(request, RemoteException.NO_ROUTE, "no service owns message id " + Integer.toUnsignedString(request.id()));
            return;
        }
        String target = pick(route, request, lc.stickyKey);
        if (target.equals(id)) {
            route.local.routes.handle(new Request(lc, request.message()));
            return;
        }
        Link link = links.get(target);
        if (link == null) {
            failQuietly(request, RemoteException.UNAVAILABLE, "service " + route.service + " is unavailable");
            return;
        }
        Message m = request.message();
        int timeout = m.timeoutMillis() == 0 ? 0 : (int) Math.max(1, request.remaining().toMillis());
        byte[] header = lc.forwardHeader();
        byte[] service = route.serviceField;
        byte[] data = m.data();
        byte[] payload = new byte[header.length + service.length + 16 + data.length];
        System.arraycopy(header, 0, payload, 0, header.length);
        System.arraycopy(service, 0, payload, header.length, service.length);
        int at = header.length + service.length;
        Wire.putInt(payload, at, m.id());
        Wire.putInt(payload, at + 4, m.seq());
        Wire.putInt(payload, at + 8, timeout);
        Wire.putInt(payload, at + 12, data.length);
        System.arraycopy(data, 0, payload, at + 16, data.length);
        link.connection.send(NodeProtocol.FORWARD, payload).whenComplete((v, e) -> {
            if (e != null) failQuietly(request, RemoteException.UNAVAILABLE, "service " + route.service + " is unavailable");
        });
    }

    private static void failQuietly(Request request, int status, String message) {
        if (request.seq() == 0) return;
        try {
            request.fail(status, message);
        } catch (RuntimeException ignored) {
            // closing
        }
    }

    // ---------------------------------------------------------------- logins and the directory

    private static byte[] entry(String node, long conn, long epoch) {
        return (node + "/" + conn + "/" + epoch).getBytes(StandardCharsets.UTF_8);
    }

    /** A directory entry: node, connection, epoch. */
    private record Location(String node, long conn, long epoch) {
        static Location parse(byte[] b) {
            if (b == null) return null;
            String[] p = new String(b, StandardCharsets.UTF_8).split("/");
            if (p.length != 3) return null;
            try {
                return new Location(p[0], Long.parseLong(p[1]), Long.parseLong(p[2]));
            } catch (NumberFormatException e) {
                return null;
            }
        }
    }

    /** Where a client is connected now: from its anonymous id, or the directory. Null: nowhere. */
    private CompletableFuture<Location> locate(String clientId) {
        if (clientId.startsWith("@")) {
            int slash = clientId.indexOf('/');
            try {
                return CompletableFuture.completedFuture(slash < 0 ? null
                        : new Location(clientId.substring(1, slash), Long.parseLong(clientId.substring(slash + 1)), 0));
            } catch (NumberFormatException e) {
                return CompletableFuture.completedFuture(null);
            }
        }
        return data.get(DIRECTORY + clientId).thenApply(Location::parse);
    }

    CompletableFuture<Long> login(LocalClient lc, String clientId) {
        if (clientId == null || clientId.isEmpty() || clientId.startsWith("@") || clientId.length() > 256) {
            return CompletableFuture.failedFuture(new IllegalArgumentException(
                    "a client id is 1-256 characters and does not start with '@': '" + clientId + "'"));
        }
        if (lc.epoch() > 0 && !lc.clientId().equals(clientId)) {
            return CompletableFuture.failedFuture(new IllegalStateException(lc + " is logged in already; it cannot become " + clientId));
        }
        if (!lc.isOpen()) {
            return CompletableFuture.failedFuture(new ConnectionClosedException(lc + " is closed"));
        }
        return data.increment(EPOCHS + clientId, 1).thenCompose(epoch -> claim(lc, clientId, epoch));
    }

    /** Makes the directory point at this login unless a newer one got there first; displaces an older one. */
    private CompletableFuture<Long> claim(LocalClient lc, String clientId, long epoch) {
        String key = DIRECTORY + clientId;
        byte[] mine = entry(id, lc.id(), epoch);
        return data.get(key).thenCompose(old -> {
            Location previous = Location.parse(old);
            if (previous != null && previous.epoch > epoch) {
                return CompletableFuture.failedFuture(new IllegalStateException("a newer login of " + clientId
                        + " (epoch " + previous.epoch + ") got there first"));
            }
            return data.compareAndSet(key, old, mine).thenCompose(swapped -> {
                if (!swapped) return claim(lc, clientId, epoch);
                lc.loggedIn(clientId, epoch);
                if (previous != null && !(previous.node.equals(id) && previous.conn == lc.id())) {
                    closeClient(previous.node, previous.conn, "logged in elsewhere");
                }
                if (!lc.isOpen()) {
                    // Closed while logging in: its close saw no login, so end the login here.
                    clientClosedDuringLogin(lc, clientId, epoch, mine);
                }
                publish(new ClientEvent(Type.LOGGED_IN, clientId, epoch, id, lc.id(), lc.address(), null, false));
                return CompletableFuture.completedFuture(epoch);
            });
        });
    }

    private void clientClosedDuringLogin(LocalClient lc, String clientId, long epoch, byte[] mine) {
        data.compareAndSet(DIRECTORY + clientId, mine, null);
    }

    CompletableFuture<Long> remoteLogin(String node, long conn, String clientId) {
        Link link = links.get(node);
        if (link == null) return CompletableFuture.failedFuture(new ClientGoneException("node " + node + " is not linked"));
        return link.connection.request(new Message(NodeProtocol.LOGIN, new Wire.Writer(32).i64(conn).str(clientId).toBytes()),
                        requestTimeout)
                .thenApply(reply -> new Wire.Reader(reply.data()).i64("epoch"));
    }

    private CompletableFuture<Void> closeClient(String node, long conn, String reason) {
        if (node.equals(id)) {
            LocalClient lc = clients.get(conn);
            return lc == null ? CompletableFuture.completedFuture(null) : lc.close(reason);
        }
        return closeRemoteClient(node, conn, reason);
    }

    CompletableFuture<Void> closeRemoteClient(String node, long conn, String reason) {
        Link link = links.get(node);
        if (link == null) return CompletableFuture.completedFuture(null);
        return link.connection.send(NodeProtocol.CLOSE, new Wire.Writer(32).i64(conn).str(reason).toBytes());
    }

    // ---------------------------------------------------------------- the client store

    @Override
    public ClientStore clientStore(String clientId) {
        return new SharedClientStore(this, clientId);
    }

    /** The current login epoch of a client (0: not logged in), as the directory has it. */
    CompletableFuture<Long> currentEpoch(String clientId) {
        if (clientId.startsWith("@")) return CompletableFuture.completedFuture(0L);
        return data.get(DIRECTORY + clientId).thenApply(b -> {
            Location l = Location.parse(b);
            return l == null ? 0L : l.epoch;
        });
    }

    String storeKey(String clientId) {
        return STORES + clientId;
    }

    boolean keepClientStore() {
        return keepClientStore;
    }

    private CompletableFuture<Void> clearStore(String clientId, long epoch) {
        return SharedClientStore.clear(this, clientId, epoch);
    }

    // ---------------------------------------------------------------- reaching clients

    @Override
    public NodeInfo node() {
        return self;
    }

    @Override
    public Map<String, NodeInfo> nodes() {
        Map<String, NodeInfo> m = new TreeMap<>(members);
        m.put(id, self);
        return Collections.unmodifiableMap(m);
    }

    /** The nodes with a live link (not this one). */
    Set<String> linkedNodes() {
        return Set.copyOf(links.keySet());
    }

    boolean linked(String node) {
        return node.equals(id) || links.containsKey(node);
    }

    @Override
    public CompletableFuture<Void> send(String clientId, int msgId, byte[] payload) {
        return locate(clientId).thenCompose(loc -> {
            if (loc == null) return CompletableFuture.failedFuture(new ClientGoneException("client " + clientId + " is not connected"));
            if (loc.node.equals(id)) {
                LocalClient lc = clients.get(loc.conn);
                if (lc == null) return CompletableFuture.failedFuture(new ClientGoneException("client " + clientId + " is not connected"));
                return lc.send(new Message(msgId, payload));
            }
            return sendToRemoteClient(loc.node, loc.conn, new Message(msgId, payload));
        });
    }

    CompletableFuture<Void> sendToRemoteClient(String node, long conn, Message m) {
        Link link = links.get(node);
        if (link == null) {
            return CompletableFuture.failedFuture(new ClientGoneException("node " + node + " of client #" + conn + " is not linked"));
        }
        byte[] payload = new Wire.Writer(32 + m.length()).i64(conn).i32(m.id()).i32(m.seq()).i32(m.status())
                .bytes(m.data()).toBytes();
        return link.connection.send(NodeProtocol.TO_CLIENT, payload);
    }

    @Override
    public CompletableFuture<Boolean> join(String group, String clientId) {
        return groupOp(true, group, clientId);
    }

    @Override
    public CompletableFuture<Boolean> leave(String group, String clientId) {
        return groupOp(false, group, clientId);
    }

    private CompletableFuture<Boolean> groupOp(boolean join, String group, String clientId) {
        return locate(clientId).thenCompose(loc -> {
            if (loc == null) return CompletableFuture.failedFuture(new ClientGoneException("client " + clientId + " is not connected"));
            if (loc.node.equals(id)) {
                LocalClient lc = clients.get(loc.conn);
                if (lc == null) return CompletableFuture.failedFuture(new ClientGoneException("client " + clientId + " is not connected"));
                return CompletableFuture.completedFuture(localGroupOp(join, group, lc));
            }
            Link link = links.get(loc.node);
            if (link == null) return CompletableFuture.failedFuture(new ClientGoneException("node " + loc.node + " of client " + clientId + " is not linked"));
            byte[] payload = new Wire.Writer(32).u8(join ? 1 : 0).i64(loc.conn).str(group).toBytes();
            return link.connection.request(new Message(NodeProtocol.GROUP, payload), requestTimeout)
                    .thenApply(reply -> reply.data().length == 1 && reply.data()[0] == 1);
        });
    }

    private boolean localGroupOp(boolean join, String group, LocalClient lc) {
        synchronized (lc.groups) {
            if (join) {
                if (!lc.isOpen() || !lc.groups.add(group)) return false;
                groups.computeIfAbsent(group, g -> ConcurrentHashMap.newKeySet()).add(lc);
                return true;
            }
            if (!lc.groups.remove(group)) return false;
            groups.computeIfPresent(group, (g, set) -> {
                set.remove(lc);
                return set.isEmpty() ? null : set;
            });
            return true;
        }
    }

    @Override
    public CompletableFuture<Void> sendToGroup(String group, int msgId, byte[] payload) {
        deliverToGroup(group, msgId, payload);
        byte[] frame = new Wire.Writer(16 + payload.length).str(group).i32(msgId).bytes(payload).toBytes();
        return toEveryNode(NodeProtocol.TO_GROUP, frame);
    }

    @Override
    public CompletableFuture<Void> broadcast(int msgId, byte[] payload) {
        deliverToAll(msgId, payload);
        return toEveryNode(NodeProtocol.TO_ALL, new Wire.Writer(8 + payload.length).i32(msgId).bytes(payload).toBytes());
    }

    private CompletableFuture<Void> toEveryNode(int kind, byte[] frame) {
        List<CompletableFuture<Void>> sends = new ArrayList<>();
        for (Link l : links.values()) {
            sends.add(l.connection.send(kind, frame));
        }
        return CompletableFuture.allOf(sends.toArray(CompletableFuture[]::new));
    }

    private void deliverToGroup(String group, int msgId, byte[] payload) {
        Set<LocalClient> members = groups.get(group);
        if (members == null) return;
        Message m = new Message(msgId, payload);
        for (LocalClient lc : members) {
            lc.send(m);
        }
    }

    private void deliverToAll(int msgId, byte[] payload) {
        Message m = new Message(msgId, payload);
        for (LocalClient lc : clients.values()) {
            lc.send(m);
        }
    }

    /** The number of clients connected to this node. */
    int clientCount() {
        return clients.size();
    }

    // ---------------------------------------------------------------- service requests

    @Override
    public CompletableFuture<Message> request(String service, int msgId, byte[] payload) {
        return request(service, msgId, payload, requestTimeout);
    }

    @Override
    public CompletableFuture<Message> request(String service, int msgId, byte[] payload, Duration timeout) {
        String[] nodes = routeMap.byService.get(service);
        if (nodes == null || nodes.length == 0) {
            return CompletableFuture.failedFuture(new RemoteException(RemoteException.UNAVAILABLE,
                    "no live node runs service " + service));
        }
        if (nodes[0].equals(id)) {
            return localRequest(services.get(service), msgId, payload, timeout);
        }
        String target = nodes[Math.floorMod(roundRobin.getAndIncrement(), nodes.length)];
        Link link = links.get(target);
        if (link == null) {
            return CompletableFuture.failedFuture(new RemoteException(RemoteException.UNAVAILABLE,
                    "no live node runs service " + service));
        }
        byte[] frame = new Wire.Writer(16 + payload.length).str(service).i32(msgId).bytes(payload).toBytes();
        return link.connection.request(new Message(NodeProtocol.SERVICE_REQUEST, frame), timeout).thenApply(reply -> {
            Wire.Reader r = new Wire.Reader(reply.data());
            int id = r.i32("id");
            byte[] d = r.bytes("data");
            return new Message(id, d);
        });
    }

    private CompletableFuture<Message> localRequest(Mounted m, int msgId, byte[] payload, Duration timeout) {
        CompletableFuture<Message> answer = new CompletableFuture<>();
        long millis = Math.max(1, Math.min(Integer.MAX_VALUE, timeout.toMillis()));
        ServiceCaller caller = new ServiceCaller("service request to " + m.service.name() + " on this node", reply -> {
            if (reply.status() != 0) {
                answer.completeExceptionally(new RemoteException(reply.status(), reply.text()));
            } else {
                answer.complete(new Message(reply.id(), reply.data()));
            }
            return CompletableFuture.completedFuture(null);
        });
        // seq 1: the route may answer (a request), and failures travel back as statuses.
        Request r = new Request(caller, new Message(msgId, 1, 0, (int) millis, payload));
        try {
            m.routes.handle(r);
        } catch (VirtualMachineError e) {
            answer.completeExceptionally(e);
            throw e;
        }
        answer.orTimeout(millis, TimeUnit.MILLISECONDS);
        return answer;
    }

    @Override
    public Message call(String service, int msgId, byte[] payload, Duration timeout) {
        EventExecutor current = ThreadExecutorMap.currentExecutor();
        if (current instanceof EventLoop) {
            throw new IllegalStateException("call(" + service + ", " + msgId + ") on IO thread " + Thread.currentThread().getName()
                    + " would stall every connection of that thread: use request(...) and continue on its future");
        }
        try {
            return request(service, msgId, payload, timeout).get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ServiceCallException("call to service " + service + " interrupted", e);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof RemoteException re) throw new RemoteException(re.status(), re.remoteMessage());
            if (cause instanceof RuntimeException re && !(cause instanceof java.util.concurrent.CompletionException)) {
                throw re;
            }
            throw new ServiceCallException("call to service " + service + " message id " + msgId + " failed: " + cause, cause);
        }
    }

    @Override
    public SharedData sharedData() {
        return data;
    }

    // ---------------------------------------------------------------- events

    /** Tells this node's services, then every other node. */
    private void publish(ClientEvent event) {
        deliver(event);
        byte[] frame = new Wire.Writer(64).u8(event.type().ordinal()).str(event.clientId()).i64(event.epoch())
                .str(event.nodeId()).i64(event.connectionId()).str(event.address())
                .str(event.reason() == null ? "" : event.reason()).u8(event.abnormal() ? 1 : 0).toBytes();
        toEveryNode(NodeProtocol.EVENT, frame);
    }

    private void deliver(ClientEvent event) {
        if (!event.nodeId().equals(id)) {
            // Remember the clients of other nodes, to tell of their disconnects if their node dies.
            ConcurrentHashMap<Long, ClientEvent> known = remoteClients.computeIfAbsent(event.nodeId(), k -> new ConcurrentHashMap<>());
            if (event.type() == Type.DISCONNECTED) {
                known.remove(event.connectionId());
            } else {
                known.put(event.connectionId(), event);
            }
        }
        onEventThread(() -> {
            for (Mounted m : services.values()) {
                Service s = m.service;
                try {
                    switch (event.type()) {
                        case CONNECTED -> {
                            if (s instanceof OnClientConnect l) l.clientConnected(event);
                        }
                        case LOGGED_IN -> {
                            if (s instanceof OnClientLogin l) l.clientLoggedIn(event);
                        }
                        case DISCONNECTED -> {
                            if (s instanceof OnClientDisconnect l) l.clientDisconnected(event);
                        }
                    }
                } catch (RuntimeException e) {
                    warnings.warn("event " + s.name(), "service " + s.name() + " failed on " + event, e);
                }
            }
        });
    }

    void onEventThread(Runnable task) {
        try {
            events.execute(task);
        } catch (RejectedExecutionException e) {
            // stopped
        }
    }

    void tellServices(java.util.function.Consumer<Service> call, String what) {
        onEventThread(() -> {
            for (Mounted m : services.values()) {
                try {
                    call.accept(m.service);
                } catch (RuntimeException e) {
                    warnings.warn("event " + m.service.name(), "service " + m.service.name() + " failed on " + what, e);
                }
            }
        });
    }

    // ---------------------------------------------------------------- membership and links

    void membershipChanged(MembershipChange change) {
        NodeInfo n = change.node();
        if (n.id().equals(id)) return;
        switch (change.type()) {
            case JOINED, UPDATED -> {
                NodeInfo before = members.put(n.id(), n);
                if (before == null) {
                    tellServices(s -> {
                        if (s instanceof OnNodeJoin l) l.nodeJoined(n);
                    }, "node " + n.id() + " joined");
                }
                servicesChanged(before, n, null);
                if (id.compareTo(n.id()) < 0 && n.port() > 0 && !stopping) {
                    dial(n);
                }
                rebuildRoutes();
            }
            case LEFT -> {
                NodeInfo before = members.remove(n.id());
                unlink(n.id());
                rebuildRoutes();
                nodeGone(n.id(), "node " + n.id() + " left (" + change.reason() + ")");
                if (before != null) {
                    servicesChanged(before, null, change.reason());
                    tellServices(s -> {
                        if (s instanceof OnNodeLeave l) l.nodeLeft(before, change.reason());
                    }, "node " + n.id() + " left");
                }
            }
        }
    }

    private void servicesChanged(NodeInfo before, NodeInfo after, String reason) {
        Set<String> was = before == null ? Set.of() : before.services();
        Set<String> is = after == null ? Set.of() : after.services();
        NodeInfo node = after != null ? after : before;
        for (String s : is) {
            if (!was.contains(s)) {
                tellServices(x -> {
                    if (x instanceof OnServiceMount l) l.serviceMounted(s, node);
                }, "service " + s + " mounted on " + node.id());
            }
        }
        for (String s : was) {
            if (!is.contains(s)) {
                tellServices(x -> {
                    if (x instanceof OnServiceUnmount l) l.serviceUnmounted(s, node, reason == null ? "unmounted" : reason);
                }, "service " + s + " gone from " + node.id());
            }
        }
    }

    /** A node's clients are gone with it: services hear of each one's disconnect, and the directory forgets them. */
    private void nodeGone(String node, String reason) {
        ConcurrentHashMap<Long, ClientEvent> known = remoteClients.remove(node);
        if (known == null) return;
        for (ClientEvent last : known.values()) {
            ClientEvent gone = new ClientEvent(Type.DISCONNECTED, last.clientId(), last.epoch(), node, last.connectionId(),
                    last.address(), reason, true);
            if (last.epoch() > 0) {
                data.compareAndSet(DIRECTORY + last.clientId(), entry(node, last.connectionId(), last.epoch()), null);
            }
            deliver(gone);
        }
    }

    /** Dials {@code n} unless a dialler to its address exists; one whose address changed is replaced. */
    private void dial(NodeInfo n) {
        Dialer existing = dialers.get(n.id());
        if (existing != null) {
            if (existing.host.equals(n.host()) && existing.port == n.port()) return;
            dialers.remove(n.id(), existing);
            existing.client.close();
        }
        PagumaConfig linkConfig = linkConfig(config).toBuilder().host(n.host()).port(n.port()).build();
        Client[] holder = new Client[1];
        Client client = Client.builder().runtime(runtime).config(linkConfig).codec(Codecs.PAGUMA)
                .name("paguma-" + id + "-to-" + n.id())
                .onUnknownMessage(linkRoutes::handle)
                .onConnStart(c -> c.request(new Message(NodeProtocol.HELLO, new Wire.Writer(32).str(id).str(n.id()).toBytes()),
                        requestTimeout).whenComplete((reply, e) -> {
                    if (e != null) {
                        warnings.warn("link refused " + n.id(), "node " + id + ": node " + n.id() + " at " + n.host() + ":" + n.port()
                                + " refused the link: " + e, null);
                        c.close();
                        return;
                    }
                    linkUp(new Link(n.id(), c, holder[0]));
                }))
                .onConnStop(c -> linkDown(n.id(), c))
                .build();
        holder[0] = client;
        Dialer d = new Dialer(n.host(), n.port(), client);
        if (dialers.putIfAbsent(n.id(), d) != null || stopping) {
            client.close();
            return;
        }
        client.connect();
    }

    /** A client dialling another node, kept while that node is a member (it redials a lost link itself). */
    private record Dialer(String host, int port, Client client) {
    }

    private final ConcurrentHashMap<String, Dialer> dialers = new ConcurrentHashMap<>();

    /** A node link's config: the root's, with codec paguma over TCP, and room for a client's largest message plus its routing fields. */
    static PagumaConfig linkConfig(PagumaConfig config) {
        int max = Math.max(config.section(new ClusterConfig()).get(ClusterConfig.LINK_MAX_PACKET_SIZE),
                (int) Math.min(Integer.MAX_VALUE - 1, (long) config.maxPacketSize() + 2048));
        return config.toBuilder().codec("paguma").mode(PagumaConfig.Mode.TCP).reconnect(true).maxPacketSize(max).build();
    }

    private void onHello(Request r) {
        Wire.Reader in = new Wire.Reader(r.data());
        String from = in.str("from");
        String to = in.str("to");
        if (!to.equals(id)) {
            r.fail(RemoteException.UNAVAILABLE, "this is node " + id + ", not " + to);
            return;
        }
        // One link per pair, dialled by the node with the smaller id; only a member may link.
        if (!NodeInfo.validId(from) || from.compareTo(id) >= 0 || !members.containsKey(from)) {
            warnings.warn("hello refused", "node " + id + ": refused a link from " + r.connection() + " claiming to be node '" + from
                    + "' (not a member with a smaller id)", null);
            r.fail(RemoteException.UNAVAILABLE, "node " + id + " takes links only from members with a smaller id: '" + from + "'");
            r.connection().close();
            return;
        }
        r.reply(NodeProtocol.HELLO, new byte[0]);
        linkUp(new Link(from, r.connection(), null));
        r.connection().closeFuture().whenComplete((v, e) -> linkDown(from, r.connection()));
    }

    private void linkUp(Link link) {
        if (stopping) {
            closeLink(link);
            return;
        }
        Link old = links.put(link.nodeId, link);
        if (old != null && old.connection != link.connection && old.client == null) {
            old.connection.close();
        }
        log.info("node {}: linked to node {} ({})", id, link.nodeId, link.connection.remoteAddress());
        rebuildRoutes();
    }

    private void linkDown(String node, Connection c) {
        Link l = links.get(node);
        if (l != null && l.connection == c && links.remove(node, l)) {
            log.info("node {}: link to node {} closed", id, node);
            rebuildRoutes();
        }
    }

    private void closeLink(Link link) {
        if (link.client == null) link.connection.close();
    }

    /** Ends the link to {@code node} and stops dialling it (it left). */
    private void unlink(String node) {
        Link link = links.remove(node);
        if (link != null) closeLink(link);
        Dialer d = dialers.remove(node);
        if (d != null) d.client.close();
    }

    /** Ends every link and dialler (the node is stopping). */
    void closeLinks() {
        for (String node : new ArrayList<>(links.keySet())) {
            unlink(node);
        }
        for (String node : new ArrayList<>(dialers.keySet())) {
            unlink(node);
        }
    }

    // ---------------------------------------------------------------- link messages (on the link's worker)

    private void onForward(Request r) {
        Wire.Reader in = new Wire.Reader(r.data());
        long conn = in.i64("conn");
        String clientId = in.str("client");
        long epoch = in.i64("epoch");
        String address = in.str("address");
        String service = in.str("service");
        int msgId = in.i32("id");
        int seq = in.i32("seq");
        int timeout = in.i32("timeout");
        byte[] payload = in.bytes("data");
        in.end();
        String from = nodeOf(r.connection());
        RemoteClient client = new RemoteClient(this, from, conn, clientId, epoch, address);
        Mounted m = services.get(service);
        Request forwarded = new Request(client, new Message(msgId, seq, 0, Math.max(0, timeout), payload));
        if (m == null) {
            failQuietly(forwarded, RemoteException.UNAVAILABLE, "service " + service + " does not run on node " + id);
            return;
        }
        m.routes.handle(forwarded);
    }

    private String nodeOf(Connection c) {
        for (Link l : links.values()) {
            if (l.connection == c) return l.nodeId;
        }
        throw new IllegalStateException("message from a connection that is not a node link: " + c);
    }

    private void onToClient(Request r) {
        Wire.Reader in = new Wire.Reader(r.data());
        long conn = in.i64("conn");
        int msgId = in.i32("id");
        int seq = in.i32("seq");
        int status = in.i32("status");
        byte[] payload = in.bytes("data");
        in.end();
        LocalClient lc = clients.get(conn);
        if (lc != null) lc.send(new Message(msgId, seq, status, 0, payload));
    }

    private void onToGroup(Request r) {
        Wire.Reader in = new Wire.Reader(r.data());
        String group = in.str("group");
        int msgId = in.i32("id");
        byte[] payload = in.bytes("data");
        in.end();
        deliverToGroup(group, msgId, payload);
    }

    private void onToAll(Request r) {
        Wire.Reader in = new Wire.Reader(r.data());
        int msgId = in.i32("id");
        byte[] payload = in.bytes("data");
        in.end();
        deliverToAll(msgId, payload);
    }

    private void onGroup(Request r) {
        Wire.Reader in = new Wire.Reader(r.data());
        boolean join = in.u8("op") == 1;
        long conn = in.i64("conn");
        String group = in.str("group");
        in.end();
        LocalClient lc = clients.get(conn);
        boolean changed = lc != null && localGroupOp(join, group, lc);
        r.reply(NodeProtocol.GROUP, new byte[]{(byte) (changed ? 1 : 0)});
    }

    private void onEvent(Request r) {
        Wire.Reader in = new Wire.Reader(r.data());
        int type = in.u8("type");
        String clientId = in.str("client");
        long epoch = in.i64("epoch");
        String node = in.str("node");
        long conn = in.i64("conn");
        String address = in.str("address");
        String reason = in.str("reason");
        boolean abnormal = in.u8("abnormal") == 1;
        in.end();
        if (type >= Type.values().length) throw new IllegalArgumentException("unknown client event type " + type);
        deliver(new ClientEvent(Type.values()[type], clientId, epoch, node, conn, address, reason.isEmpty() ? null : reason, abnormal));
    }

    private void onServiceRequest(Request r) {
        Wire.Reader in = new Wire.Reader(r.data());
        String service = in.str("service");
        int msgId = in.i32("id");
        byte[] payload = in.bytes("data");
        in.end();
        Mounted m = services.get(service);
        if (m == null) {
            r.fail(RemoteException.UNAVAILABLE, "service " + service + " does not run on node " + id);
            return;
        }
        Connection link = r.connection();
        int seq = r.seq();
        ServiceCaller caller = new ServiceCaller("service request to " + service + " from node " + nodeOf(link), reply -> {
            if (reply.status() != 0) {
                return link.send(new Message(NodeProtocol.SERVICE_REQUEST, seq, reply.status(), 0, reply.data()));
            }
            byte[] frame = new Wire.Writer(8 + reply.length()).i32(reply.id()).bytes(reply.data()).toBytes();
            return link.send(new Message(NodeProtocol.SERVICE_REQUEST, seq, 0, 0, frame));
        });
        int timeout = r.message().timeoutMillis() == 0 ? 0 : (int) Math.max(1, r.remaining().toMillis());
        m.routes.handle(new Request(caller, new Message(msgId, 1, 0, timeout, payload)));
    }

    private void onLogin(Request r) {
        Wire.Reader in = new Wire.Reader(r.data());
        long conn = in.i64("conn");
        String clientId = in.str("client");
        in.end();
        LocalClient lc = clients.get(conn);
        if (lc == null) {
            r.fail(RemoteException.UNAVAILABLE, "client #" + conn + " is not connected to node " + id);
            return;
        }
        login(lc, clientId).whenComplete((epoch, e) -> {
            if (e != null) {
                Throwable cause = e instanceof java.util.concurrent.CompletionException && e.getCause() != null ? e.getCause() : e;
                r.fail(RemoteException.UNAVAILABLE, "login of " + clientId + " failed: " + cause.getMessage());
            } else {
                r.reply(NodeProtocol.LOGIN, new Wire.Writer(8).i64(epoch).toBytes());
            }
        });
    }

    private void onClose(Request r) {
        Wire.Reader in = new Wire.Reader(r.data());
        long conn = in.i64("conn");
        String reason = in.str("reason");
        in.end();
        LocalClient lc = clients.get(conn);
        if (lc != null) lc.close(reason);
    }

    // ---------------------------------------------------------------- service-hosted shared data

    private final ConcurrentHashMap<Integer, ServiceSharedData> dataStores = new ConcurrentHashMap<>();
    private final AtomicInteger nextDataStore = new AtomicInteger(1);

    int registerDataStore(ServiceSharedData store) {
        int n = nextDataStore.getAndIncrement();
        dataStores.put(n, store);
        return n;
    }

    void unregisterDataStore(int n) {
        dataStores.remove(n);
    }

    /** On the hosting node: a change of a key that store {@code store} of {@code node} subscribed to. */
    void pushDataChange(String node, int store, SharedData.Change change) {
        if (node.equals(id)) {
            ServiceSharedData s = dataStores.get(store);
            if (s != null) s.changed(change);
            return;
        }
        Link link = links.get(node);
        if (link == null) return;
        byte[] k = change.key().getBytes(StandardCharsets.UTF_8);
        Wire.Writer w = new Wire.Writer(32 + k.length + (change.value() == null ? 0 : change.value().length))
                .i32(store).bytes(k).u8(change.type().ordinal()).u8(change.value() == null ? 0 : 1);
        if (change.value() != null) w.bytes(change.value());
        link.connection.send(NodeProtocol.DATA_CHANGE, w.toBytes());
    }

    private void onDataChange(Request r) {
        Wire.Reader in = new Wire.Reader(r.data());
        int store = in.i32("store");
        String key = new String(in.bytes("key"), StandardCharsets.UTF_8);
        int type = in.u8("type");
        byte[] value = in.u8("has value") == 1 ? in.bytes("value") : null;
        in.end();
        if (type >= SharedData.ChangeType.values().length) throw new IllegalArgumentException("unknown change type " + type);
        ServiceSharedData s = dataStores.get(store);
        if (s != null) s.changed(new SharedData.Change(key, SharedData.ChangeType.values()[type], value));
    }

    // ---------------------------------------------------------------- stop

    /** Closes every client of the gateway's (the gateway has stopped accepting). */
    void closeClients(String reason) {
        for (LocalClient lc : clients.values()) {
            lc.close(reason);
        }
    }

    /** Waits until events queued so far have been delivered (at most {@code wait}). */
    void drainEvents(Duration wait) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        onEventThread(() -> done.complete(null));
        try {
            done.get(wait.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            log.warn("node {}: services' events still running after {}", id, wait);
        }
    }

    void stopEvents() {
        events.shutdown();
    }

    CompletableFuture<Void> remoteCloseFuture(String node) {
        Link l = links.get(node);
        return l == null ? CompletableFuture.completedFuture(null) : l.connection.closeFuture();
    }

    /** Groups this node has members in, with their local member counts (for tests and the admin page). */
    Map<String, Integer> groupSizes() {
        Map<String, Integer> m = new TreeMap<>();
        groups.forEach((g, s) -> m.put(g, s.size()));
        return m;
    }

}
