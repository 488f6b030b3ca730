package io.paguma.internal;

import io.netty.channel.Channel;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import io.paguma.Codec;
import io.paguma.Connection;
import io.paguma.PagumaConfig;
import io.paguma.Request;
import io.paguma.Traffic;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * What every connection of one endpoint — a server, or a client across its reconnections —
 * shares: config, codec, routes, hooks, workers, manager, TLS, traffic totals. The connections of
 * both sides are the same {@link ChannelConnection} with the same {@link ConnectionHandler}; the
 * side only decides the parity of the sequence ids its requests use.
 */
public final class EndpointContext {
    static final byte[] PING = {'p', 'i', 'n', 'g'};
    static final byte[] PONG = {'p', 'o', 'n', 'g'};

    final Logger log;
    /** True for a client: its requests use odd sequence ids, a server's even ones. */
    final boolean clientSide;

    final PagumaConfig config;
    final Codec codec;
    final Dispatcher handler;
    final Consumer<Connection> onConnStart;
    final Consumer<Connection> onConnStop;
    final DefaultConnectionManager manager;
    final FrameEncoder encoder;
    final RateLimitedLog frameLog;
    final RateLimitedLog refuseLog;
    /** Authentication failures, and flood limits acting on open connections. */
    final RateLimitedLog authLog;
    final RateLimitedLog limitLog;
    /** The server's authenticator, or null (set before it listens). */
    io.paguma.Authenticator authenticator;
    final long authTimeoutNanos;
    /** maxMessageRate is on. */
    final boolean messageRateLimited;
    final RateLimitedLog errorLog;
    final RateLimitedLog idleLog;
    final RateLimitedLog replyLog;
    final TrafficCounter traffic = new TrafficCounter();
    /** Null without TLS. */
    private final SslContext ssl;
    /** Internal listeners of the client: a connection is set up / has closed (IO thread). */
    private final Consumer<ChannelConnection> opened;
    private final Consumer<ChannelConnection> closed;
    /** Messages with {@code heartbeatMsgId} are heartbeats, not routed (see the constructor). */
    final boolean heartbeatUnrouted;
    final long heartbeatMaxNanos;
    /** frameTimeout in nanoseconds, 0: off. */
    final long frameTimeoutNanos;
    /** slowPeerTimeout in nanoseconds, 0: off. */
    final long slowPeerTimeoutNanos;
    final long heartbeatIntervalNanos;
    /** How often the idle timer looks at a connection; 0 when neither heartbeat setting is on. */
    final long idleTickNanos;
    private final AtomicLong ids = new AtomicLong(1);
    /** The runtime's workers, or null: routers run on the IO threads. */
    final WorkerPool workers;
    /** A client's one worker (see the constructor); null on a server. */
    private final Worker clientWorker;
    private final RuntimeThreads threads;
    /** Where events go: counters, the endpoint's and the runtime's listeners. */
    final EventHub events;
    /** Set when this endpoint's stop ran out of time: its queued requests are dropped and counted. */
    volatile boolean abandoned;
    final java.util.concurrent.atomic.LongAdder dropped = new java.util.concurrent.atomic.LongAdder();
    volatile boolean stopping;
    /** Whole frames, and bytes of partial or unframeable input, that arrived after the stop began and were dropped unread. */
    final java.util.concurrent.atomic.LongAdder discardedRequests = new java.util.concurrent.atomic.LongAdder();
    final java.util.concurrent.atomic.LongAdder discardedBytes = new java.util.concurrent.atomic.LongAdder();

    /** A server's or client's context; {@code opened}/{@code closed} may be null. */
    public EndpointContext(RuntimeThreads threads, EventHub events, boolean clientSide, PagumaConfig config, Codec codec,
                           Dispatcher handler, Consumer<Connection> onConnStart, Consumer<Connection> onConnStop,
                           SslContext ssl, Consumer<ChannelConnection> opened, Consumer<ChannelConnection> closed) {
        this(threads, events, clientSide, config, codec, handler, onConnStart, onConnStop, ssl, opened, closed, false);
    }

