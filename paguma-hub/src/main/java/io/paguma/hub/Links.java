package io.paguma.hub;

import io.paguma.Client;
import io.paguma.Connection;
import io.paguma.Message;
import io.paguma.PagumaConfig;
import io.paguma.PagumaRuntime;
import io.paguma.Request;
import io.paguma.Server;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * What {@link NetHub} and {@link ConnectionMgr} share: the runtime their links run on, the pack,
 * the link handshake (hello, welcome, refuse), the queue of events {@code update()} drains, and
 * the servers and clients to end on destroy.
 *
 * <p>Every link starts with a hello from the side that dialled; the other side answers welcome
 * (the link is up) or refuse (with a reason; it then closes). Dicts flow only on a link that is up.
 * The handlers of {@link Side} run on the link's IO thread (the runtime has no workers).
 */
final class Links {
    private static final Logger log = LoggerFactory.getLogger(Links.class);
    static final String SIDE = "hub.side";

    /** What a hub does with its links' frames; called on the link's IO thread. */
    interface Side {
        /** Accepting side: the dialler's hello. Answer with {@link #welcome} or {@link #refuse}. */
        default void hello(Connection c, Map<String, Object> hello) {
            c.close();
        }

        /** Dialling side: the link is up. */
        default void welcome(Connection c, Map<String, Object> welcome) {
            c.close();
        }

        /** Dialling side: the peer refused the link; it closes next. */
        default void refused(Connection c, String code, String reason) {
        }

        void dict(Connection c, Map<String, Object> dict);

        void closed(Connection c);
    }

    final String name;
    final PagumaRuntime runtime;
    private final boolean ownRuntime;
    final DataPack pack;
    final DictCodec dicts;
    final PagumaConfig serverConfig;
    final PagumaConfig clientConfig;
    /** Tells this hub from any other (a hub dialling itself, the simultaneous-dial tie-break). */
    final long nonce;
    final long helloTimeoutMillis;

    private final Object inboxLock = new Object();
    /** Guarded by {@link #inboxLock}: swapped out whole by {@link #drain()}. */
    private ArrayList<HubEvent> inbox = new ArrayList<>();
    /** Guarded by {@link #inboxLock}: links that stopped reading because the inbox was full. */
    private final java.util.Set<Connection> paused = new java.util.HashSet<>();
    private final int maxQueued;
    private final Set<Server> servers = ConcurrentHashMap.newKeySet();
    private final Set<Client> clients = ConcurrentHashMap.newKeySet();
    private volatile boolean destroyed;
    /** One line per kind of warning a peer can cause at will, at most once per {@code warnInterval}. */
    private final long warnIntervalNanos;
    private final ConcurrentHashMap<String, long[]> warned = new ConcurrentHashMap<>();

    Links(String name, PagumaConfig config, PagumaRuntime shared, DictCodec dicts, int maxQueued) {
        this.name = name;
        this.maxQueued = maxQueued;
        this.dicts = dicts;
        this.pack = new DataPack(dicts);
        // A link's own settings; its threads are the runtime's.
        // Heartbeats (off unless configured) travel as kind PING: core's default id does not fit the pack's two bytes.
        this.serverConfig = config.toBuilder().name(name).heartbeatMsgId(DataPack.PING).build();
        this.clientConfig = config.toBuilder().name(name).heartbeatMsgId(DataPack.PING).reconnect(false).offlineQueueSize(0)
                .build();
        this.helloTimeoutMillis = config.connectTimeout().toMillis();
        this.warnIntervalNanos = config.warnInterval().toNanos();
        this.ownRuntime = shared == null;
        this.runtime = shared != null ? shared
                : PagumaRuntime.create(config.toBuilder().name(name).ioThreads(1).workerPoolSize(0).bossThreads(1).build());
        long n;
        do {
            n = new SecureRandom().nextLong();
        } while (n == 0);
        this.nonce = n;
    }

