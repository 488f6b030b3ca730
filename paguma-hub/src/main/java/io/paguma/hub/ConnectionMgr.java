package io.paguma.hub;

import io.paguma.Client;
import io.paguma.Connection;
import io.paguma.Message;
import io.paguma.Server;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Seed 002's {@code XxConnectionMgr}: typed connections, each known by an id (X3). Types are
 * registered beforehand in a {@link ConnectionFactory}; a connection is created, then listens
 * (if its type is listenable) or connects, sends dicts, and is closed back to its created state.
 * What happens on the network reaches the application in {@link #update()}, which runs the
 * connections' {@link HubConnection#onConnect() onConnect}, {@link HubConnection#onDisconnect
 * onDisconnect}, {@link HubConnection#onReceive onReceive} and {@link HubConnection#onError
 * onError} on the calling thread.
 *
 * <pre>{@code
 * ConnectionMgr mgr = ConnectionMgr.create(new ConnectionFactory()
 *         .registerListenable("server", HubConnection::new, "session")
 *         .register("session", Session::new)
 *         .register("client", Client::new));
 * int server = mgr.createConnection("server");
 * mgr.listen(server, "0.0.0.0", 7001);
 * int client = mgr.createConnection("127.0.0.1", 7001, Map.of("type", "client", "user", "ada"));
 * mgr.connect(client);
 * while (running) mgr.update();     // callbacks run here
 * mgr.destroy();
 * }</pre>
 *
 * <p>Every operation checks the connection's state and throws {@link IllegalStateException} when
 * it does not fit: listen on a type that cannot, listen or connect when not {@link
 * HubConnection.State#IDLE IDLE}, send before connect (a send after the network ended the link
 * fails its future instead: it may race that end), anything after {@link #destroy()}. An
 * unknown id is an {@link IllegalArgumentException}. Failures of the network (a target that cannot
 * be reached, a port listened on twice) fail the operation's future and reach
 * {@link HubConnection#onError} instead. Each connection is its own link: two connections may
 * reach the same peer (a control link and a file link, say). Methods are safe from any thread.
 */
public final class ConnectionMgr implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ConnectionMgr.class);
    private static final String BOUND = "hub.connection";

    private final Links links;
    private final ConnectionFactory factory;
    private final int maxPending;
    private final int maxPacketSize;
    private final Object lock = new Object();
    private final ConcurrentHashMap<Integer, HubConnection> connections = new ConcurrentHashMap<>();
    /** Guarded by {@link #lock}. */
    private int nextId = 1;
    private boolean destroyed;

    private ConnectionMgr(Builder b) {
        this.factory = Objects.requireNonNull(b.factory, "factory");
        this.maxPending = b.effectiveMaxPending();
        this.maxPacketSize = b.effectiveConfig().maxPacketSize();
        this.links = b.links("connections");
    }

    /** A manager of the types in {@code factory}, with the default config, on a runtime of its own. */
    public static ConnectionMgr create(ConnectionFactory factory) {
        return builder(factory).build();
    }

    public static Builder builder(ConnectionFactory factory) {
        return new Builder(factory);
    }

    /** The factory the types come from; types may still be registered in it. */
    public ConnectionFactory factory() {
        return factory;
    }

    // ---- create --------------------------------------------------------------------------------

    /** Creates a connection of {@code type} ({@code CreateConnection(type)}); returns its id. */
    public int createConnection(String type) {
        return add(type, null, 0, null);
    }

    /**
     * The seed's other form, {@code CreateConnection(ip, port, dict)}: creates a connection whose
     * type is {@code dict.get("type")} and whose target is {@code ip:port}, so {@link #connect(int)}
     * needs no address. The dict is kept as the connection's {@link HubConnection#createData()}.
     */
    public int createConnection(String ip, int port, Map<String, ?> dict) {
        Objects.requireNonNull(ip, "ip");
        checkPort(port);
        Object type = dict.get("type");
        if (!(type instanceof String)) {
            throw new IllegalArgumentException("createConnection(ip, port, dict) takes the connection type from dict key \"type\""
                    + " (a string); got " + (type == null ? "none" : type.getClass().getName()));
        }
        return add((String) type, ip, port, Collections.unmodifiableMap(new LinkedHashMap<>(dict)));
    }

    private int add(String type, String ip, int port, Map<String, Object> data) {
        synchronized (lock) {
            checkOpen();
            HubConnection c = factory.create(type);
            c.mgr = this;
            c.id = nextId++;
            c.targetIp = ip;
            c.targetPort = port;
            if (data != null) c.createData = data;
            connections.put(c.id, c);
            return c.id;
        }
    }

    /** The connection with {@code id}. */
    public HubConnection connection(int id) {
        HubConnection c = connections.get(id);
        if (c == null) throw new IllegalArgumentException("no connection #" + id + " in " + links.name);
        return c;
    }

    /** The ids of every connection, in creation order. */
    public List<Integer> ids() {
        List<Integer> out = new ArrayList<>(connections.keySet());
        Collections.sort(out);
        return out;
    }

    // ---- listen --------------------------------------------------------------------------------

    /**
     * Listens with connection {@code id} on {@code ip:port} (0: any free port); each link it
     * accepts becomes a new connection of its type's accepted type, announced by that connection's
     * {@code onConnect}. A port another connection of this manager listens on already, or that
     * the OS refuses, fails the future with a {@link HubException} (one log line, and
     * {@code onError}), and the connection stays {@link HubConnection.State#IDLE IDLE}.
     *
     * @throws IllegalStateException if the type is not listenable or the connection is not idle
     */
    public CompletableFuture<InetSocketAddress> listen(int id, String ip, int port) {
        Objects.requireNonNull(ip, "ip");
        synchronized (lock) {
            checkOpen();
            HubConnection c = connection(id);
            if (!factory.isListenable(c.type)) {
                throw new IllegalStateException(c + " cannot listen: type '" + c.type + "' is not listenable"
                        + " (register it with registerListenable)");
            }
            notAccepted(c, "listen");
            expect(c, HubConnection.State.IDLE, "listen");
            HubException refused = null;
            if (port != 0) {
                for (HubConnection o : connections.values()) {
                    if (o.state == HubConnection.State.LISTENING && o.targetPort == port) {
                        refused = new HubException(c + " cannot listen on port " + port + ": " + o + " listens on it already");
                    }
                }
            }
            if (refused == null) {
                try {
                    Server s = links.listen(ip, port, new Accepting(c));
                    c.server = s;
                    c.state = HubConnection.State.LISTENING;
                    c.targetIp = ip;
                    c.targetPort = s.port();
                    return CompletableFuture.completedFuture(s.localAddress());
                } catch (RuntimeException e) {
                    refused = new HubException(c + " cannot listen on " + PeerKey.format(ip, port) + ": " + NetHub.describe(e), e);
                }
            }
            log.warn("{}: {}", links.name, refused.getMessage());   // the application's own call
            links.post(new HubEvent(HubEvent.Type.ERROR, ip, port, c.id, c.life, null, refused));
            return CompletableFuture.failedFuture(refused);
        }
    }

    // ---- connect -------------------------------------------------------------------------------

    /** Connects connection {@code id} to the target it was created with; see {@link #connect(int, String, int)}. */
    public CompletableFuture<Void> connect(int id) {
        synchronized (lock) {
            HubConnection c = connection(id);
            if (c.targetIp == null) {
                throw new IllegalStateException(c + " has no target: connect(id, ip, port), or create it with"
                        + " createConnection(ip, port, dict)");
            }
            return connect(c, c.targetIp, c.targetPort);
        }
    }

    /**
     * Connects connection {@code id} to {@code ip:port}. The future completes once the link is up
     * (and {@code onConnect} follows in {@link #update()}); it fails with a {@link HubException}
     * when the target cannot be reached or refuses (and {@code onError} follows). Dicts sent
     * meanwhile wait, in order, for the link.
     *
     * @throws IllegalStateException if the connection is not idle (connected, connecting or listening)
     */
    public CompletableFuture<Void> connect(int id, String ip, int port) {
        Objects.requireNonNull(ip, "ip");
        checkPort(port);
        synchronized (lock) {
            return connect(connection(id), ip, port);
        }
    }

    /** Holding the lock. */
    private CompletableFuture<Void> connect(HubConnection c, String ip, int port) {
        checkOpen();
        notAccepted(c, "connect");
        expect(c, HubConnection.State.IDLE, "connect");
        c.targetIp = ip;
        c.targetPort = port;
        c.state = HubConnection.State.CONNECTING;
        c.lastLoss = null;
        CompletableFuture<Void> done = new CompletableFuture<>();
        c.connecting = done;
        Dialling side = new Dialling(c);
        Client client = links.dial(ip, port, links.helloOf(0, c.type), side);
        side.client = client;
        c.client = client;
        client.connect().whenComplete((conn, e) -> {
            if (e != null) dialFailed(c, client, e instanceof java.util.concurrent.CompletionException && e.getCause() != null
                    ? e.getCause() : e);
        });
        return done;
    }

    private void dialFailed(HubConnection c, Client client, Throwable cause) {
        HubException e = new HubException(c + " cannot reach " + PeerKey.format(c.targetIp, c.targetPort) + ": "
                + NetHub.describe(cause), cause);
        failAttempt(c, client, e);
    }

    /** Ends a dial that did not make a link: the connection is idle again, what waited fails. */
    private void failAttempt(HubConnection c, Client client, HubException e) {
        List<PendingSend> failed;
        CompletableFuture<Void> done;
        synchronized (lock) {
            if (c.client != client || c.state != HubConnection.State.CONNECTING) return;
            c.client = null;
            c.state = HubConnection.State.IDLE;
            c.lastLoss = e;
            failed = new ArrayList<>(c.pending);
            c.pending.clear();
            done = c.connecting;
            c.connecting = null;
            links.post(new HubEvent(HubEvent.Type.ERROR, c.targetIp, c.targetPort, c.id, c.life, null, e));
        }
        client.close();
        links.warn("unreachable", "{}{}", e.getMessage(), failed.isEmpty() ? "" : "; " + failed.size() + " dict(s) waiting failed");
        for (PendingSend p : failed) p.future().completeExceptionally(e);
        if (done != null) done.completeExceptionally(e);
    }

    // ---- send ----------------------------------------------------------------------------------

    /**
     * Sends {@code dict} on connection {@code id}: at once when connected, after the link is up
     * when connecting (at most {@code hub.maxPending} wait). The future completes when the dict is
     * written and fails if the link breaks first.
     *
     * <p>After the network ended the connection's dial or link (the target could not be reached,
     * the link broke), a send fails its future with that reason until the next connect: it may
     * race the end, so it does not throw.
     *
     * @throws IllegalStateException    if the connection was never connected (or was closed) or listens
     * @throws IllegalArgumentException if the dict holds a value of an unsupported type or nests too deeply
     */
    public CompletableFuture<Void> send(int id, Map<String, ?> dict) {
        HubConnection c = connection(id);
        byte[] body = links.dicts.encode(dict);
        if (body.length > maxPacketSize) {
            return CompletableFuture.failedFuture(new IllegalArgumentException("a dict of " + body.length
                    + " bytes is larger than maxPacketSize " + maxPacketSize));
        }
        Message m = Links.dictMessage(body);
        Connection link = c.link;
        if (link != null) return link.send(m);
        synchronized (lock) {
            checkOpen();
            link = c.link;
            if (link == null) return queue(c, m);
        }
        // Up since the first look; sent outside the lock (with outboundPolicy wait, send may block).
        return link.send(m);
    }

    /** Holding the lock, with no link up. */
    private CompletableFuture<Void> queue(HubConnection c, Message m) {
        if (c.state == HubConnection.State.IDLE && c.lastLoss != null) {
            // The network ended the dial or link, not the caller: a send that raced it fails like
            // one that was queued a moment earlier.
            return CompletableFuture.failedFuture(new HubException(c + " cannot send: " + c.lastLoss.getMessage(), c.lastLoss));
        }
        if (c.state != HubConnection.State.CONNECTING) {
            throw new IllegalStateException(c + " cannot send: " + (c.state == HubConnection.State.LISTENING
                    ? "it listens; send on the connections it accepted" : "connect it first"));
        }
        if (c.pending.size() >= maxPending) {
            return CompletableFuture.failedFuture(new HubException(c + ": the queue of dicts waiting for the link is full ("
                    + maxPending + ", hub.maxPending)"));
        }
        CompletableFuture<Void> f = new CompletableFuture<>();
        c.pending.add(new PendingSend(m, f));
        return f;
    }

    // ---- update --------------------------------------------------------------------------------

    /**
     * Runs the callbacks of everything that happened since the last call, on this thread and in
     * order per connection, and returns those events. Events from before a {@link #close(int)} of
     * their connection are dropped. A callback that throws is logged with its connection and the
     * others still run. The lock of the queue is held only to take it.
     */
    public List<HubEvent> update() {
        return dispatch(links.drain());
    }

    /**
     * As {@link #update()}, but if nothing has happened yet, waits up to {@code maxWait} for the
     * first thing to happen (woken as soon as it does). An interrupt ends the wait, and the thread
     * stays interrupted.
     */
    public List<HubEvent> update(java.time.Duration maxWait) {
        return dispatch(links.drain(Links.nanos(maxWait)));
    }

    private List<HubEvent> dispatch(List<HubEvent> events) {
        if (events.isEmpty()) return events;
        List<HubEvent> out = new ArrayList<>(events.size());
        for (HubEvent e : events) {
            HubConnection c = connections.get(e.connectionId());
            if (c == null || c.life != e.life) continue;
            out.add(e);
            try {
                switch (e.type()) {
                    case CONNECTED -> c.onConnect();
                    case DISCONNECTED -> {
                        if (c.accepted) connections.remove(c.id, c);
                        c.onDisconnect(e.error());
                    }
                    case RECEIVED -> c.onReceive(e.dict());
                    case ERROR -> c.onError(e.error());
                }
            } catch (RuntimeException ex) {
                log.error("{}: the {} callback of {} threw", links.name, e.type(), c, ex);
            }
        }
        return out;
    }

    // ---- close, destroy ------------------------------------------------------------------------

    /**
     * Closes connection {@code id} and resets it to its created state ({@link
     * HubConnection.State#IDLE IDLE}, same id, type and target), so it may listen or connect
     * again; its events not yet delivered are dropped and {@code onDisconnect} is not called.
     * What waited for its link fails. Closing a listening connection closes the links it accepted
     * too (they hear {@code onDisconnect}). Closing an idle connection does nothing.
     */
    public void close(int id) {
        Connection link;
        Client client;
        Server server;
        List<PendingSend> failed;
        CompletableFuture<Void> done;
        HubConnection c;
        synchronized (lock) {
            checkOpen();
            c = connection(id);
            if (c.accepted) connections.remove(c.id, c);
            c.lastLoss = null;
            if (c.state == HubConnection.State.IDLE) return;
            c.life++;
            c.state = HubConnection.State.IDLE;
            link = c.link;
            c.link = null;
            client = c.client;
            c.client = null;
            server = c.server;
            c.server = null;
            failed = new ArrayList<>(c.pending);
            c.pending.clear();
            done = c.connecting;
            c.connecting = null;
        }
        HubException closed = new HubException(c + " was closed");
        if (link != null) link.close();
        if (client != null) client.close();
        if (server != null) server.stop();
        for (PendingSend p : failed) p.future().completeExceptionally(closed);
        if (done != null) done.completeExceptionally(closed);
    }

    /**
     * Closes every connection and listener and frees every thread and socket of the manager
     * ({@code Destroy}); returns when that is done. Afterwards every operation throws
     * {@link IllegalStateException}. Safe to call more than once; not from the manager's own threads.
     */
    public void destroy() {
        List<PendingSend> failed = new ArrayList<>();
        List<CompletableFuture<Void>> dials = new ArrayList<>();
        synchronized (lock) {
            if (destroyed) return;
            destroyed = true;
            for (HubConnection c : connections.values()) {
                c.state = HubConnection.State.DESTROYED;
                c.link = null;
                failed.addAll(c.pending);
                c.pending.clear();
                if (c.connecting != null) dials.add(c.connecting);
                c.connecting = null;
            }
        }
        links.destroy();
        HubException gone = new HubException(links.name + " was destroyed");
        for (PendingSend p : failed) p.future().completeExceptionally(gone);
        for (CompletableFuture<Void> d : dials) d.completeExceptionally(gone);
    }

    /** {@link #destroy()}. */
    @Override
    public void close() {
        destroy();
    }

    private void checkOpen() {
        if (destroyed) throw new IllegalStateException(links.name + " was destroyed");
    }

    private static void expect(HubConnection c, HubConnection.State state, String op) {
        if (c.state != state) {
            throw new IllegalStateException(c + " cannot " + op + ": it is " + c.state + ", not " + state
                    + (c.state == HubConnection.State.DESTROYED ? "" : " (close it first)"));
        }
    }

    private static void notAccepted(HubConnection c, String op) {
        if (c.accepted) throw new IllegalStateException(c + " cannot " + op + ": it was accepted, and ends with its link");
    }

    private static void checkPort(int port) {
        if (port < 1 || port > 65535) throw new IllegalArgumentException("port must be 1..65535, got " + port);
    }

    // ---- the links' sides ----------------------------------------------------------------------

    /** A connection's own dial. */
    private final class Dialling implements Links.Side {
        private final HubConnection c;
        /** The life of {@link #c} this dial belongs to: what arrives on it is of that life. */
        private final int life;
        Client client;

        Dialling(HubConnection c) {
            this.c = c;
            this.life = c.life;
        }

        @Override
        public void welcome(Connection conn, Map<String, Object> w) {
            CompletableFuture<Void> done;
            synchronized (lock) {
                if (c.client != client || c.life != life || c.state != HubConnection.State.CONNECTING) {
                    conn.close();
                    return;
                }
                c.state = HubConnection.State.CONNECTED;
                for (PendingSend p; (p = c.pending.poll()) != null; ) p.sendOn(conn);
                c.link = conn;
                done = c.connecting;
                c.connecting = null;
                links.post(new HubEvent(HubEvent.Type.CONNECTED, c.targetIp, c.targetPort, c.id, life, null, null));
            }
            if (done != null) done.complete(null);
        }

        @Override
        public void refused(Connection conn, String code, String reason) {
            failAttempt(c, client, new HubException(c + ": " + PeerKey.format(c.targetIp, c.targetPort) + " refused the link: "
                    + reason));
        }

        @Override
        public void dict(Connection conn, Map<String, Object> dict) {
            if (c.link == conn) {
                links.post(new HubEvent(HubEvent.Type.RECEIVED, c.targetIp, c.targetPort, c.id, life, dict, null), conn);
            }
        }

        @Override
        public void closed(Connection conn) {
            failAttempt(c, client, new HubException(c + ": the link to " + PeerKey.format(c.targetIp, c.targetPort)
                    + " closed before the peer welcomed it"));
            lost(c, conn, life);
        }
    }

    /**
     * The link of {@code c} is gone: idle again, and onDisconnect follows. An accepted connection
     * ends with its link: {@link #update()} forgets it once its onDisconnect has run.
     */
    private void lost(HubConnection c, Connection conn, int life) {
        Client client;
        synchronized (lock) {
            if (c.link != conn || conn == null) return;
            c.link = null;
            c.state = c.state == HubConnection.State.DESTROYED ? c.state : HubConnection.State.IDLE;
            c.lastLoss = new HubException(c + " lost its link to " + PeerKey.format(c.targetIp, c.targetPort));
            client = c.client;
            c.client = null;
            links.post(new HubEvent(HubEvent.Type.DISCONNECTED, c.targetIp, c.targetPort, c.id, life, null, null));
        }
        if (client != null) client.close();
        log.debug("{}: {} lost its link (connection #{} of the runtime)", links.name, c, conn.id());
    }

    /** A listening connection's accepted links. */
    private final class Accepting implements Links.Side {
        private final HubConnection listener;
        /** The listener's life this server belongs to: a close and a listen again make another server. */
        private final int life;

        Accepting(HubConnection listener) {
            this.listener = listener;
            this.life = listener.life;
        }

        @Override
        public void hello(Connection conn, Map<String, Object> h) {
            HubConnection a;
            synchronized (lock) {
                if (destroyed || listener.life != life || listener.state != HubConnection.State.LISTENING) {
                    links.refuse(conn, "closed", "the listener is closed");
                    return;
                }
                String acceptedType = factory.acceptedType(listener.type);
                try {
                    a = factory.create(acceptedType);
                } catch (RuntimeException e) {
                    links.warn("accept-type", conn, "{} refused connection #{} from {}: {}", listener, conn.id(), conn.remoteAddress(),
                            e.getMessage());
                    links.refuse(conn, "type", "cannot accept: " + e.getMessage());
                    return;
                }
                InetSocketAddress remote = conn.remoteAddress();
                Object port = h.get("port");
                a.mgr = ConnectionMgr.this;
                a.id = nextId++;
                a.accepted = true;
                a.targetIp = PeerKey.canonical(remote.getAddress());
                a.targetPort = port instanceof Integer && (Integer) port > 0 && (Integer) port <= 65535 ? (Integer) port
                        : remote.getPort();
                a.state = HubConnection.State.CONNECTED;
                a.link = conn;
                connections.put(a.id, a);
                conn.property(BOUND, a);
                links.welcome(conn, listener.targetPort);
                links.post(new HubEvent(HubEvent.Type.CONNECTED, a.targetIp, a.targetPort, a.id, a.life, null, null));
            }
        }

        @Override
        public void dict(Connection conn, Map<String, Object> dict) {
            HubConnection a = conn.property(BOUND);
            // An accepted connection has one life: close(id) ends it for good.
            if (a != null && a.link == conn) {
                links.post(new HubEvent(HubEvent.Type.RECEIVED, a.targetIp, a.targetPort, a.id, 0, dict, null), conn);
            }
        }

        @Override
        public void closed(Connection conn) {
            HubConnection a = conn.property(BOUND);
            if (a != null) lost(a, conn, 0);
        }
    }

    /** Builds a {@link ConnectionMgr}: the settings of {@link HubBuilder}. */
    public static final class Builder extends HubBuilder<Builder> {
        private final ConnectionFactory factory;

        private Builder(ConnectionFactory factory) {
            this.factory = Objects.requireNonNull(factory, "factory");
        }

        public ConnectionMgr build() {
            return new ConnectionMgr(this);
        }
    }
}
