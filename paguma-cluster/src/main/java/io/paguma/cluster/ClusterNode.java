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
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
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
    /** Random per process: tells this run of the node from an earlier one with the same id. */
    final String incarnation;
    /** The NodeInfo attribute that carries it. */
    static final String INCARNATION = "incarnation";
    final PagumaRuntime runtime;
    final PagumaConfig config;
    private final Duration requestTimeout;
    private final Duration memberTtl;
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
    /** Held while another node's event is checked against the members and tracked, and while a gone node's clients are cleared. */
    private final Object trackLock = new Object();
    /** Clients of other nodes as their events told: node id → connection id → the client's last event. */
    private final ConcurrentHashMap<String, ConcurrentHashMap<Long, ClientEvent>> remoteClients = new ConcurrentHashMap<>();
    private final ExecutorService events;
    private final AtomicInteger roundRobin = new AtomicInteger();
    private final Warnings warnings;
    private final Routes linkRoutes;
    volatile NodeInfo self;
    Server nodeServer;
    volatile boolean stopping;
    /** Set before the services are unmounted: messages for them are refused from then on. */
    volatile boolean servicesDown;
    /** Where service work from other nodes runs (not on the links' own threads). */
    private final ServiceWorkers serviceWorkers;
    /** cluster.secret's bytes, or null when none is set. */
    private final byte[] secret;

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
    private record Link(String nodeId, String incarnation, Connection connection, Client client) {
    }

    /**
     * @param data   the shared data, or null for service-hosted data reached through this node
     *               ({@code hosted} makes it once the node exists)
     */
    ClusterNode(String id, PagumaRuntime runtime, PagumaConfig config, Registry registry, SharedData data,
                Map<String, Balance> balances, java.util.function.Function<ClusterNode, SharedData> hosted) {
        this.id = id;
        this.incarnation = Long.toHexString(new java.security.SecureRandom().nextLong() | 1L << 60);
        this.runtime = runtime;
        this.config = config;
        ConfigValues c = new ConfigValues(config);
        this.memberTtl = config.section(new ClusterConfig()).get(ClusterConfig.MEMBER_TTL);
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
        ThreadPoolExecutor mem = new ThreadPoolExecutor(1, 1, 1, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), r -> {
            Thread t = new Thread(r, "paguma-" + id + "-membership");
            t.setDaemon(true);
            return t;
        });
        mem.allowCoreThreadTimeOut(true);
        this.membership = mem;
        // As many lanes as the runtime has workers; none when routers run on the IO threads (workerPoolSize 0).
        // The links' own routers always run on their IO threads: they decode and hand on, never block.
        this.serviceWorkers = new ServiceWorkers("paguma-" + id + "-service", runtime.config().workerPoolSize(),
                Math.max(64, runtime.config().maxWorkerTaskLen()));
        String s = config.section(new ClusterConfig()).get(ClusterConfig.SECRET);
        this.secret = s.isEmpty() ? null : s.getBytes(StandardCharsets.UTF_8);
        this.linkRoutes = Routes.builder()
                .use(this::gate)
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
                .route(NodeProtocol.CLIENTS, this::onClients)
                .route(NodeProtocol.BYE, this::onBye)
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

    Duration requestTimeout() {
        return requestTimeout;
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
        NodeInfo info = base.withServices(services.keySet()).withAttribute(INCARNATION, incarnation);
        for (Mounted m : services.values()) {
            // A service that serves no clients announces no ids: clients cannot reach it.
            if (!m.service.servesClients()) continue;
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
            if (m.service.servesClients()) {
                idsOf.put(m.service.name(), m.routes.ids().stream().mapToInt(Integer::intValue).toArray());
            }
        }
        for (NodeInfo n : members.values()) {
            if (n.id().equals(id) || !links.containsKey(n.id())) continue;
            for (String s : n.services()) {
                nodesOf.computeIfAbsent(s, k -> new ArrayList<>()).add(n.id());
                String ids = n.attribute(SERVICE_IDS + s);
                if (ids != null && !idsOf.containsKey(s)) {
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
        String[] before = routeMap.byService.get(SharedDataService.NAME);
        routeMap = new RouteMap(byId, byService);
        String[] after = byService.get(SharedDataService.NAME);
        String hostBefore = before == null ? null : firstById(before), hostAfter = after == null ? null : firstById(after);
        if (hostAfter != null && !hostAfter.equals(hostBefore)) {
            // Service-hosted shared data has a (new) home: the stores here subscribe there again.
            for (ServiceSharedData store : dataStores.values()) {
                store.resubscribe();
            }
        }
    }

    private static String firstById(String[] nodes) {
        String first = null;
        for (String n : nodes) {
            if (first == null || n.compareTo(first) < 0) first = n;
        }
        return first;
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
        // Counted as ending before it leaves the map: a stop that finds the map empty still waits for its event.
        CompletableFuture<Void> end = new CompletableFuture<>();
        endingClients.add(end);
        try {
            LocalClient lc = clients.remove(c.id());
            if (lc == null) {
                ended(end);
                return;
            }
            clientClosed(c, lc, end);
        } catch (RuntimeException | Error e) {
            ended(end);
            throw e;
        }
    }

    private void ended(CompletableFuture<Void> end) {
        endingClients.remove(end);
        end.complete(null);
    }

    private void clientClosed(Connection c, LocalClient lc, CompletableFuture<Void> end) {
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
        long epoch;
        String clientId;
        synchronized (lc.state) {
            // From here on a login that is still being claimed gives up (see claim): the epoch read here is the last.
            lc.closed = true;
            epoch = lc.epoch();
            clientId = lc.clientId();
        }
        ClientEvent event = new ClientEvent(Type.DISCONNECTED, clientId, epoch, id, c.id(), lc.address(), reason, abnormal);
        if (epoch == 0) {
            publish(event);
            ended(end);
            return;
        }
        // The directory forgets this login only if it is still the current one: a newer login elsewhere stays.
        byte[] entry = entry(id, incarnation, c.id(), epoch);
        data.compareAndSet(DIRECTORY + clientId, entry, null).thenCompose(removed -> removed && !keepClientStore
                        ? clearStore(clientId, epoch) : CompletableFuture.completedFuture(null))
                .whenComplete((r, e) -> {
                    if (e != null) {
                        warnings.warn("login end", "node " + id + ": could not end the login of " + clientId + " epoch " + epoch
                                + " in shared data: " + e, null);
                    }
                    publish(event);
                    ended(end);
                });
    }

    /** Client closes whose disconnect is not told yet (a login's end in the shared data may take a while). */
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
            if (servicesDown) {
                failQuietly(request, RemoteException.UNAVAILABLE, "service " + route.service + " is stopping");
                return;
            }
            route.local.routes.handle(new Request(lc, request.message()));
            return;
        }
        Link link = links.get(target);
        if (link == null) {
            failQuietly(request, RemoteException.UNAVAILABLE, "service " + route.service + " is unavailable");
            return;
        }
        Message m = request.message();
        byte[] header = lc.forwardHeader();
        byte[] service = route.serviceField;
        byte[] data = m.data();
        byte[] payload = new byte[header.length + service.length + 12 + data.length];
        System.arraycopy(header, 0, payload, 0, header.length);
        System.arraycopy(service, 0, payload, header.length, service.length);
        int at = header.length + service.length;
        Wire.putInt(payload, at, m.id());
        Wire.putInt(payload, at + 4, m.seq());
        Wire.putInt(payload, at + 8, data.length);
        System.arraycopy(data, 0, payload, at + 12, data.length);
        if (m.seq() == 0) {
            // Nobody waits: one way.
            link.connection.send(NodeProtocol.FORWARD, payload);
            return;
        }
        // The client waits: a link request, failed at its deadline or when the link or the node goes.
        Duration limit = m.timeoutMillis() == 0 ? requestTimeout : request.remaining();
        link.connection.request(new Message(NodeProtocol.FORWARD, payload), limit.isZero() ? Duration.ofMillis(1) : limit)
                .whenComplete((reply, e) -> relay(request, route.service, target, reply, e));
    }

    /** A forwarded request's answer (or failure) back to the client, with the client's sequence id. */
    private void relay(Request request, String service, String node, Message reply, Throwable e) {
        if (e == null) {
            // Nobody reads the result of this write: no future for it.
            request.replyAndForget(reply.id(), reply.data());
            return;
        }
        Throwable cause = e instanceof java.util.concurrent.CompletionException && e.getCause() != null ? e.getCause() : e;
        if (cause instanceof RemoteException re) {
            failQuietly(request, re.status(), re.remoteMessage());
        } else if (cause instanceof TimeoutException) {
            failQuietly(request, RemoteException.DEADLINE_EXCEEDED, "service " + service + " on node " + node + " did not answer in time");
        } else {
            failQuietly(request, RemoteException.UNAVAILABLE, "service " + service + " on node " + node + " is unavailable ("
                    + cause.getClass().getSimpleName() + ")");
        }
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

    private static byte[] entry(String node, String incarnation, long conn, long epoch) {
        return (node + "/" + incarnation + "/" + conn + "/" + epoch).getBytes(StandardCharsets.UTF_8);
    }

    /** A directory entry: node, its incarnation, connection, epoch ({@code node/incarnation/connection/epoch}). */
    private record Location(String node, String incarnation, long conn, long epoch) {
        static Location parse(byte[] b) {
            if (b == null) return null;
            String[] p = new String(b, StandardCharsets.UTF_8).split("/");
            if (p.length != 4) return null;
            try {
                return new Location(p[0], p[1], Long.parseLong(p[2]), Long.parseLong(p[3]));
            } catch (NumberFormatException e) {
                return null;
            }
        }

        byte[] bytes() {
            return entry(node, incarnation, conn, epoch);
        }
    }

    /** The incarnation a node runs now; null when it is not a member. */
    private String incarnationOf(String node) {
        if (node.equals(id)) return incarnation;
        NodeInfo n = members.get(node);
        return n == null ? null : n.attribute(INCARNATION);
    }

    /**
     * Where a client is connected now: from its anonymous id ({@code @node/incarnation/connection}),
     * or the directory. Null: nowhere. An entry left by an earlier run of a node (it crashed, its
     * connection ids start again) is stale: treated as absent, and removed.
     */
    private CompletableFuture<Location> locate(String clientId) {
        if (clientId.startsWith("@")) {
            String[] p = clientId.substring(1).split("/");
            try {
                Location l = p.length != 3 ? null : new Location(p[0], p[1], Long.parseLong(p[2]), 0);
                return CompletableFuture.completedFuture(l != null && l.incarnation.equals(incarnationOf(l.node)) ? l : null);
            } catch (NumberFormatException e) {
                return CompletableFuture.completedFuture(null);
            }
        }
        return data.get(DIRECTORY + clientId).thenApply(b -> {
            Location l = Location.parse(b);
            if (l == null) return null;
            String current = incarnationOf(l.node);
            if (l.incarnation.equals(current)) return l;
            if (current != null) {
                // The node runs again under another incarnation: the entry is a leftover of the run before.
                data.compareAndSet(DIRECTORY + clientId, b, null);
            }
            return null;
        });
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
        byte[] mine = entry(id, incarnation, lc.id(), epoch);
        return data.get(key).thenCompose(old -> {
            Location previous = Location.parse(old);
            if (previous != null && previous.epoch > epoch) {
                return CompletableFuture.failedFuture(new IllegalStateException("a newer login of " + clientId
                        + " (epoch " + previous.epoch + ") got there first"));
            }
            return data.compareAndSet(key, old, mine).thenCompose(swapped -> {
                if (!swapped) return claim(lc, clientId, epoch);
                synchronized (lc.state) {
                    // Closed meanwhile, or another login of this connection (as another id) won: undo.
                    if (lc.closed || lc.epoch() > 0 && !lc.clientId().equals(clientId)) {
                        // It disconnected while its login was being claimed; its disconnect was told
                        // without this login. The login never happened: undo the claim, displace nobody.
                        data.compareAndSet(key, mine, old);
                        return CompletableFuture.failedFuture(new ConnectionClosedException(lc + " closed while logging in as " + clientId));
                    }
                    lc.loggedIn(clientId, epoch);
                    // Told under the lock: the disconnect, told after it, comes after it on every link.
                    publish(new ClientEvent(Type.LOGGED_IN, clientId, epoch, id, lc.id(), lc.address(), null, false));
                }
                if (previous != null && !(previous.node.equals(id) && previous.conn == lc.id())
                        && previous.incarnation.equals(incarnationOf(previous.node))) {
                    closeClient(previous.node, previous.conn, "logged in elsewhere");
                }
                return CompletableFuture.completedFuture(epoch);
            });
        });
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
        return request(service, msgId, payload, timeout, false);
    }

    /**
     * @param pinned to the node with the smallest id that runs the service, the same for every node
     *               (service-hosted shared data must have one home even when two nodes offer it)
     */
    CompletableFuture<Message> request(String service, int msgId, byte[] payload, Duration timeout, boolean pinned) {
        String[] nodes = routeMap.byService.get(service);
        if (nodes == null || nodes.length == 0) {
            return CompletableFuture.failedFuture(new RemoteException(RemoteException.UNAVAILABLE,
                    "no live node runs service " + service));
        }
        if (pinned ? firstById(nodes).equals(id) : nodes[0].equals(id)) {
            return localRequest(services.get(service), msgId, payload, timeout);
        }
        String target = pinned ? firstById(nodes) : nodes[Math.floorMod(roundRobin.getAndIncrement(), nodes.length)];
        Link link = links.get(target);
        if (link == null) {
            return CompletableFuture.failedFuture(new RemoteException(RemoteException.UNAVAILABLE,
                    "no live node runs service " + service));
        }
        byte[] frame = new Wire.Writer(16 + payload.length).str(service).i32(msgId).bytes(payload).toBytes();
        // The reply is the service's answer itself (its id and data), matched by the link's sequence id.
        return link.connection.request(new Message(NodeProtocol.SERVICE_REQUEST, frame), timeout)
                .thenApply(reply -> new Message(reply.id(), reply.data()));
    }

    private CompletableFuture<Message> localRequest(Mounted m, int msgId, byte[] payload, Duration timeout) {
        if (servicesDown) {
            return CompletableFuture.failedFuture(new RemoteException(RemoteException.UNAVAILABLE,
                    "service " + m.service.name() + " is stopping on node " + id));
        }
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

    /**
     * Held while an event is handed to the links and while a link that comes up is added and sent
     * the snapshot of this node's clients: on every link, the snapshot comes before any event
     * published after it, so the receiver's picture of this node's clients is never set back.
     */
    private final Object publishLock = new Object();

    /** Tells this node's services, then every other node. */
    private void publish(ClientEvent event) {
        byte[] frame = new Wire.Writer(64).u8(event.type().ordinal()).str(event.clientId()).i64(event.epoch())
                .i64(event.connectionId()).str(event.address())
                .str(event.reason() == null ? "" : event.reason()).u8(event.abnormal() ? 1 : 0).toBytes();
        synchronized (publishLock) {
            if (event.type() == Type.DISCONNECTED) published.remove(event.connectionId());
            else published.put(event.connectionId(), event);
            deliver(event);
            for (Link l : links.values()) {
                l.connection.send(NodeProtocol.EVENT, frame);
            }
        }
    }

    private void deliver(ClientEvent event) {
        if (!event.nodeId().equals(id)) {
            // Remember the clients of other nodes, to tell of their disconnects if their node dies.
            // A node that is no longer a member is not remembered (its late events are dropped before this).
            if (event.type() == Type.DISCONNECTED) {
                // Never makes a table for a node that has none (one that left: nodeGone removed it).
                ConcurrentHashMap<Long, ClientEvent> known = remoteClients.get(event.nodeId());
                if (known != null) known.remove(event.connectionId());
            } else {
                remoteClients.computeIfAbsent(event.nodeId(), k -> new ConcurrentHashMap<>()).put(event.connectionId(), event);
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

    /** This node's clients as a CLIENTS frame: [i32 n] n × [i64 conn][str client][i64 epoch][str address]. */
    private byte[] clientsSnapshot() {
        List<ClientEvent> list = new ArrayList<>(published.values());
        Wire.Writer w = new Wire.Writer(16 + 48 * list.size()).i32(list.size());
        for (ClientEvent e : list) {
            w.i64(e.connectionId()).str(e.clientId()).i64(e.epoch()).str(e.address());
        }
        return w.toBytes();
    }

    /**
     * This node's clients as the events published so far tell them, guarded by
     * {@link #publishLock}: a snapshot always agrees with the events sent before and after it.
     */
    private final Map<Long, ClientEvent> published = new HashMap<>();

    /**
     * What a node's snapshot says of its clients, against what its events told: a client missing
     * from it disconnected while the link was down; one not heard of (or with a newer login) is told.
     */
    private void onClients(Request r) {
        String node = nodeOf(r.connection());
        Wire.Reader in = new Wire.Reader(r.data());
        int n = in.i32("count");
        if (n < 0) throw new IllegalArgumentException("negative client count " + n);
        Map<Long, ClientEvent> now = new HashMap<>();
        for (int i = 0; i < n; i++) {
            long conn = in.i64("conn");
            String client = in.str("client");
            long epoch = in.i64("epoch");
            String address = in.str("address");
            now.put(conn, new ClientEvent(epoch > 0 ? Type.LOGGED_IN : Type.CONNECTED, client, epoch, node, conn, address, null, false));
        }
        in.end();
        synchronized (trackLock) {
            onClients(node, now);
        }
    }

    private void onClients(String node, Map<Long, ClientEvent> now) {
        if (!members.containsKey(node)) return;
        ConcurrentHashMap<Long, ClientEvent> known = remoteClients.computeIfAbsent(node, k -> new ConcurrentHashMap<>());
        for (ClientEvent was : List.copyOf(known.values())) {
            if (!now.containsKey(was.connectionId())) {
                deliver(new ClientEvent(Type.DISCONNECTED, was.clientId(), was.epoch(), node, was.connectionId(), was.address(),
                        "disconnected while the link to node " + node + " was down", true));
            }
        }
        for (ClientEvent is : now.values()) {
            ClientEvent was = known.get(is.connectionId());
            if (was == null || was.epoch() != is.epoch() || !was.clientId().equals(is.clientId())) {
                deliver(is);
            }
        }
    }

    // ---------------------------------------------------------------- membership and links

    /** Registry changes are worked through one at a time, in order, on this thread. */
    private final ExecutorService membership;

    void membershipChanged(MembershipChange change) {
        try {
            membership.execute(() -> applyMembership(change));
        } catch (RejectedExecutionException e) {
            // stopping
        }
    }

    /** Works the registry's current members in as having joined, on the membership thread. */
    void membershipSnapshot() {
        try {
            membership.execute(() -> {
                for (NodeInfo other : registry.members().values()) {
                    applyMembership(new MembershipChange(MembershipChange.Type.JOINED, other, null));
                }
            });
        } catch (RejectedExecutionException e) {
            // stopping
        }
    }

    /** Runs {@code task} on the membership thread after {@code delay}. */
    private void membershipLater(Runnable task, Duration delay) {
        java.util.concurrent.Executor later = delay.isZero() ? membership
                : CompletableFuture.delayedExecutor(delay.toMillis(), TimeUnit.MILLISECONDS, membership);
        try {
            later.execute(task);
        } catch (RejectedExecutionException e) {
            // stopping
        }
    }

    /** Completes once the changes handed over so far have been worked through. */
    CompletableFuture<Void> membershipSettled() {
        CompletableFuture<Void> done = new CompletableFuture<>();
        try {
            membership.execute(() -> done.complete(null));
        } catch (RejectedExecutionException e) {
            done.complete(null);
        }
        return done;
    }

    /** LEFTs put off because the node's link is still up: node id → the change. */
    private final ConcurrentHashMap<String, PendingLeave> pendingLeaves = new ConcurrentHashMap<>();

    /** One put-off leave; compared by identity, so that an old timer never ends a later one's wait. */
    private static final class PendingLeave {
    }

    private void applyMembership(MembershipChange change) {
        NodeInfo n = change.node();
        if (n.id().equals(id)) return;
        switch (change.type()) {
            case JOINED, UPDATED -> {
                if (pendingLeaves.remove(n.id()) != null) {
                    log.info("node {}: node {} is back in the registry; its leave is forgotten", id, n.id());
                }
                NodeInfo before = members.put(n.id(), n);
                if (before != null && !java.util.Objects.equals(before.attribute(INCARNATION), n.attribute(INCARNATION))) {
                    // The node restarted under the same id: what it had is gone.
                    Link old = links.get(n.id());
                    if (old != null && !java.util.Objects.equals(old.incarnation, n.attribute(INCARNATION))) {
                        links.remove(n.id(), old);
                        // A dialled link too: its client redials, and links up with the incarnation known now.
                        old.connection.close();
                    }
                    nodeGone(before, "node " + n.id() + " restarted");
                }
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
                Link link = links.get(n.id());
                PendingLeave pending = new PendingLeave();
                if (link != null && link.connection.isOpen() && !stopping && change.reason() != null
                        && !change.reason().equals("left") && pendingLeaves.putIfAbsent(n.id(), pending) == null) {
                    // Dropped by the registry, yet its link to this node is up: the registry may have
                    // restarted or lost it for a moment. It stays a member until its link closes or
                    // memberTtl passes without it coming back.
                    log.info("node {}: the registry dropped node {} ({}) but its link is up: waiting up to {} for it to come back",
                            id, n.id(), change.reason(), memberTtl);
                    // Once only: when the time is up the node goes even if its link is still open (a
                    // frozen process keeps its sockets), unless it came back meanwhile.
                    Runnable recheck = () -> {
                        if (pendingLeaves.remove(n.id(), pending)) leave(n, change);
                    };
                    link.connection.closeFuture().whenComplete((v, e) -> membershipLater(recheck, Duration.ZERO));
                    membershipLater(recheck, memberTtl);
                    return;
                }
                if (pendingLeaves.containsKey(n.id())) return;
                leave(n, change);
            }
        }
    }

    /** The node is gone: unlinked, its routes, clients and services with it. */
    private void leave(NodeInfo n, MembershipChange change) {
        NodeInfo before = members.remove(n.id());
        unlink(n.id());
        rebuildRoutes();
        nodeGone(before != null ? before : n, "node " + n.id() + " left (" + change.reason() + ")");
        if (before != null) {
            servicesChanged(before, null, change.reason());
            tellServices(s -> {
                if (s instanceof OnNodeLeave l) l.nodeLeft(before, change.reason());
            }, "node " + n.id() + " left");
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
    private void nodeGone(NodeInfo node, String reason) {
        ConcurrentHashMap<Long, ClientEvent> known;
        synchronized (trackLock) {
            known = remoteClients.remove(node.id());
        }
        if (known == null) return;
        String inc = node.attribute(INCARNATION);
        for (ClientEvent last : known.values()) {
            ClientEvent gone = new ClientEvent(Type.DISCONNECTED, last.clientId(), last.epoch(), node.id(), last.connectionId(),
                    last.address(), reason, true);
            if (last.epoch() > 0 && inc != null) {
                data.compareAndSet(DIRECTORY + last.clientId(), entry(node.id(), inc, last.connectionId(), last.epoch()), null);
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
                .routersOnIoThreads()
                .onConnStart(c -> c.request(new Message(NodeProtocol.HELLO, hello(n.id())), requestTimeout).whenComplete((reply, e) -> {
                    if (e != null) {
                        warnings.warn("link refused " + n.id(), "node " + id + ": node " + n.id() + " at " + n.host() + ":"
                                + n.port() + " refused the link: " + e, null);
                        c.close();
                        return;
                    }
                    NodeInfo now = members.get(n.id());
                    c.property(LINK_PEER, n.id());
                    linkUp(new Link(n.id(), now == null ? n.attribute(INCARNATION) : now.attribute(INCARNATION), c, holder[0]));
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

    /**
     * A node link's config: core's defaults — not the gateway's client-facing settings (heartbeat
     * limits, connection caps, TLS) — with codec paguma over TCP, redialling for as long as the
     * peer is a member, and room for a client's largest message plus its routing fields.
     */
    static PagumaConfig linkConfig(PagumaConfig config) {
        int max = Math.max(config.section(new ClusterConfig()).get(ClusterConfig.LINK_MAX_PACKET_SIZE),
                (int) Math.min(Integer.MAX_VALUE - 1, (long) config.maxPacketSize() + 2048));
        return PagumaConfig.defaults().toBuilder().name(config.name()).codec("paguma").mode(PagumaConfig.Mode.TCP)
                .ioThreads(config.ioThreads()).workerPoolSize(config.workerPoolSize()).warnInterval(config.warnInterval())
                .connectTimeout(config.connectTimeout()).maxPacketSize(max)
                .reconnect(true).reconnectAttempts(0).reconnectBase(Duration.ofMillis(200)).reconnectMaxDelay(Duration.ofSeconds(5))
                .offlineQueueSize(0).build();
    }

    /** The connection property naming the node at the other end of a link, set once it said HELLO. */
    static final String LINK_PEER = "io.paguma.cluster.peer";

    /** HELLO's fields: [str from][str to][str incarnation][bytes mac] (the mac empty without cluster.secret). */
    private byte[] hello(String to) {
        return new Wire.Writer(64).str(id).str(to).str(incarnation).bytes(mac(id, to, incarnation)).toBytes();
    }

    private byte[] mac(String from, String to, String inc) {
        if (secret == null) return new byte[0];
        try {
            javax.crypto.Mac mac = javax.crypto.Mac.getInstance("HmacSHA256");
            mac.init(new javax.crypto.spec.SecretKeySpec(secret, "HmacSHA256"));
            return mac.doFinal((from + "|" + to + "|" + inc).getBytes(StandardCharsets.UTF_8));
        } catch (java.security.GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is not available", e);
        }
    }

    /** Only HELLO may come from a connection that has not said it; anything else closes it. */
    private void gate(Request r, io.paguma.Interceptor.Chain chain) throws Exception {
        if (r.id() == NodeProtocol.HELLO || r.connection().property(LINK_PEER) != null) {
            chain.proceed(r);
            return;
        }
        warnings.warn("no hello", "node " + id + ": " + r.connection() + " sent message id " + Integer.toUnsignedString(r.id())
                + " on the node port without HELLO; closed", null);
        r.connection().close();
    }

    /** A connection to the node port that has not said HELLO within requestTimeout is closed. */
    void nodeConnectionOpened(Connection c) {
        if (c.channel() == null) return;
        c.channel().eventLoop().schedule(() -> {
            if (c.isOpen() && c.property(LINK_PEER) == null) {
                warnings.warn("no hello", "node " + id + ": " + c + " said no HELLO within " + requestTimeout + "; closed", null);
                c.close();
            }
        }, requestTimeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void onHello(Request r) {
        Wire.Reader in = new Wire.Reader(r.data());
        String from = in.str("from");
        String to = in.str("to");
        String inc = in.str("incarnation");
        byte[] mac = in.bytes("mac");
        in.end();
        String refusal = null;
        NodeInfo member = members.get(from);
        if (r.connection().property(LINK_PEER) != null) {
            refusal = "this connection said HELLO already";
        } else if (!to.equals(id)) {
            refusal = "this is node " + id + ", not " + to;
        } else if (!NodeInfo.validId(from) || from.compareTo(id) >= 0 || member == null) {
            refusal = "node " + id + " takes links only from members whose id sorts before its own: '" + from + "'";
        } else if (!inc.equals(member.attribute(INCARNATION))) {
            refusal = "node " + from + " runs as incarnation " + member.attribute(INCARNATION) + ", not " + inc;
        } else if (secret != null && !java.security.MessageDigest.isEqual(mac, mac(from, to, inc))) {
            refusal = "HELLO from '" + from + "' does not carry the cluster's secret";
        } else {
            Link live = links.get(from);
            if (live != null && live.connection.isOpen() && inc.equals(live.incarnation)) {
                refusal = "node " + from + " is linked already";
            }
        }
        if (refusal != null) {
            warnings.warn("hello refused", "node " + id + ": refused a link from " + r.connection() + ": " + refusal, null);
            r.fail(RemoteException.UNAVAILABLE, refusal);
            r.connection().close();
            return;
        }
        r.connection().property(LINK_PEER, from);
        r.reply(NodeProtocol.HELLO, new byte[0]);
        linkUp(new Link(from, inc, r.connection(), null));
        r.connection().closeFuture().whenComplete((v, e) -> linkDown(from, r.connection()));
    }

    private void linkUp(Link link) {
        if (stopping) {
            closeLink(link);
            return;
        }
        synchronized (publishLock) {
            Link old = links.put(link.nodeId, link);
            if (old != null && old.connection != link.connection && old.client == null) {
                old.connection.close();
            }
            link.connection.send(NodeProtocol.CLIENTS, clientsSnapshot());
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

    /**
     * Waits (at most {@code wait}) until every linked node has handled what this node sent it so
     * far: links are ordered, so the answer to BYE comes after the events before it were handled.
     */
    void barrier(Duration wait) {
        List<CompletableFuture<Message>> byes = new ArrayList<>();
        for (Link l : links.values()) {
            byes.add(l.connection.request(new Message(NodeProtocol.BYE, new byte[0]), wait));
        }
        try {
            CompletableFuture.allOf(byes.toArray(CompletableFuture[]::new)).get(wait.toMillis() + 100, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            log.warn("node {}: not every node confirmed what it was sent before this node leaves: {}", id, e.toString());
        }
    }

    // ---------------------------------------------------------------- link messages (on the link's worker)

    private void onForward(Request r) {
        byte[] d = r.data();
        Wire.Reader in = new Wire.Reader(d);
        long conn = in.i64("conn");
        in.skipStr("client");
        in.i64("epoch");
        in.skipStr("address");
        int headerEnd = in.position();
        in.skipStr("service");
        int serviceEnd = in.position();
        int msgId = in.i32("id");
        int seq = in.i32("seq");
        byte[] payload = in.bytes("data");
        in.end();
        // The client's fields and the service name repeat from message to message: compared with
        // the last ones seen on this link, and decoded only when they differ.
        ForwardOrigins origins = forwardOrigins(r.connection());
        String from = origins.from;
        ForwardOrigins.Origin o = origins.byConnection.get(conn);
        if (o == null || !Arrays.equals(d, 0, headerEnd, o.header(), 0, o.header().length)) {
            Wire.Reader h = new Wire.Reader(d);
            h.i64("conn");
            String clientId = h.str("client");
            long epoch = h.i64("epoch");
            String address = h.str("address");
            o = new ForwardOrigins.Origin(Arrays.copyOf(d, headerEnd), clientId, epoch, address);
            if (origins.byConnection.size() >= ForwardOrigins.MOST) origins.byConnection.clear();
            origins.byConnection.put(conn, o);
        }
        String clientId = o.clientId();
        long epoch = o.epoch();
        String address = o.address();
        if (origins.service == null || !Arrays.equals(d, headerEnd, serviceEnd, origins.serviceField, 0, origins.serviceField.length)) {
            origins.service = new String(d, headerEnd + 2, serviceEnd - headerEnd - 2, StandardCharsets.UTF_8);
            origins.serviceField = Arrays.copyOfRange(d, headerEnd, serviceEnd);
        }
        String service = origins.service;
        // A request (the client waits) comes as a link request: its answer is this request's reply.
        RemoteClient client = new RemoteClient(this, from, conn, clientId, epoch, address, r.seq() != 0 && seq != 0 ? r : null, seq);
        int timeout = r.message().timeoutMillis() == 0 ? 0 : (int) Math.max(1, r.remaining().toMillis());
        Request forwarded = new Request(client, new Message(msgId, seq, 0, timeout, payload));
        Mounted m = services.get(service);
        if (m == null || servicesDown) {
            failQuietly(forwarded, RemoteException.UNAVAILABLE, "service " + service + " does not run on node " + id);
            return;
        }
        // One client's messages on one lane, in order; consecutive connections on different lanes.
        if (!serviceWorkers.execute(conn + from.hashCode(), () -> {
            // Checked again on the lane: work queued before the stop began is refused once the service is unmounting.
            if (servicesDown) failQuietly(forwarded, RemoteException.UNAVAILABLE, "service " + service + " is stopping on node " + id);
            else m.routes.handle(forwarded);
        })) {
            warnings.warn("overloaded", "node " + id + ": service work from node " + from + " refused: its lane is full", null);
            failQuietly(forwarded, RemoteException.UNAVAILABLE, "node " + id + " is overloaded");
        }
    }

    /**
     * What a node link's FORWARDs said last, by client connection: used on the link's IO thread
     * only (node links run their routers there), so without locks; at most {@link #MOST} clients,
     * then it starts over (closed connections leave their entries behind until then).
     */
    static final class ForwardOrigins {
        static final int MOST = 4096;
        final String from;
        final io.netty.util.collection.LongObjectHashMap<Origin> byConnection = new io.netty.util.collection.LongObjectHashMap<>();
        byte[] serviceField;
        String service;

        ForwardOrigins(String from) {
            this.from = from;
        }

        record Origin(byte[] header, String clientId, long epoch, String address) {
        }
    }

    private static final String FORWARD_ORIGINS = "io.paguma.cluster.forwardOrigins";

    private static ForwardOrigins forwardOrigins(Connection c) {
        ForwardOrigins o = c.property(FORWARD_ORIGINS);
        if (o == null) {
            o = new ForwardOrigins(nodeOf(c));
            c.property(FORWARD_ORIGINS, o);
        }
        return o;
    }

    /** The node at the other end of a link (it said HELLO: {@link #gate} let the message through). */
    private static String nodeOf(Connection c) {
        String node = c.property(LINK_PEER);
        if (node == null) throw new IllegalStateException("message from a connection that is not a node link: " + c);
        return node;
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

    /** An event of the sending node's clients: its node is the link's, never a field a peer could set. */
    private void onEvent(Request r) {
        String node = nodeOf(r.connection());
        Wire.Reader in = new Wire.Reader(r.data());
        int type = in.u8("type");
        String clientId = in.str("client");
        long epoch = in.i64("epoch");
        long conn = in.i64("conn");
        String address = in.str("address");
        String reason = in.str("reason");
        boolean abnormal = in.u8("abnormal") == 1;
        in.end();
        if (type >= Type.values().length) throw new IllegalArgumentException("unknown client event type " + type);
        // A node that has left is gone with its clients (told by nodeGone): its late frames change nothing.
        // The check and the delivery hold trackLock, which nodeGone takes to clear the node's clients:
        // an event is either dropped, or tracked before they are cleared (and so told gone with them).
        synchronized (trackLock) {
            if (!members.containsKey(node)) return;
            deliver(new ClientEvent(Type.values()[type], clientId, epoch, node, conn, address, reason.isEmpty() ? null : reason, abnormal));
        }
    }

    private void onServiceRequest(Request r) {
        Wire.Reader in = new Wire.Reader(r.data());
        String service = in.str("service");
        int msgId = in.i32("id");
        byte[] payload = in.bytes("data");
        in.end();
        Mounted m = services.get(service);
        if (m == null || servicesDown) {
            r.fail(RemoteException.UNAVAILABLE, "service " + service + " does not run on node " + id);
            return;
        }
        Connection link = r.connection();
        int seq = r.seq();
        ServiceCaller caller = new ServiceCaller("service request to " + service + " from node " + nodeOf(link), reply -> {
            if (reply.status() != 0) {
                return link.send(new Message(NodeProtocol.SERVICE_REQUEST, seq, reply.status(), 0, reply.data()));
            }
            return link.send(new Message(reply.id(), seq, 0, 0, reply.data()));
        });
        int timeout = r.message().timeoutMillis() == 0 ? 0 : (int) Math.max(1, r.remaining().toMillis());
        Request inner = new Request(caller, new Message(msgId, 1, 0, timeout, payload));
        // One lane per calling node and service: a node's requests to a service keep their order
        // (service-hosted shared data relies on it); other services and other nodes go on in parallel.
        if (!serviceWorkers.execute(((long) nodeOf(link).hashCode() << 32) ^ service.hashCode(), () -> {
            if (servicesDown) failQuietly(inner, RemoteException.UNAVAILABLE, "service " + service + " is stopping on node " + id);
            else m.routes.handle(inner);
        })) {
            warnings.warn("overloaded", "node " + id + ": service request to " + service + " refused: its lane is full", null);
            r.fail(RemoteException.UNAVAILABLE, "node " + id + " is overloaded");
        }
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

    private void onBye(Request r) {
        r.reply(NodeProtocol.BYE, new byte[0]);
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
        membership.shutdown();
        serviceWorkers.shutdown();
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