    /**
     * Logs a warning a peer can cause at will: the first of its {@code kind} at once, then at most
     * one per {@code warnInterval}, saying how many were left out in between.
     */
    void warn(String kind, String format, Object... args) {
        warn(kind, null, format, args);
    }

    /**
     * As {@link #warn(String, String, Object...)}; with the connection it is about, so that the
     * count of those left out is said at the end of the window (on its IO loop) even if no such
     * warning comes after it.
     */
    void warn(String kind, Connection about, String format, Object... args) {
        long now = System.nanoTime();
        long[] state = warned.computeIfAbsent(kind, k -> new long[] {now - warnIntervalNanos - 1, 0});
        long skipped;
        boolean firstLeftOut = false;
        synchronized (state) {
            if (now - state[0] <= warnIntervalNanos) {
                firstLeftOut = state[1]++ == 0;
                if (!firstLeftOut) return;
                skipped = -1;
            } else {
                state[0] = now;
                skipped = state[1];
                state[1] = 0;
            }
        }
        if (firstLeftOut) {
            if (about == null) return;
            long delay = warnIntervalNanos - (now - state[0]);
            try {
                about.channel().eventLoop().schedule(() -> leftOut(kind, state), Math.max(delay, 1), TimeUnit.NANOSECONDS);
            } catch (java.util.concurrent.RejectedExecutionException ended) {
                // The loop has ended, and the hub with it.
            }
            return;
        }
        if (skipped > 0) format = format + " (and " + skipped + " more like it since the last such line)";
        log.warn(name + ": " + format, args);
    }

    private void leftOut(String kind, long[] state) {
        long n;
        synchronized (state) {
            n = state[1];
            state[1] = 0;
            state[0] = System.nanoTime();
        }
        if (n > 0) {
            log.warn("{}: {} more warning(s) of kind '{}' in the last {} ms (warnInterval)", name, n, kind,
                    TimeUnit.NANOSECONDS.toMillis(warnIntervalNanos));
        }
    }

    boolean isDestroyed() {
        return destroyed;
    }

    void checkOpen(String what) {
        if (destroyed) throw new IllegalStateException(what + " " + name + " was destroyed");
    }

    // ---- events --------------------------------------------------------------------------------

    void post(HubEvent e) {
        synchronized (inboxLock) {
            inbox.add(e);
        }
        wake();
    }

    /** A thread waiting in {@link #drain(long)} for something to happen, or null. */
    private volatile Thread waiter;
    private static final java.lang.invoke.VarHandle WAITER;