    /** @param routersOnIoThreads the endpoint's routers run on its IO threads even when the runtime has workers */
    public EndpointContext(RuntimeThreads threads, EventHub events, boolean clientSide, PagumaConfig config, Codec codec,
                           Dispatcher handler, Consumer<Connection> onConnStart, Consumer<Connection> onConnStop,
                           SslContext ssl, Consumer<ChannelConnection> opened, Consumer<ChannelConnection> closed,
                           boolean routersOnIoThreads) {
        Preload.once();
        this.threads = threads;
        this.events = events;
        this.clientSide = clientSide;
        this.log = LoggerFactory.getLogger(clientSide ? "io.paguma.Client" : "io.paguma.Server");
        this.ssl = ssl;
        this.opened = opened;
        this.closed = closed;
        this.config = config;
        this.codec = codec;
        this.handler = handler;
        this.onConnStart = onConnStart;
        this.onConnStop = onConnStop;
        // maxConn bounds what a server accepts. A client has one connection at a time, and its next
        // one may open while the last one's onConnStop still runs: it must never refuse itself.
        this.manager = new DefaultConnectionManager(clientSide ? Integer.MAX_VALUE : config.maxConn());
        this.encoder = new FrameEncoder(codec);
        // The summaries of this endpoint's held-back warnings are timers on the runtime's IO loops.
        ScheduledExecutorService summaries = threads.scheduler();
        this.frameLog = new RateLimitedLog(log, config.warnInterval(), summaries);
        this.refuseLog = new RateLimitedLog(log, config.warnInterval(), summaries);
        this.authLog = new RateLimitedLog(log, config.warnInterval(), summaries);
        this.limitLog = new RateLimitedLog(log, config.warnInterval(), summaries);
        this.authTimeoutNanos = config.authTimeout().toNanos();
        this.messageRateLimited = config.maxMessageRate() != 0;
        this.errorLog = new RateLimitedLog(log, config.warnInterval(), summaries);
        this.idleLog = new RateLimitedLog(log, config.warnInterval(), summaries);
        this.replyLog = new RateLimitedLog(log, config.warnInterval(), summaries);
        // A router for the id always wins. Otherwise heartbeats are recognised where they are configured,
        // and where the id would only be dropped anyway; an onUnknownMessage router keeps the id for itself.
        boolean configured = !config.heartbeatMax().isZero() || !config.heartbeatInterval().isZero();
        this.heartbeatUnrouted = handler.router(config.heartbeatMsgId()) == null
                && (configured || !handler.hasUnknownRouter());
        this.heartbeatMaxNanos = config.heartbeatMax().toNanos();
        this.frameTimeoutNanos = config.frameTimeout().toNanos();
        this.slowPeerTimeoutNanos = config.slowPeerTimeout().toNanos();
        this.heartbeatIntervalNanos = config.heartbeatInterval().toNanos();
        long shortest = Math.min(heartbeatMaxNanos > 0 ? heartbeatMaxNanos : Long.MAX_VALUE,
                heartbeatIntervalNanos > 0 ? heartbeatIntervalNanos : Long.MAX_VALUE);
        // A quarter of the shorter period: an idle close comes at most 25% late, never early.
        this.idleTickNanos = shortest == Long.MAX_VALUE ? 0 : Math.max(TimeUnit.MILLISECONDS.toNanos(5), shortest / 4);
        this.workers = routersOnIoThreads ? null : threads.workers;
        // A client's connections, one after another, all run on one worker: the hooks of a lost
        // connection and of the next one keep their order.
        this.clientWorker = clientSide && workers != null ? workers.assignClient() : null;
    }

    /** The worker for a new connection, or null when routers run on the IO thread. */
    Worker assignWorker(long connectionId) {
        if (workers == null) return null;
        return clientWorker != null ? clientWorker : workers.assign(connectionId);
    }

    /** A connection's worker is no longer used by it. */
    void releaseWorker(Worker w) {
        if (w != null && w != clientWorker) workers.release(w);
    }

    /** When a client closes: its worker may be given to others. */
    public void releaseClientWorker() {
        if (clientWorker != null) workers.release(clientWorker);
    }

    public RuntimeThreads threads() {
        return threads;
    }

    /**
     * Sets up a new channel's pipeline: TLS (when on), then for a WebSocket the HTTP upgrade and
     * frame handlers ({@link WebSockets}), then the encoder and the connection handler.
     *
     * @param webSocket  for a server: the upgrade's checks when the channel came in on the
     *                   WebSocket port, else null; for a client: the address to upgrade to, or null
     */
    public void initChannel(Channel ch, String peerHost, int peerPort, Object webSocket) {
        // A peer's FIN ends only its side: the requests it sent still run and their replies go out
        // before we close (ConnectionHandler.userEventTriggered), as for `nc -N` or shutdownOutput().
        ch.config().setOption(io.netty.channel.ChannelOption.ALLOW_HALF_CLOSURE, true);
        if (ssl != null) {
            SslHandler tls = clientSide ? ssl.newHandler(ch.alloc(), peerHost, peerPort) : ssl.newHandler(ch.alloc());
            ch.pipeline().addLast("tls", tls);
        }
        boolean ws = webSocket != null;
        if (webSocket instanceof java.net.URI uri) {
            WebSockets.clientPipeline(ch, this, uri);
        } else if (webSocket instanceof ServerUpgrade upgrade) {
            WebSockets.serverPipeline(ch, this, upgrade.auth());
        }
        ch.pipeline().addLast("encoder", encoder).addLast("handler", new ConnectionHandler(this, ws));
    }

