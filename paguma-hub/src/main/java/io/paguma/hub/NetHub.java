package io.paguma.hub;

import io.paguma.Client;
import io.paguma.Connection;
import io.paguma.Message;
import io.paguma.PagumaConfig;
import io.paguma.PagumaRuntime;
import io.paguma.Server;
import io.netty.util.concurrent.ScheduledFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Seed 002's {@code xx_net}: a network for programs that own a main loop (X1, X2, X5). The
 * application thread never touches a socket: it asks to {@link #listen} and {@link #send}, and
 * once per tick takes what arrived with {@link #update()}; the hub's network thread does the rest.
 *
 * <pre>{@code
 * NetHub hub = NetHub.create();
 * hub.listen("0.0.0.0", 7001);
 * while (running) {
 *     for (HubEvent e : hub.update()) {
 *         if (e.type() == HubEvent.Type.RECEIVED) hub.send(e.ip(), e.port(), Map.of("echo", e.dict()));
 *     }
 *     hub.send("10.0.0.2", 7001, Map.of("tick", tick++));
 *     sleepUntilNextTick();
 * }
 * hub.destroy();
 * }</pre>
 *
 * <p>Peers are known by {@code (ip, listen port)}: the address one sends to, and the one
 * {@link HubEvent}s name. {@link #send} to a peer with no link dials it; the dicts wait (at most
 * {@code hub.maxPending}) and go out in order once the link is up. <b>One link per peer</b>: a
 * dialler names its listen port in a hello and is known by that port and the IP it connects from,
 * so an accepted link that duplicates one this hub has is refused and logged (unless it comes
 * with another nonce: that peer restarted, and its new link replaces the old). When two hubs dial each
 * other at the same moment, the link dialled by the hub with the lower nonce (a random number each
 * hub draws at start and sends in its hello) survives at both ends; the other one's dicts wait for
 * it and go out on it.
 *
 * <p>A peer that cannot be reached fails its own sends only: those waiting fail with a
 * {@link HubException}, an {@link HubEvent.Type#ERROR} event says so, and for
 * {@code hub.redialDelay} further sends to it fail at once; the next send after that dials again.
 * A lost link is a {@link HubEvent.Type#DISCONNECTED} event; the next send dials again.
 *
 * <p>All methods are safe from any thread. The futures of {@link #send} and {@link #listen}
 * complete on the network thread: do not block in their callbacks.
 */
public final class NetHub implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(NetHub.class);

    private final Links links;
    private final int maxPending;
    private final long redialNanos;
    private final int maxPacketSize;
    private final ConcurrentHashMap<PeerKey, Peer> peers = new ConcurrentHashMap<>();
    /** Host text as given to send -> its canonical IP (looked up once per distinct text). */
    private final ConcurrentHashMap<String, String> canonicalIps = new ConcurrentHashMap<>();
    private final Object listenLock = new Object();
    /** Guarded by {@link #listenLock}: the servers by bound port. */
    private final Map<Integer, Server> listeners = new java.util.LinkedHashMap<>();
    /** The first listen's port: what the hub's hellos say it listens on (0: it does not). */
    private volatile int listenPort;
    private final Links.Side accepting = new Accepting();
    /** How long a link must have been quiet before a hello with another nonce may replace it. */
    private final long quietNanos;

    private NetHub(Builder b) {
        PagumaConfig config = b.effectiveConfig();
        this.maxPending = b.effectiveMaxPending();
        this.redialNanos = (b.redialDelay != null ? b.redialDelay : b.section().get(HubConfig.REDIAL_DELAY)).toNanos();
        this.maxPacketSize = config.maxPacketSize();
        this.quietNanos = config.connectTimeout().toNanos();
        this.links = b.links("net-hub");
    }

    /** A hub with the default config, on a runtime of its own (one network thread). */
    public static NetHub create() {
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The hub's name, used in logs and thread names. */
    public String name() {
        return links.name;
    }

    /** The runtime the hub's links run on. */
    public PagumaRuntime runtime() {
        return links.runtime;
    }

    // ---- listen --------------------------------------------------------------------------------

    /**
     * Listens on {@code ip:port} (port 0: any free port). A port this hub listens on already is
     * refused, not fatal: the future fails with a {@link HubException}, one line is logged, an
     * {@link HubEvent.Type#ERROR} event follows, and the first listener carries on. A port the OS
     * refuses (another process has it) fails the same way. The future completes with the bound
     * address once the hub listens.
     */
    public CompletableFuture<InetSocketAddress> listen(String ip, int port) {
        Objects.requireNonNull(ip, "ip");
        synchronized (listenLock) {
            links.checkOpen("hub");
            if (port != 0 && listeners.containsKey(port)) {
                return listenFailed(ip, port, new HubException("cannot listen on " + PeerKey.format(ip, port) + ": "
                        + links.name + " listens on port " + port + " already; the first listener carries on"));
            }
            Server s;
            try {
                s = links.listen(ip, port, accepting);
            } catch (RuntimeException e) {
                return listenFailed(ip, port, new HubException("cannot listen on " + PeerKey.format(ip, port) + ": " + describe(e), e));
            }
            listeners.put(s.port(), s);
            if (listenPort == 0) listenPort = s.port();
            return CompletableFuture.completedFuture(s.localAddress());
        }
    }

    private CompletableFuture<InetSocketAddress> listenFailed(String ip, int port, HubException e) {
        log.warn("{}: {}", links.name, e.getMessage());   // the application's own call: not rate-limited
        links.post(new HubEvent(HubEvent.Type.ERROR, ip, port, 0, null, e));
        return CompletableFuture.failedFuture(e);
    }

    /** The addresses the hub listens on. */
    public List<InetSocketAddress> listenAddresses() {
        synchronized (listenLock) {
            List<InetSocketAddress> out = new ArrayList<>();
            for (Server s : listeners.values()) out.add(s.localAddress());
            return out;
        }
    }

    // ---- send ----------------------------------------------------------------------------------

    /**
     * Sends {@code dict} to the peer at {@code ip:port}, dialling it if there is no link yet; dicts
     * to one peer go out in the order sent. The future completes when the dict is written, and
     * fails with a {@link HubException} when the peer cannot be reached, refuses the link or its
     * queue of {@code hub.maxPending} waiting dicts is full, or with
     * {@link io.paguma.ConnectionClosedException} when the link breaks first.
     *
     * @throws IllegalArgumentException if the dict holds a value of an unsupported type or nests too deeply
     * @throws IllegalStateException    after {@link #destroy()}
     */
    public CompletableFuture<Void> send(String ip, int port, Map<String, ?> dict) {
        links.checkOpen("hub");
        byte[] body = links.dicts.encode(dict);
        if (body.length > maxPacketSize) {
            return CompletableFuture.failedFuture(new IllegalArgumentException("a dict of " + body.length
                    + " bytes is larger than maxPacketSize " + maxPacketSize));
        }
        Message m = Links.dictMessage(body);
        PeerKey key = key(ip, port);
        for (;;) {
            Peer p = peers.get(key);
            if (p != null) {
                Connection link = p.link;
                if (link != null) return link.send(m);
            } else {
                Peer fresh = new Peer(key);
                p = peers.putIfAbsent(key, fresh);
                if (p == null) p = fresh;
            }
            Connection link;
            synchronized (p) {
                if (p.gone) continue;
                link = p.link;
                if (link == null) return queue(p, m);
            }
            // Up since the fast path looked; what waited went out before it was published.
            // Sent outside the lock: with outboundPolicy wait, send may block.
            return link.send(m);
        }
    }

    /** Holding p, with no link up: the dict waits for the link (dialling it if no dial is under way), or fails. */
    private CompletableFuture<Void> queue(Peer p, Message m) {
        if (p.failure != null && System.nanoTime() - p.retryAt < 0) {
            return CompletableFuture.failedFuture(new HubException("cannot reach " + p.key + ": " + describe(p.failure)
                    + " (the next dial after redialDelay)", p.failure));
        }
        if (p.pending.size() >= maxPending) {
            return CompletableFuture.failedFuture(new HubException("the queue of dicts waiting for " + p.key
                    + " is full (" + maxPending + ", hub.maxPending)"));
        }
        CompletableFuture<Void> f = new CompletableFuture<>();
        p.pending.add(new PendingSend(m, f));
        if (p.dialer == null && p.awaiting == null) dial(p);
        return f;
    }

    private PeerKey key(String ip, int port) {
        Objects.requireNonNull(ip, "ip");
        if (port < 1 || port > 65535) throw new IllegalArgumentException("port must be 1..65535, got " + port);
        String canonical = canonicalIps.get(ip);
        if (canonical == null) {
            canonical = PeerKey.canonical(ip);
            if (canonicalIps.size() >= 4096) canonicalIps.clear();   // names looked up again now and then
            canonicalIps.putIfAbsent(ip, canonical);
        }
        return new PeerKey(canonical, port);
    }

    /** Whether a link to {@code ip:port} is up now. */
    public boolean isLinked(String ip, int port) {
        Peer p = peers.get(key(ip, port));
        return p != null && p.link != null;
    }

    /** The peers with a link up now, as {@code ip:port}. */
    public List<String> linkedPeers() {
        List<String> out = new ArrayList<>();
        for (Peer p : peers.values()) if (p.link != null) out.add(p.key.toString());
        return out;
    }

    // ---- update --------------------------------------------------------------------------------

    /**
     * Everything that happened since the last call (seed 002's {@code Recv}/{@code HandleRecv}):
     * dicts received, each tagged with its peer, and links made, lost or failed; in the order
     * they happened per peer. The lock is held only to take the list; the caller owns it.
     */
    public List<HubEvent> update() {
        sweep();
        return links.drain();
    }

    /**
     * As {@link #update()}, but if nothing has happened yet, waits up to {@code maxWait} for the
     * first thing to happen (woken as soon as it does, not polled): for a loop driven by the
     * network rather than by a clock. An interrupt ends the wait, and the thread stays interrupted;
     * so does {@link #destroy()}. One thread at a time should wait (a second one waits its full
     * {@code maxWait}).
     */
    public List<HubEvent> update(Duration maxWait) {
        sweep();
        return links.drain(Links.nanos(maxWait));
    }

    // ---- destroy -------------------------------------------------------------------------------

    /**
     * Closes every link and listener, fails every dict still waiting and, on a runtime of its own,
     * ends the hub's threads; returns when all of that is done. Afterwards every operation throws
     * {@link IllegalStateException}. Safe to call more than once; not from the hub's own threads.
     */
    public void destroy() {
        synchronized (listenLock) {
            if (links.isDestroyed()) return;
            links.destroy();
            listeners.clear();
        }
        HubException gone = new HubException("hub " + links.name + " was destroyed");
        for (Peer p : peers.values()) {
            List<PendingSend> failed;
            synchronized (p) {
                p.gone = true;
                failed = new ArrayList<>(p.pending);
                p.pending.clear();
                if (p.awaiting != null) p.awaiting.cancel(false);
            }
            for (PendingSend x : failed) x.future().completeExceptionally(gone);
        }
        peers.clear();
    }

    /** {@link #destroy()}. */
    @Override
    public void close() {
        destroy();
    }

    // ---- peers ---------------------------------------------------------------------------------

    /** One peer: its link, or the dial under way and the dicts waiting for it. */
    private static final class Peer {
        final PeerKey key;
        /** The link that is up, set only after what waited was handed to it. */
        volatile Connection link;
        /** Guarded by this. */
        final ArrayDeque<PendingSend> pending = new ArrayDeque<>();
        /** Our dial under way, or null. */
        Client dialer;
        /** The client owning {@link #link} when we dialled it, to close with it. */
        Client linkClient;
        /** The nonce of the hub at the other end of {@link #link}: a hello with another one is that peer restarted. */
        long linkNonce;
        /** When a frame last came on {@link #link} ({@code System.nanoTime()}); written on its IO thread. */
        volatile long lastHeard;
        /** While the peer's own dial is expected (ours lost the tie-break): the timer that gives up. */
        ScheduledFuture<?> awaiting;
        Throwable failure;
        long retryAt;
        /** Removed from the map: a sender holding it must look again. */
        boolean gone;

        Peer(PeerKey key) {
            this.key = key;
        }

        /** Holding this: nothing refers to it but the map (a failed dial's backoff has passed). */
        boolean idle(long now) {
            return link == null && dialer == null && awaiting == null && pending.isEmpty()
                    && (failure == null || now - retryAt >= 0);
        }
    }

    private void dial(Peer p) {
        Map<String, Object> hello = links.helloOf(listenPort, null);
        Dialling side = new Dialling(p);
        Client c;
        try {
            c = links.dial(p.key.ip(), p.key.port(), hello, side);
        } catch (IllegalStateException destroyed) {
            List<PendingSend> failed = new ArrayList<>(p.pending);
            p.pending.clear();
            for (PendingSend x : failed) x.future().completeExceptionally(new HubException(destroyed.getMessage()));
            return;
        }
        side.client = c;
        p.dialer = c;
        CompletableFuture<io.paguma.Connection> connecting;
        try {
            connecting = c.connect();
        } catch (RuntimeException e) {
            connecting = CompletableFuture.failedFuture(e);
        }
        connecting.whenComplete((conn, e) -> {
            if (e != null) dialFailed(p, c, e instanceof java.util.concurrent.CompletionException && e.getCause() != null
                    ? e.getCause() : e);
        });
    }

    /** Hands what waited to {@code link} (in order) and makes it the peer's link. Holding p. */
    private static void linkUp(Peer p, Connection link, long nonce) {
        for (PendingSend x; (x = p.pending.poll()) != null; ) x.sendOn(link);
        if (p.awaiting != null) {
            p.awaiting.cancel(false);
            p.awaiting = null;
        }
        p.failure = null;
        p.linkNonce = nonce;
        p.lastHeard = System.nanoTime();
        p.link = link;
    }

    private void dialFailed(Peer p, Client c, Throwable cause) {
        List<PendingSend> failed;
        synchronized (p) {
            if (p.dialer != c) return;
            p.dialer = null;
            if (p.link != null || p.awaiting != null) {
                c.close();
                return;
            }
            p.failure = cause;
            p.retryAt = System.nanoTime() + redialNanos;
            failed = new ArrayList<>(p.pending);
            p.pending.clear();
        }
        c.close();
        fail(p, failed, new HubException("cannot reach " + p.key + ": " + describe(cause), cause));
    }

    private void fail(Peer p, List<PendingSend> failed, HubException e) {
        links.warn("unreachable", "{}{}", e.getMessage(), failed.isEmpty() ? "" : "; " + failed.size()
                + " dict(s) waiting for it failed");
        links.post(new HubEvent(HubEvent.Type.ERROR, p.key.ip(), p.key.port(), 0, null, e));
        for (PendingSend x : failed) x.future().completeExceptionally(e);
    }

    /** What went wrong at the bottom ("Connection refused"), not the layers of giving up above it. */
    static String describe(Throwable t) {
        Throwable root = t;
        while (root.getCause() != null && root.getCause() != root) root = root.getCause();
        String m = root.getMessage();
        return m != null ? m : root.getClass().getSimpleName();
    }

    private void linkLost(Peer p, Connection c) {
        Client owner;
        synchronized (p) {
            if (p.link != c) return;
            p.link = null;
            p.gone = true;
            owner = p.linkClient;
            p.linkClient = null;
            peers.remove(p.key, p);
            // Posted under p (the inbox lock is taken inside no other): a new link's CONNECTED,
            // made on another IO thread, cannot come before this.
            links.post(new HubEvent(HubEvent.Type.DISCONNECTED, p.key.ip(), p.key.port(), 0, null, null));
        }
        if (owner != null) owner.close();
        log.debug("{}: link to {} closed (connection #{})", links.name, p.key, c.id());
    }

    /** Forgets peers nothing refers to any more (dials that failed, after their backoff); at most once a second. */
    private void sweep() {
        long now = System.nanoTime();
        if (now - nextSweep < 0) return;
        nextSweep = now + SWEEP_NANOS;
        for (Peer p : peers.values()) {
            synchronized (p) {
                if (!p.gone && p.idle(now)) {
                    p.gone = true;
                    peers.remove(p.key, p);
                }
            }
        }
    }

    private static final long SWEEP_NANOS = TimeUnit.SECONDS.toNanos(1);
    private volatile long nextSweep = System.nanoTime() + SWEEP_NANOS;

    /** The side that dialled {@code p}: every step checks that {@link #client} is still the peer's dial. */
    private final class Dialling implements Links.Side {
        private final Peer p;
        Client client;

        Dialling(Peer p) {
            this.p = p;
        }

        @Override
        public void welcome(Connection c, Map<String, Object> w) {
            synchronized (p) {
                if (p.gone || p.link != null || p.dialer != client) {
                    c.close();
                    return;
                }
                p.dialer = null;
                p.linkClient = client;
                linkUp(p, c, w.get("nonce") instanceof Long n ? n : 0);
                links.post(new HubEvent(HubEvent.Type.CONNECTED, p.key.ip(), p.key.port(), 0, null, null));
            }
            log.debug("{}: linked to {} (connection #{}, dialled)", links.name, p.key, c.id());
        }

        @Override
        public void refused(Connection c, String code, String reason) {
            List<PendingSend> failed = null;
            synchronized (p) {
                if (p.dialer != client) return;
                p.dialer = null;
                if (p.link != null) {
                    // Already linked by the peer's own dial.
                } else if ("tiebreak".equals(code)) {
                    // Both dialled; the peer's dial wins: its link will come, and what waits goes out on it.
                    p.awaiting = c.channel().eventLoop().schedule(() -> awaitTimedOut(p), links.helloTimeoutMillis,
                            TimeUnit.MILLISECONDS);
                } else {
                    p.failure = new HubException(reason);
                    p.retryAt = System.nanoTime() + redialNanos;
                    failed = new ArrayList<>(p.pending);
                    p.pending.clear();
                }
            }
            client.close();
            if (failed != null) fail(p, failed, new HubException(p.key + " refused the link: " + reason));
        }

        @Override
        public void dict(Connection c, Map<String, Object> dict) {
            if (p.link == c) {
                p.lastHeard = System.nanoTime();
                links.post(new HubEvent(HubEvent.Type.RECEIVED, p.key.ip(), p.key.port(), 0, dict, null), c);
            }
        }

        @Override
        public void closed(Connection c) {
            boolean ours;
            synchronized (p) {
                ours = p.dialer == client;
            }
            if (ours) dialFailed(p, client, new HubException("the link closed before the peer welcomed it"));
            linkLost(p, c);
        }
    }

    private void awaitTimedOut(Peer p) {
        List<PendingSend> failed;
        synchronized (p) {
            if (p.awaiting == null || p.link != null) return;
            p.awaiting = null;
            p.failure = new HubException("its own link did not come");
            p.retryAt = System.nanoTime() + redialNanos;
            failed = new ArrayList<>(p.pending);
            p.pending.clear();
        }
        fail(p, failed, new HubException(p.key + " kept its own link of a simultaneous dial, which did not come within "
                + links.helloTimeoutMillis + " ms"));
    }

    /** The side that accepted: the links of every listener. */
    private final class Accepting implements Links.Side {
        @Override
        public void hello(Connection c, Map<String, Object> h) {
            InetSocketAddress remote = c.remoteAddress();
            Object nonceValue = h.get("nonce");
            Object portValue = h.get("port");
            // Any CBOR integer: a writer may use the shortest form (which decodes as an Integer).
            long port = portValue instanceof Integer || portValue instanceof Long ? ((Number) portValue).longValue() : -1;
            if (!(nonceValue instanceof Integer || nonceValue instanceof Long) || port < 0 || port > 65535) {
                links.warn("bad-hello", c, "connection #{} from {} sent a hello whose nonce is not an integer or whose port is"
                        + " not 0-65535, refused", c.id(), remote);
                links.refuse(c, "hello", "a hello needs a nonce (an integer) and a port (0-65535)");
                return;
            }
            long nonce = ((Number) nonceValue).longValue();
            if (nonce == links.nonce) {
                links.warn("self", c, "connection #{} is this hub dialling itself, refused", c.id());
                links.refuse(c, "self", "a hub cannot link to itself");
                return;
            }
            // A peer is the IP it connects from and the port it says it listens on (an IP it might
            // claim is not believed: nothing could check it); one that does not listen is known by
            // the address it dialled from.
            PeerKey key = new PeerKey(PeerKey.canonical(remote.getAddress()), port != 0 ? (int) port : remote.getPort());
            Client losing = null;
            Connection replaced = null;
            for (;;) {
                Peer p = peers.get(key);
                if (p == null) {
                    Peer fresh = new Peer(key);
                    p = peers.putIfAbsent(key, fresh);
                    if (p == null) p = fresh;
                }
                synchronized (p) {
                    if (p.gone) continue;
                    if (p.link != null) {
                        if (p.linkNonce == nonce || System.nanoTime() - p.lastHeard < quietNanos) {
                            links.warn("duplicate", c, "refused connection #{} from {}: peer {} is linked already (one link"
                                    + " per peer)", c.id(), remote, key);
                            links.refuse(c, "duplicate", "peer " + key + " is linked already"
                                    + (p.linkNonce == nonce ? "" : " and its link is alive"));
                            return;
                        }
                        // Another nonce, and nothing heard on the old link for connectTimeout: the peer
                        // restarted and its old link is dead (half-open, say).
                        replaced = p.link;
                        losing = p.linkClient;
                        p.link = null;
                        p.linkClient = null;
                    } else if (p.dialer != null) {
                        if (Long.compareUnsigned(links.nonce, nonce) < 0) {
                            log.debug("{}: {} and this hub dialled each other; keeping this hub's link, refusing"
                                    + " connection #{}", links.name, key, c.id());
                            links.refuse(c, "tiebreak", "both dialled; the link of the hub with the lower nonce stays");
                            return;
                        }
                        losing = p.dialer;
                        p.dialer = null;
                    }
                    c.property(PEER, p);
                    links.welcome(c, listenPort);
                    linkUp(p, c, nonce);
                    if (replaced != null) {
                        links.post(new HubEvent(HubEvent.Type.DISCONNECTED, key.ip(), key.port(), 0, null,
                                new HubException("the peer restarted")));
                    }
                    links.post(new HubEvent(HubEvent.Type.CONNECTED, key.ip(), key.port(), 0, null, null));
                    break;
                }
            }
            if (replaced != null) {
                links.warn("restarted", c, "peer {} came back with a new link (connection #{}); closing its old one (connection"
                        + " #{})", key, c.id(), replaced.id());
                replaced.close();
            }
            if (losing != null) losing.close();
            log.debug("{}: linked to {} (connection #{}, accepted)", links.name, key, c.id());
        }

        @Override
        public void dict(Connection c, Map<String, Object> dict) {
            Peer p = c.property(PEER);
            if (p != null && p.link == c) {
                p.lastHeard = System.nanoTime();
                links.post(new HubEvent(HubEvent.Type.RECEIVED, p.key.ip(), p.key.port(), 0, dict, null), c);
            }
        }

        @Override
        public void closed(Connection c) {
            Peer p = c.property(PEER);
            if (p != null) linkLost(p, c);
        }
    }

    private static final String PEER = "hub.peer";

    /** Builds a {@link NetHub}: the settings of {@link HubBuilder}, and the redial delay. */
    public static final class Builder extends HubBuilder<Builder> {
        private Duration redialDelay;

        private Builder() {
        }

        /** {@code hub.redialDelay}. */
        public Builder redialDelay(Duration redialDelay) {
            if (redialDelay.isNegative()) throw new IllegalArgumentException("redialDelay must not be negative");
            this.redialDelay = redialDelay;
            return this;
        }

        public NetHub build() {
            return new NetHub(this);
        }
    }
}
