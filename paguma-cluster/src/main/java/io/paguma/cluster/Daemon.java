package io.paguma.cluster;

import io.paguma.Codecs;
import io.paguma.PagumaConfig;
import io.paguma.PagumaRuntime;
import io.paguma.Routes;
import io.paguma.Server;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * One node of a Paguma cluster (SPEC H1; seed 003's daemon): the core that the gateway, the
 * message module, the services, the registry client and the shared data are mounted on. The TCP
 * server is one of its low-level parts, not its centre.
 *
 * <pre>{@code
 * Daemon node = Daemon.builder()
 *         .config(PagumaConfig.load(Path.of("node.yaml")))   // port: the gateway's; cluster: who and where
 *         .service(new ChatService())
 *         .build()
 *         .start();
 * ...
 * node.stop();
 * }</pre>
 *
 * <p><b>Start</b>, in this order: the shared data and the registry view; the message module (each
 * service's routes are collected; two services claiming one id fail the start); the node-to-node
 * port (codec {@code paguma}); the node joins the registry with its services and their ids, and
 * links to the other nodes (one link per pair: the node with the smaller id dials); user
 * {@link Component}s start; services hear {@link OnServiceMount} for themselves; and last the
 * gateway opens for clients (TCP, WebSocket or both, from the root config). A failure at any step
 * stops what had started and throws.
 *
 * <p><b>Stop</b>, in reverse: the gateway stops accepting and closes its clients (services on
 * every node hear each {@link OnClientDisconnect}, reason "node stopping"); the events are
 * delivered; components stop; services are unmounted; the node leaves the registry (the others
 * hear {@link OnServiceUnmount} and {@link OnNodeLeave} and fail what was pending towards it);
 * links and the node port close; then what the daemon made itself (registry view, shared data,
 * runtime) closes.
 */
public final class Daemon implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Daemon.class);
    private static final long STEP_WAIT_SECONDS = 30;

    private final PagumaConfig config;
    private final PagumaRuntime runtime;
    private final boolean ownRuntime;
    private final Registry registry;
    private final boolean ownRegistry;
    private final SharedData sharedData;
    private final boolean ownSharedData;
    private final List<Service> serviceList;
    private final List<Component> components;
    private final boolean gatewayEnabled;
    private final String nodeName;
    private final String nodeHost;
    private final int nodePort;
    private final ClusterNode node;
    private final Object lock = new Object();
    private final List<Component> started = new ArrayList<>();
    private Server nodeServer;
    private Server gateway;
    private Registry.Membership membership;
    private Registry.Subscription watch;
    /** Guarded by {@link #lock}. */
    private State state = State.NEW;

    private enum State { NEW, STARTING, RUNNING, STOPPING, STOPPED }

    private Daemon(Builder b) {
        this.config = b.config != null ? b.config : PagumaConfig.defaults();
        var section = config.section(new ClusterConfig());
        String id = b.nodeId != null ? b.nodeId : section.get(ClusterConfig.NODE_ID);
        if (id.isEmpty()) id = defaultId();
        if (!NodeInfo.validId(id)) throw new IllegalArgumentException("node id must be 1-64 letters, digits, '.', '_' or '-': '" + id + "'");
        this.nodeName = b.nodeName != null ? b.nodeName : section.get(ClusterConfig.NODE_NAME);
        this.nodeHost = section.get(ClusterConfig.NODE_HOST);
        this.nodePort = b.nodePort != null ? b.nodePort : section.get(ClusterConfig.NODE_PORT);
        this.ownRuntime = b.runtime == null;
        this.runtime = b.runtime != null ? b.runtime : PagumaRuntime.create(config.toBuilder().name("paguma-" + id).build());
        this.ownRegistry = b.registry == null;
        this.ownSharedData = b.sharedData == null;
        Registry reg = b.registry;
        SharedData data = b.sharedData;
        try {
            if (reg == null) reg = Backends.registry(section.get(ClusterConfig.REGISTRY), config, runtime);
            if (data == null && section.get(ClusterConfig.SHARED_DATA) == ClusterConfig.SharedDataKind.IN_PROCESS
                    && section.get(ClusterConfig.REGISTRY) != ClusterConfig.RegistryKind.IN_PROCESS) {
                // Nodes of other processes would each have data of their own: logins and rooms would not be shared.
                throw new IllegalArgumentException("cluster.sharedData: in-process cannot be shared with the nodes of other"
                        + " processes (cluster.registry: " + section.get(ClusterConfig.REGISTRY).name().toLowerCase(java.util.Locale.ROOT)
                        + "): set cluster.sharedData to service (one node runs service shared-data) or redis");
            }
            if (data == null && section.get(ClusterConfig.SHARED_DATA) != ClusterConfig.SharedDataKind.SERVICE) {
                data = Backends.sharedData(section.get(ClusterConfig.SHARED_DATA), config, runtime);
            }
        } catch (RuntimeException e) {
            if (reg != null && ownRegistry) reg.close();
            if (ownRuntime) runtime.close();
            throw e;
        }
        this.registry = reg;
        this.serviceList = List.copyOf(b.services);
        this.components = List.copyOf(b.components);
        this.gatewayEnabled = b.gateway;
        // Service-hosted shared data is reached through this node, so it is made with it.
        this.node = new ClusterNode(id, runtime, config, registry, data, b.balances, ServiceSharedData::new);
        this.sharedData = node.data;
    }

    private static String defaultId() {
        String host;
        try {
            host = java.net.InetAddress.getLocalHost().getHostName().replaceAll("[^A-Za-z0-9._-]", "-");
        } catch (java.io.IOException e) {
            host = "node";
        }
        if (host.length() > 50) host = host.substring(0, 50);
        return host + "-" + UUID.randomUUID().toString().substring(0, 8);
    }

    public static Builder builder() {
        return new Builder();
    }

    /**
     * Starts the node (see the class comment for the order) and returns once the gateway accepts
     * clients. Blocks: do not call it on an IO thread.
     *
     * @throws IllegalStateException if started before, or a step failed (what had started is stopped)
     */
    public Daemon start() {
        synchronized (lock) {
            if (state != State.NEW) throw new IllegalStateException("daemon " + node.id() + " was already started");
            state = State.STARTING;
        }
        try {
            doStart();
        } catch (RuntimeException | Error e) {
            log.error("node {}: start failed, stopping what had started: {}", node.id(), e.toString());
            synchronized (lock) {
                state = State.STOPPING;
            }
            doStop();
            synchronized (lock) {
                state = State.STOPPED;
                lock.notifyAll();
            }
            throw e instanceof IllegalStateException ise ? ise : new IllegalStateException("node " + node.id() + " could not start: " + e, e);
        }
        synchronized (lock) {
            state = State.RUNNING;
            lock.notifyAll();
        }
        return this;
    }

    private void doStart() {
        // The message module: every service's routes, ids checked against each other.
        Map<Integer, String> owners = new HashMap<>();
        for (Service s : serviceList) {
            if (!NodeInfo.validId(s.name())) {
                throw new IllegalArgumentException("service name must be 1-64 letters, digits, '.', '_' or '-': '" + s.name() + "'");
            }
            if (node.services.containsKey(s.name())) {
                throw new IllegalArgumentException("two services are named " + s.name());
            }
            Routes.Builder rb = Routes.builder();
            s.mount(node, rb);
            Routes routes = rb.build(runtime, config);
            // Ids that clients send are the cluster's; a service that serves no clients has its own.
            for (int id : s.servesClients() ? routes.ids() : Set.<Integer>of()) {
                String other = owners.putIfAbsent(id, s.name());
                if (other != null) {
                    throw new IllegalArgumentException("message id " + Integer.toUnsignedString(id) + " is claimed by services "
                            + other + " and " + s.name());
                }
            }
            node.services.put(s.name(), new ClusterNode.Mounted(s, routes, node.balance(s.name())));
        }
        // The node-to-node port.
        nodeServer = Server.builder().runtime(runtime)
                .config(ClusterNode.linkConfig(config).toBuilder().host(nodeHost).port(nodePort).build())
                .codec(Codecs.PAGUMA).name("paguma-" + node.id() + "-node")
                .onUnknownMessage(node.linkRoutes()::handle)
                .routersOnIoThreads()   // link messages are decoded and handed on: service work runs on the lanes
                .onConnStart(node::nodeConnectionOpened)
                .build().start();
        node.nodeServer = nodeServer;
        NodeInfo self = node.announce(new NodeInfo(node.id(), nodeName, nodeHost, nodeServer.port(), Set.of(), 0, Map.of()));
        node.self = self;
        node.rebuildRoutes();
        // The registry: hear the others, then join.
        watch = registry.watch(node::membershipChanged);
        // A registry that cannot be reached fails the start within twice cluster.requestTimeout.
        await(registry.ready(), "reaching the registry" + (registry instanceof RegistryClient rc ? " node at " + rc.address() : ""),
                node.requestTimeout().multipliedBy(2));
        // The members already there, read on the thread that works through the changes: a change
        // heard before the read is seen by it, one heard after comes after it.
        node.membershipSnapshot();
        await(node.membershipSettled(), "reading the members");
        membership = await(registry.join(self), "joining the registry");
        for (Component c : components) {
            try {
                c.start(this);
            } catch (Exception e) {
                throw new IllegalStateException("component " + c.name() + " of node " + node.id() + " failed to start: " + e, e);
            }
            started.add(c);
        }
        for (Service s : serviceList) {
            node.tellServices(x -> {
                if (x instanceof OnServiceMount l) l.serviceMounted(s.name(), self);
            }, "service " + s.name() + " mounted");
        }
        // Last, the gateway opens.
        if (gatewayEnabled) {
            gateway = Server.builder().runtime(runtime).config(config).name("paguma-" + node.id() + "-gateway")
                    .onUnknownMessage(node::onClientMessage)
                    .onConnStart(node::clientOpened)
                    .onConnStop(node::clientClosed)
                    .build().start();
            NodeInfo withGateway = node.self;   // with what components announced
            if (config.mode() != PagumaConfig.Mode.WEBSOCKET) withGateway = withGateway.withAttribute("gateway", String.valueOf(gateway.port()));
            if (config.mode() != PagumaConfig.Mode.TCP) withGateway = withGateway.withAttribute("gatewayWs", String.valueOf(gateway.wsPort()));
            node.self = withGateway;
            await(membership.update(withGateway), "announcing the gateway");
        }
        log.info("node {} started: node port {}, gateway {}, services {}", node.id(), nodeServer.port(),
                gateway == null ? "none" : gateway.localAddress(), node.services.keySet());
    }

    private <T> T await(CompletableFuture<T> f, String what) {
        return await(f, what, Duration.ofSeconds(STEP_WAIT_SECONDS));
    }

    private <T> T await(CompletableFuture<T> f, String what, Duration limit) {
        try {
            return f.get(limit.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("node " + node.id() + ": interrupted " + what, e);
        } catch (java.util.concurrent.ExecutionException e) {
            throw new IllegalStateException("node " + node.id() + ": failed " + what + ": " + e.getCause(), e.getCause());
        } catch (java.util.concurrent.TimeoutException e) {
            throw new IllegalStateException("node " + node.id() + ": " + what + " took more than " + limit.toMillis() + " ms", e);
        }
    }

    /**
     * Stops the node (see the class comment for the order). Blocks until done: do not call it on
     * an IO thread, nor from a component's {@code start} (it waits for the start). Safe to call
     * twice; a second caller waits for the first; a call during {@link #start()} waits for it.
     */
    public void stop() {
        synchronized (lock) {
            if (state == State.NEW) {
                state = State.STOPPED;
                closeOwned();
                return;
            }
            // A stop while the node starts waits for the start; a second stop waits for the first.
            while (state == State.STOPPING || state == State.STARTING) {
                try {
                    lock.wait();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
            if (state == State.STOPPED) return;
            state = State.STOPPING;
        }
        try {
            doStop();
        } finally {
            synchronized (lock) {
                state = State.STOPPED;
                lock.notifyAll();
            }
        }
    }

    @Override
    public void close() {
        stop();
    }

    private void doStop() {
        node.stopping = true;
        Duration wait = Duration.ofSeconds(10);
        if (gateway != null) {
            // Stops accepting, then closes every client: each disconnect is told to every node.
            step("stopping the gateway", () -> gateway.stop());
            node.awaitClientEnds(wait);
        }
        // Every other node has handled those disconnects before it hears this node leave.
        node.barrier(Duration.ofSeconds(5));
        if (membership != null) {
            step("leaving the registry", () -> membership.leave().get(5, TimeUnit.SECONDS));
        }
        node.drainEvents(wait);
        for (int i = started.size() - 1; i >= 0; i--) {
            Component c = started.get(i);
            step("stopping component " + c.name(), () -> {
                try {
                    c.stop();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
        }
        started.clear();
        // From here on, messages for the services are refused (UNAVAILABLE), never served half-unmounted.
        node.servicesDown = true;
        List<ClusterNode.Mounted> mounted = new ArrayList<>(node.services.values());
        for (int i = mounted.size() - 1; i >= 0; i--) {
            Service s = mounted.get(i).service();
            step("unmounting service " + s.name(), s::unmount);
        }
        if (watch != null) watch.close();
        if (ownSharedData && sharedData instanceof ServiceSharedData) {
            // Reached over the links: closed while they are still up.
            step("closing the shared data", sharedData::close);
        }
        node.closeLinks();
        if (nodeServer != null) step("stopping the node port", () -> nodeServer.stop());
        node.stopEvents();
        closeOwned();
        log.info("node {} stopped", node.id());
    }

    private void closeOwned() {
        if (ownRegistry) step("closing the registry view", registry::close);
        if (ownSharedData) step("closing the shared data", sharedData::close);
        if (ownRuntime) step("closing the runtime", runtime::close);
    }

    private interface Step {
        void run() throws Exception;
    }

    private void step(String what, Step step) {
        try {
            step.run();
        } catch (Exception | Error e) {
            log.warn("node {}: {} failed: {}", node.id(), what, e.toString());
        }
    }

    /** Whether the node has started and not begun to stop. */
    public boolean isRunning() {
        synchronized (lock) {
            return state == State.RUNNING;
        }
    }

    /** The node's id. */
    public String id() {
        return node.id();
    }

    /** The node's info as it announces it (services, node port, gateway ports). */
    public NodeInfo info() {
        return node.self;
    }

    /** A handle to the cluster for code outside services: send to clients, request services, shared data. */
    public ServiceContext context() {
        return node;
    }

    /** The gateway's TCP address; null before start, with no gateway, or in WebSocket-only mode. */
    public InetSocketAddress gatewayAddress() {
        return gateway == null ? null : gateway.localAddress();
    }

    /** The gateway server (the low-level part facing clients); null before start or with no gateway. */
    public Server gateway() {
        return gateway;
    }

    /** The node-to-node port. */
    public int nodePort() {
        return nodeServer == null ? 0 : nodeServer.port();
    }

    /** The runtime the node runs on. */
    /** The node's configuration (its sections hold the cluster's and the components' keys). */
    public PagumaConfig config() {
        return config;
    }

    /**
     * Adds {@code attributes} to this node's info in the registry (a component announcing its
     * ports, say). Completes once the registry has the new info.
     */
    public CompletableFuture<Void> announce(Map<String, String> attributes) {
        Registry.Membership m;
        NodeInfo info;
        synchronized (lock) {
            m = membership;
            if (m == null) return CompletableFuture.failedFuture(new IllegalStateException("node " + node.id() + " has not joined the registry"));
            info = node.self;
            for (var e : attributes.entrySet()) info = info.withAttribute(e.getKey(), e.getValue());
            node.self = info;
        }
        return m.update(info);
    }

    public PagumaRuntime runtime() {
        return runtime;
    }

    /** The registry view the node uses. */
    public Registry registry() {
        return registry;
    }

    /** The nodes this node has a live link to (not itself). */
    public Set<String> linkedNodes() {
        return node.linkedNodes();
    }

    /** The number of clients connected to this node's gateway. */
    public int clientCount() {
        return node.clientCount();
    }

    @Override
    public String toString() {
        return "daemon " + node.id();
    }

    /** Builds a {@link Daemon}. */
    public static final class Builder {
        private PagumaConfig config;
        private PagumaRuntime runtime;
        private Registry registry;
        private SharedData sharedData;
        private String nodeId;
        private String nodeName;
        private Integer nodePort;
        private boolean gateway = true;
        private final List<Service> services = new ArrayList<>();
        private final List<Component> components = new ArrayList<>();
        private final Map<String, Balance> balances = new LinkedHashMap<>();

        private Builder() {
        }

        /** The root keys configure the gateway; section {@code cluster:} the node. Default: the defaults. */
        public Builder config(PagumaConfig config) {
            this.config = Objects.requireNonNull(config, "config");
            return this;
        }

        /** Threads shared with other endpoints; the daemon makes its own if none (and closes it when it stops). */
        public Builder runtime(PagumaRuntime runtime) {
            this.runtime = Objects.requireNonNull(runtime, "runtime");
            return this;
        }

        /** A registry view (not closed by the daemon); default: made from {@code cluster.registry}. */
        public Builder registry(Registry registry) {
            this.registry = Objects.requireNonNull(registry, "registry");
            return this;
        }

        /** Shared data (not closed by the daemon); default: made from {@code cluster.sharedData}. */
        public Builder sharedData(SharedData sharedData) {
            this.sharedData = Objects.requireNonNull(sharedData, "sharedData");
            return this;
        }

        /** The node's id, over {@code cluster.nodeId}. */
        public Builder nodeId(String nodeId) {
            this.nodeId = Objects.requireNonNull(nodeId, "nodeId");
            return this;
        }

        /** The node's name, over {@code cluster.nodeName}. */
        public Builder nodeName(String nodeName) {
            this.nodeName = Objects.requireNonNull(nodeName, "nodeName");
            return this;
        }

        /** The node-to-node port, over {@code cluster.nodePort} (0: any free port). */
        public Builder nodePort(int nodePort) {
            this.nodePort = nodePort;
            return this;
        }

        /** Whether the node has a gateway for clients (default true); a node of services only has none. */
        public Builder gateway(boolean gateway) {
            this.gateway = gateway;
            return this;
        }

        /** Mounts a service; its messages go to a node that runs it by {@link Balance#STICKY}. */
        public Builder service(Service service) {
            services.add(Objects.requireNonNull(service, "service"));
            return this;
        }

        /** Mounts a service; this node sends the messages of service {@code service.name()} by {@code balance}. */
        public Builder service(Service service, Balance balance) {
            service(service);
            balances.put(service.name(), Objects.requireNonNull(balance, "balance"));
            return this;
        }

        /** How this node picks a node for the messages of a service it does not run itself (default sticky). */
        public Builder balance(String service, Balance balance) {
            balances.put(Objects.requireNonNull(service, "service"), Objects.requireNonNull(balance, "balance"));
            return this;
        }

        /** Mounts a component, started before the gateway opens and stopped after it closed. */
        public Builder component(Component component) {
            components.add(Objects.requireNonNull(component, "component"));
            return this;
        }

        public Daemon build() {
            return new Daemon(this);
        }
    }

    /** Finds the registry and shared data a config asks for. */
    static final class Backends {
        private Backends() {
        }

        static Registry registry(ClusterConfig.RegistryKind kind, PagumaConfig config, PagumaRuntime runtime) {
            if (kind == ClusterConfig.RegistryKind.IN_PROCESS) return new InProcessRegistry();
            if (kind == ClusterConfig.RegistryKind.NODE) return RegistryClient.builder().config(config).runtime(runtime).build();
            return backend(kind.name()).registry(config, runtime);
        }

        static SharedData sharedData(ClusterConfig.SharedDataKind kind, PagumaConfig config, PagumaRuntime runtime) {
            if (kind == ClusterConfig.SharedDataKind.IN_PROCESS) return InProcessSharedData.create("cluster");
            return backend(kind.name()).sharedData(config, runtime);
        }

        private static ClusterBackend backend(String kind) {
            String name = kind.toLowerCase(java.util.Locale.ROOT).replace('_', '-');
            for (ClusterBackend b : ServiceLoader.load(ClusterBackend.class)) {
                if (b.name().equals(name)) return b;
            }
            throw new IllegalStateException("cluster backend '" + name + "' is not on the classpath"
                    + (name.equals("redis") ? " (add paguma-redis)" : ""));
        }
    }
}