    /** A server's WebSocket port: the upgrade hook, may be null (see {@link #initChannel}). */
    public record ServerUpgrade(io.paguma.WebSocketAuth auth) {
    }

    /** WebSocket channels accepted whose upgrade is not done yet (a stop closes them). */
    private final java.util.Set<Channel> upgrading = java.util.concurrent.ConcurrentHashMap.newKeySet();

    void upgrading(Channel ch) {
        upgrading.add(ch);
    }

    void upgraded(Channel ch) {
        upgrading.remove(ch);
    }

    /** On stop: closes the WebSocket channels still in their upgrade (they are not connections yet). */
    public void closeUpgrading() {
        for (Channel ch : upgrading) ch.close();
    }

    /**
     * The last stage of a listener's pipeline: a failed accept (out of file descriptors, say) is
     * one clear, rate-limited line rather than Netty's stack trace per attempt. Netty's acceptor,
     * before it, has already paused accepting for a second, so the listener does not spin.
     */
    public io.netty.channel.ChannelHandler acceptErrors(Channel listener) {
        String where = ChannelConnection.format((java.net.InetSocketAddress) listener.localAddress());
        return new io.netty.channel.ChannelInboundHandlerAdapter() {
            @Override
            public void exceptionCaught(io.netty.channel.ChannelHandlerContext ctx, Throwable cause) {
                String hint = String.valueOf(cause.getMessage()).contains("open files")
                        ? " (the process is out of file descriptors: raise ulimit -n, or lower maxConn)" : "";
                errorLog.warn("server " + config.name() + ": cannot accept a connection on " + where + ": " + cause
                        + hint + "; accepting again in 1 s", null);
            }
        };
    }

    /** acceptRate: a stage for the server's listeners, shared by them. */
    public io.netty.channel.ChannelHandler acceptRateLimit() {
        return new AcceptRate(this, config.acceptRate());
    }

    /** The totals of every connection so far, open and closed. */
    public Traffic traffic() {
        return traffic.snapshot();
    }

    void opened(ChannelConnection c) {
        if (opened != null) opened.accept(c);
    }

    void closed(ChannelConnection c) {
        if (closed != null) closed.accept(c);
    }

    long nextId() {
        return ids.getAndIncrement();
    }

    public DefaultConnectionManager manager() {
        return manager;
    }

    public FrameEncoder encoder() {
        return encoder;
    }

    /** What one IO thread defers to the end of its event loop's turn. */
    TurnEnd turnEndFor(io.netty.channel.EventLoop loop) {
        return threads.turnEndFor(loop);
    }

    /** True on a worker thread of this server. */
    public boolean isWorkerThread() {
        return workers != null && workers.isWorkerThread();
    }

    /** Marks the server as stopping: connections accepted from now on are closed at once. */
    public void beginStop() {
        stopping = true;
    }

    /** Requests (whole frames) that arrived after the stop began and were discarded; read once the IO threads have ended. */
    public long discardedRequests() {
        return discardedRequests.sum();
    }

    /** Bytes that arrived after the stop began and formed no whole frame (a partial or unframeable tail). */
    public long discardedBytes() {
        return discardedBytes.sum();
    }

    /** Waits until every queued request has run, or the deadline passes; true if all ran. */
    public boolean drainWorkers(long deadlineNanos) throws InterruptedException {
        if (workers == null) return true;
        // Only the workers this endpoint's connections run on: on a shared runtime, a stop does
        // not wait for workers busy with other endpoints only.
        java.util.Set<Worker> mine = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        for (ChannelConnection c : manager.snapshot()) {
            if (c.worker != null) mine.add(c.worker);
        }
        return workers.drain(mine, deadlineNanos);
    }

    /**
     * After the grace period: this endpoint's requests still queued are dropped (and counted) as
     * the workers come to them, and its routers still running are interrupted; hooks still run,
     * and other endpoints on the same workers are not touched.
     */
    public void abandonWorkers() {
        abandoned = true;
        if (workers != null) workers.abandon(this);
    }

    /** Requests dropped because the stop ran out of time. */
    public long droppedRequests() {
        return dropped.sum();
    }