    static {
        try {
            WAITER = java.lang.invoke.MethodHandles.lookup().findVarHandle(Links.class, "waiter", Thread.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** Wakes the waiter, once: it takes everything posted by then, and waits again only if that was nothing. */
    private void wake() {
        Thread w = waiter;
        if (w != null && WAITER.compareAndSet(this, w, null)) java.util.concurrent.locks.LockSupport.unpark(w);
    }

    /**
     * Posts a dict that arrived on {@code from}. Beyond {@code hub.maxQueued} waiting events the
     * link stops reading until {@link #drain()} takes them: TCP then holds the peer back, and an
     * application that falls behind is not buried under what it has not handled yet.
     */
    void post(HubEvent e, Connection from) {
        boolean full;
        synchronized (inboxLock) {
            inbox.add(e);
            full = inbox.size() >= maxQueued && paused.add(from);
        }
        if (full) from.pauseReading();
        wake();
    }

    /**
     * As {@link #drain()}, but when nothing waits, waits at most {@code waitNanos} for something
     * to be posted (or the thread to be interrupted, whose flag stays set).
     */
    List<HubEvent> drain(long waitNanos) {
        List<HubEvent> out = drain();
        if (!out.isEmpty() || waitNanos <= 0) return out;
        long deadline = System.nanoTime() + waitNanos;
        Thread me = Thread.currentThread();
        try {
            for (;;) {
                // Published before looking, so a post after the look sees it and wakes us.
                waiter = me;
                out = drain();
                if (!out.isEmpty()) return out;
                long left = deadline - System.nanoTime();
                if (left <= 0 || me.isInterrupted() || destroyed) return out;
                java.util.concurrent.locks.LockSupport.parkNanos(this, left);
                // Woken by the first event of a read: if the IO thread shares this CPU, let it
                // finish what it read first, so that this loop takes it all at once rather than
                // one or two events per wake. On a CPU of its own, yield returns at once.
                Thread.yield();
            }
        } finally {
            WAITER.compareAndSet(this, me, null);
        }
    }

    /** {@code d} in nanoseconds, capped at {@link Long#MAX_VALUE} (a wait of "forever"). */
    static long nanos(java.time.Duration d) {
        try {
            return d.toNanos();
        } catch (ArithmeticException tooLong) {
            return d.isNegative() ? 0 : Long.MAX_VALUE;
        }
    }

    /** Everything posted since the last call; the lock is held only to swap the list. */
    List<HubEvent> drain() {
        ArrayList<HubEvent> out;
        Connection[] resume = null;
        synchronized (inboxLock) {
            out = inbox;
            if (out.isEmpty()) return List.of();
            inbox = new ArrayList<>(Math.min(out.size(), 1 << 16));
            if (!paused.isEmpty()) {
                resume = paused.toArray(new Connection[0]);
                paused.clear();
            }
        }
        if (resume != null) for (Connection c : resume) c.resumeReading();
        return out;
    }

    // ---- endpoints -----------------------------------------------------------------------------

    /** A started server on {@code ip:port} whose links run {@code side}. */
    Server listen(String ip, int port, Side side) {
        Server s = Server.builder().runtime(runtime).config(serverConfig).host(ip).port(port).codec(pack)
                .route(DataPack.HELLO, r -> {
                    Connection c = r.connection();
                    if (c.property(HELLO_DONE) != null) {
                        warn("hello-twice", c, "connection #{} from {} said hello twice, closing it", c.id(), c.remoteAddress());
                        c.close();
                        return;
                    }
                    Map<String, Object> h = decode(r, "hello");
                    if (h != null) side.hello(c, h);
                })
                .route(DataPack.DICT, r -> dict(r, side))
                .onUnknownMessage(this::unknown)
                .onConnStart(c -> {
                    c.property(SIDE, side);
                    // A socket that never says hello holds a slot: close it after connectTimeout.
                    c.channel().eventLoop().schedule(() -> {
                        if (c.isOpen() && c.property(HELLO_DONE) == null) {
                            warn("no-hello", c, "connection #{} from {} sent no hello within {} ms (connectTimeout), closing it",
                                    c.id(), c.remoteAddress(), helloTimeoutMillis);
                            c.close();
                        }
                    }, helloTimeoutMillis, TimeUnit.MILLISECONDS);
                })
                .onConnStop(side::closed)
                .build();
        s.start();
        servers.add(s);
        s.stoppedFuture().whenComplete((r, e) -> servers.remove(s));
        return s;
    }

    static final String HELLO_DONE = "hub.hello";

    /** A client to {@code ip:port} that says {@code hello} once connected; not connected yet. */
    Client dial(String ip, int port, Map<String, ?> hello, Side side) {
        byte[] helloBytes = dicts.encode(hello);
        checkOpen("hub");
        Client c = Client.builder().runtime(runtime).config(clientConfig).host(ip).port(port).codec(pack)
                .onConnStart(conn -> {
                    conn.property(SIDE, side);
                    conn.send(DataPack.HELLO, helloBytes);
                    // A peer that took the socket but never answers (hung, or not a hub): give up.
                    conn.channel().eventLoop().schedule(() -> {
                        if (conn.isOpen() && conn.property(HELLO_DONE) == null) {
                            warn("no-welcome", conn, "{} did not answer the hello within {} ms (connectTimeout), closing"
                                    + " connection #{}", PeerKey.format(ip, port), helloTimeoutMillis, conn.id());
                            conn.close();
                        }
                    }, helloTimeoutMillis, TimeUnit.MILLISECONDS);
                })
                .route(DataPack.WELCOME, r -> {
                    Map<String, Object> w = decode(r, "welcome");
                    if (w != null) {
                        r.connection().property(HELLO_DONE, Boolean.TRUE);
                        side.welcome(r.connection(), w);
                    }
                })
                .route(DataPack.REFUSE, r -> {
                    Map<String, Object> m = decode(r, "refusal");
                    if (m == null) return;
                    side.refused(r.connection(), String.valueOf(m.get("code")), String.valueOf(m.get("reason")));
                    r.connection().close();
                })
                .route(DataPack.DICT, r -> dict(r, side))
                .onUnknownMessage(this::unknown)
                .onConnStop(side::closed)
                .build();
        clients.add(c);
        c.closeFuture().whenComplete((v, e) -> clients.remove(c));
        if (destroyed) {
            // destroy() ran meanwhile and did not see this client.
            clients.remove(c);
            c.close();
            throw new IllegalStateException(name + " was destroyed");
        }
        return c;
    }

    Map<String, Object> helloOf(int listenPort, String type) {
        Map<String, Object> h = new LinkedHashMap<>();
        h.put("nonce", nonce);
        h.put("port", listenPort);
        if (type != null) h.put("type", type);
        return h;
    }

    void welcome(Connection c, int listenPort) {
        c.property(HELLO_DONE, Boolean.TRUE);
        Map<String, Object> w = new LinkedHashMap<>();
        w.put("nonce", nonce);
        w.put("port", listenPort);
        c.send(DataPack.WELCOME, dicts.encode(w));
    }

    /** Answers a hello with a refusal and closes the link once it is written. */
    void refuse(Connection c, String code, String reason) {
        c.property(HELLO_DONE, Boolean.TRUE);
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("code", code);
        m.put("reason", reason);
        c.send(DataPack.REFUSE, dicts.encode(m));
        c.close();
    }

    private void dict(Request r, Side side) {
        Connection c = r.connection();
        if (c.property(HELLO_DONE) == null) {
            warn("early-dict", c, "connection #{} from {} sent a dict before its hello, closing it", c.id(), c.remoteAddress());
            c.close();
            return;
        }
        Map<String, Object> d = decode(r, "dict");
        if (d != null) side.dict(c, d);
    }

    private void unknown(Request r) {
        Connection c = r.connection();
        warn("unknown-kind", c, "connection #{} from {} sent a frame of unknown kind {}, closing it", c.id(), c.remoteAddress(),
                r.id());
        c.close();
    }

    /** The request's dict, or null after closing its connection with one log line when it is malformed. */
    private Map<String, Object> decode(Request r, String what) {
        try {
            return dicts.decode(r.data());
        } catch (DictFormatException e) {
            Connection c = r.connection();
            warn("malformed", c, "connection #{} from {} sent a malformed {}, closing it: {}", c.id(), c.remoteAddress(), what,
                    e.getMessage());
            c.close();
            return null;
        }
    }

    static Message dictMessage(byte[] body) {
        return new Message(DataPack.DICT, body);
    }

    // ---- the end -------------------------------------------------------------------------------

    /**
     * Stops the servers and closes the clients, then ends the runtime's threads when the runtime
     * is the hub's own; returns when that is done.
     */
    void destroy() {
        destroyed = true;
        wake();
        if (ownRuntime) {
            runtime.close();
            return;
        }
        List<Client> cs = new ArrayList<>(clients);
        for (Server s : servers) s.stop();
        for (Client c : cs) c.close().orTimeout(10, TimeUnit.SECONDS).exceptionally(e -> null).join();
    }
}