    /**
     * Runs a lifecycle hook on the connection's worker (or IO thread). What it throws is logged with
     * the connection and the hook's name: an {@link Exception} at WARN, any {@link Error} at ERROR
     * every time (never rate-limited), and the connection and thread carry on. A
     * {@link VirtualMachineError} is also rethrown, after closing the connection (its state is
     * unknown): a worker logs it and carries on with its next task (see {@link Worker}); on an IO
     * thread, Netty's pipeline catches it and the event loop carries on. The steps after the hook
     * in the same task are skipped, except where they are in a {@code finally} (those of
     * {@code onConnStop}, which release the connection).
     */
    boolean runHook(Consumer<Connection> hook, ChannelConnection c, String name) {
        return runHook(hook, c, name, "");
    }

    /** {@link #runHook(Consumer, ChannelConnection, String)}, with {@code consequence} added to the line when it throws; false if it threw. */
    boolean runHook(Consumer<Connection> hook, ChannelConnection c, String name, String consequence) {
        if (hook == null) return true;
        try {
            hook.accept(c);
            return true;
        } catch (VirtualMachineError e) {
            Failures.error(log, c + ": " + name + " hook threw: " + Failures.describe(e), e);
            try {
                c.close();
            } catch (Throwable ignored) {
                // Best effort while the JVM may be short of memory: the error matters more.
            }
            throw e;
        } catch (Error e) {
            Failures.error(log, c + ": " + name + " hook threw: " + Failures.describe(e) + consequence, e);
        } catch (Throwable t) {
            Failures.warn(log, c + ": " + name + " hook threw: " + Failures.describe(t) + consequence, t);
        }
        return false;
    }

    /**
     * Where a connection's requests run (its worker, or its IO thread): through the authenticator
     * while the connection is not admitted yet, then to its router. Nothing of a refused connection
     * is routed.
     */
    void route(Request request) {
        try {
            ChannelConnection c = (ChannelConnection) request.connection();
            if (c.admission != ChannelConnection.ADMITTED && !authenticate(request, c)) return;
            handler.handle(request);
        } finally {
            // zeroCopy: the payload is a view of the read buffer, the router's until it returns
            // (it retains what it keeps longer); an array payload has nothing to release.
            try {
                request.message().release();
            } catch (io.netty.util.IllegalReferenceCountException e) {
                errorLog.warn(request.connection() + ": the router of message id " + Integer.toUnsignedString(request.id())
                        + " released a received message it had not retained (the framework releases it when the router returns)", null);
            }
        }
    }

    private boolean authenticate(Request request, ChannelConnection c) {
        if (c.admission == ChannelConnection.REFUSED) return false;
        boolean admitted = false;
        Throwable failure = null;
        try {
            admitted = authenticator.authenticate(request);
        } catch (VirtualMachineError e) {
            c.refuseMessages();
            Failures.error(log, c + ": the authenticator threw: " + Failures.describe(e) + "; closed", e);
            c.close();
            throw e;
        } catch (Throwable t) {
            failure = t;
        }
        if (admitted) {
            // authTimeout may have refused it meanwhile: then it stays refused.
            return c.admission(ChannelConnection.AUTHENTICATING, ChannelConnection.ADMITTED);
        }
        if (!c.admission(ChannelConnection.AUTHENTICATING, ChannelConnection.REFUSED)) return false;
        String why = failure == null ? "refused by the authenticator"
                : "the authenticator threw " + Failures.describe(failure);
        authLog.warn(c + ": " + why + " (its first message, id " + Integer.toUnsignedString(request.id())
                + ", " + request.message().length() + " bytes); closed", null);
        events.authenticationFailed(c, why);
        c.close();
        return false;
    }

    /** The authTimeout timer of a connection (IO thread): closes it unless it was admitted meanwhile. */
    void authTimedOut(ChannelConnection c) {
        if (!c.isOpen() || !c.admission(ChannelConnection.AUTHENTICATING, ChannelConnection.REFUSED)) return;
        String why = "not authenticated within " + TimeUnit.NANOSECONDS.toMillis(authTimeoutNanos) + " ms (authTimeout)";
        authLog.warn(c + ": " + why + "; closed", null);
        events.authenticationFailed(c, why);
        c.close();
    }

    /** Set once, before the server listens (a server with an authenticator). */
    public void authenticator(io.paguma.Authenticator authenticator) {
        this.authenticator = authenticator;
    }

    /** How many tasks wait in each worker's queue now; empty when routers run on the IO threads. */
    public int[] workerQueueDepths() {
        return workers == null ? new int[0] : workers.queueDepths();
    }
}
