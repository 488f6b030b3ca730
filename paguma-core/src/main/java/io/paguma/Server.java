package io.paguma;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.util.concurrent.Future;
import io.paguma.internal.ChannelConnection;
import io.paguma.internal.EndpointContext;
import io.paguma.internal.EventHub;
import io.paguma.internal.RuntimeThreads;
import io.paguma.internal.Tls;
import io.paguma.internal.Transports;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * A Paguma TCP server (P1): a name, an address, routes, hooks and a connection manager.
 *
 * <pre>{@code
 * Server server = Server.builder()
 *     .port(8999)
 *     .route(1, request -> request.reply(1, request.data()))
 *     .onConnStart(conn -> conn.property("name", "guest"))
 *     .build();
 * server.serve();
 * }</pre>
 *
 * <p>{@link #start()} binds and returns; {@link #serve()} starts and blocks until the server is
 * stopped, by {@link #stop()} or by SIGINT/SIGTERM. {@link #stop()} stops accepting at once, lets
 * received requests finish and their replies go out (within {@code stopGracePeriod}), runs
 * {@code onConnStop} for every connection and ends every thread it started. A server is started
 * at most once; methods are safe from any thread.
 */
public final class Server {
    private static final Logger log = LoggerFactory.getLogger(Server.class);

    private enum State { NEW, RUNNING, STOPPING, STOPPED }

    /** How long stop() waits past the grace period for onConnStop hooks and threads to finish. */
    private static final long HOOK_WAIT_NANOS = TimeUnit.SECONDS.toNanos(2);

    private final PagumaConfig config;
    private final Codec codec;
    private final MessageHandler messageHandler;
    private final Consumer<Connection> onConnStart;
    private final Consumer<Connection> onConnStop;
    private final CompletableFuture<StopReport> stopped = new CompletableFuture<>();
    private final Object lock = new Object();
    private State state = State.NEW;
    private EndpointContext context;
    private final EventHub events;
    /** The shared runtime this server runs on, or null: it has threads of its own. */
    private final PagumaRuntime runtime;
    /** See {@link EndpointBuilder#routersOnIoThreads()}. */
    private final boolean routersOnIoThreads;
    private RuntimeThreads threads;
    private EventLoopGroup bossGroup;
    private EventLoopGroup ioGroup;
    private volatile Channel serverChannel;
    private volatile Channel wsChannel;
    private final WebSocketAuth webSocketAuth;
    private final Authenticator authenticator;
    /** acceptRate: the listeners' shared limit, or null. */
    private io.netty.channel.ChannelHandler acceptRate;
    private String transportName;
    private Thread shutdownHook;

    private Server(Builder b) {
        this.config = b.effectiveConfig();
        config.warnKeysNotFor(ConfigKey.Scope.SERVER);
        this.codec = b.codec != null ? b.codec : Codecs.forConfig(config);
        this.events = new EventHub(b.eventListeners, b.runtime != null ? b.runtime.events() : null);
        // On a shared runtime, warning summaries are timers on its IO loops (no thread of their own).
        this.messageHandler = new MessageHandler(b.table, config.warnInterval(), events,
                b.runtime != null ? b.runtime.scheduler() : null);
        this.onConnStart = b.onConnStart;
        this.onConnStop = b.onConnStop;
        this.runtime = b.runtime;
        this.webSocketAuth = b.webSocketAuth;
        this.authenticator = b.authenticator;
        this.routersOnIoThreads = b.routersOnIoThreads;
    }

    public static Builder builder() {
        return new Builder();
    }

    /**
     * Binds the port and starts accepting. Returns once the server is listening.
     *
     * @throws IllegalStateException if the server was started before, or the address cannot be bound
     */
    public Server start() {
        synchronized (lock) {
            if (state != State.NEW) throw new IllegalStateException("server " + config.name() + " was already started");
            // Made first: a TLS certificate that cannot be loaded fails the start before any thread exists.
            io.netty.handler.ssl.SslContext ssl = Tls.forServer(config);
            threads = runtime != null ? runtime.attach(this) : new RuntimeThreads(RuntimeThreads.prefix(config.name()),
                    config, config.bossThreads(), config.ioThreads(), config.workerPoolSize());
            Transports.Choice transport = threads.transport();
            context = new EndpointContext(threads, events, false, config, codec, messageHandler, onConnStart, onConnStop, ssl,
                    null, null, routersOnIoThreads);
            context.authenticator(authenticator);
            acceptRate = config.acceptRate() > 0 ? context.acceptRateLimit() : null;
            bossGroup = threads.boss();
            ioGroup = threads.io();
            PagumaConfig.Mode mode = config.mode();
            try {
                if (mode != PagumaConfig.Mode.WEBSOCKET) serverChannel = bind(transport, config.port(), null);
                if (mode != PagumaConfig.Mode.TCP) {
                    wsChannel = bind(transport, config.wsPort(), new EndpointContext.ServerUpgrade(webSocketAuth));
                }
            } catch (Exception e) {
                boolean ws = serverChannel != null || mode == PagumaConfig.Mode.WEBSOCKET;
                if (serverChannel != null) serverChannel.close().awaitUninterruptibly();
                serverChannel = null;
                try {
                    releaseThreads(System.nanoTime() + TimeUnit.SECONDS.toNanos(5));
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                }
                state = State.STOPPED;
                stopped.complete(new StopReport(0, 0, false, Duration.ZERO));
                String cause = e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
                throw new IllegalStateException("server " + config.name() + " cannot listen on "
                        + hostPort(config.host(), ws ? config.wsPort() : config.port()) + ": " + cause
                        + (ws ? " (check paguma.host, or set paguma.wsPort to another port, or 0 for any free one)"
                              : " (check paguma.host, or set paguma.port to another port, or 0 for any free one)"), e);
            }
            transportName = transport.name();
            state = State.RUNNING;
            String where = (serverChannel != null ? hostPort(config.host(), port()) : "")
                    + (serverChannel != null && wsChannel != null ? " and " : "")
                    + (wsChannel != null ? (config.tls() ? "wss://" : "ws://") + hostPort(config.host(), wsPort())
                    + config.wsPath() : "");
            log.info("server {} listening on {} (transport {}, codec {}, {}, maxConn {})",
                    config.name(), where, transportName, codec.name(),
                    runtime != null ? "on runtime " + runtime.config().name()
                            : config.ioThreads() + " IO threads, " + config.workerPoolSize() + " workers",
                    config.maxConn());
            return this;
        }
    }

    /** Binds one listener: TCP when {@code webSocket} is null, else WebSocket with its upgrade checks. */
    private Channel bind(Transports.Choice transport, int port, EndpointContext.ServerUpgrade webSocket) {
        EndpointContext ctx = context;
        ServerBootstrap b = new ServerBootstrap()
                .group(bossGroup, ioGroup)
                .channel(transport.serverChannel())
                .option(ChannelOption.SO_BACKLOG, config.soBacklog())
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.TCP_NODELAY, config.tcpNoDelay())
                .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK,
                        new WriteBufferWaterMark(config.writeBufferLowWaterMark(), config.writeBufferHighWaterMark()))
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ctx.initChannel(ch, null, 0, webSocket);
                    }
                });
        transport.applyKeepAlive(b, config);
        if (config.soRcvbuf() > 0) {
            // On the listener too: an accepted socket's window scale is agreed before accept() returns.
            b.option(ChannelOption.SO_RCVBUF, config.soRcvbuf()).childOption(ChannelOption.SO_RCVBUF, config.soRcvbuf());
        }
        if (config.soSndbuf() > 0) b.childOption(ChannelOption.SO_SNDBUF, config.soSndbuf());
        if (acceptRate != null) b.handler(acceptRate);
        Channel listener = b.bind(config.host(), port).syncUninterruptibly().channel();
        // Behind Netty's acceptor, which pauses accepting for a second after a failed accept.
        listener.pipeline().addLast("accept-errors", ctx.acceptErrors(listener));
        return listener;
    }

    /**
     * Starts the server if it is not running yet, then blocks until it has stopped. SIGINT and
     * SIGTERM stop it cleanly.
     */
    public StopReport serve() {
        synchronized (lock) {
            if (state == State.NEW) start();
            if (state == State.RUNNING && shutdownHook == null) {
                shutdownHook = new Thread(this::stop, RuntimeThreads.prefix(config.name()) + "shutdown");
                Runtime.getRuntime().addShutdownHook(shutdownHook);
            }
        }
        return stopped.join();
    }

    /**
     * Stops the server and waits until it has stopped: stops accepting at once, stops reading,
     * lets every received request finish and flushes what was sent, closes every connection (each
     * runs {@code onConnStop}), then ends the worker and IO threads. Anything still pending when
     * {@code stopGracePeriod} runs out is closed anyway. Calling it again returns the same report.
     *
     * @throws IllegalStateException if called from one of this server's own threads, which the stop
     *                               would wait for; use {@link #stopAsync()} there
     */
    public StopReport stop() {
        boolean stopInProgress = false;
        if (isOwnThread()) {
            throw new IllegalStateException("stop() called on a thread of server " + config.name()
                    + " would wait for itself; call stopAsync() instead");
        }
        synchronized (lock) {
            if (state == State.NEW) {
                state = State.STOPPED;
                stopped.complete(new StopReport(0, 0, false, Duration.ZERO));
            }
            if (state == State.RUNNING) state = State.STOPPING;
            else stopInProgress = true;
        }
        // Another caller is stopping (or has stopped) the server: wait for its report, outside the lock.
        if (stopInProgress) return stopped.join();
        StopReport report;
        try {
            report = doStop();
        } catch (RuntimeException | Error e) {
            stopped.completeExceptionally(e);
            throw e;
        } finally {
            synchronized (lock) {
                state = State.STOPPED;
            }
        }
        removeShutdownHook();
        stopped.complete(report);
        return report;
    }

    /** Stops the server on a new thread; safe to call from a router or hook. */
    public CompletableFuture<StopReport> stopAsync() {
        Thread t = new Thread(this::stop, RuntimeThreads.prefix(config.name()) + "stop");
        t.start();
        return stopped;
    }

    private boolean isOwnThread() {
        RuntimeThreads t;
        synchronized (lock) {
            t = threads;
        }
        return t != null && t.isOwnThread();
    }

    private StopReport doStop() {
        long begin = System.nanoTime();
        long deadline = begin + config.stopGracePeriod().toNanos();
        context.beginStop();
        if (serverChannel != null) serverChannel.close().awaitUninterruptibly();
        if (wsChannel != null) wsChannel.close().awaitUninterruptibly();
        // WebSockets still in their upgrade are not connections yet: nothing of theirs to finish.
        context.closeUpgrading();
        List<ChannelConnection> open = context.manager().snapshot();
        // Connections whose socket has already closed (listed until their onConnStop ran) are not counted.
        int closedCount = (int) open.stream().filter(c -> c.channel().isActive()).count();
        boolean expired = false;
        try {
            // 1. Read nothing more; what was already dispatched still runs.
            List<Future<?>> pausing = new ArrayList<>(open.size());
            for (ChannelConnection c : open) {
                pausing.add(c.stopReading());
            }
            for (Future<?> f : pausing) f.awaitUninterruptibly(remainingMillis(deadline));
            // 2. Let every queued request finish.
            boolean drained = context.drainWorkers(deadline);
            // 3. Flush and close; closing waits for the writes only until the deadline.
            List<CompletableFuture<Void>> closing = new ArrayList<>(open.size());
            for (ChannelConnection c : open) closing.add(c.close());
            boolean closedInTime = await(closing, deadline);
            expired = !drained || !closedInTime;
            // Past the deadline: interrupt routers still running, drop what is queued, close what is left,
            // including connections accepted while the listener was closing.
            if (!drained) context.abandonWorkers();
            List<CompletableFuture<Void>> remaining = new ArrayList<>();
            Set<ChannelConnection> known = new HashSet<>(open);
            for (ChannelConnection c : context.manager().snapshot()) {
                if (!known.contains(c) && c.channel().isActive()) closedCount++;
                c.channel().close();
                remaining.add(c.closeFuture());
            }
            // onConnStop runs on the workers: give it a moment even after the deadline.
            await(remaining, System.nanoTime() + HOOK_WAIT_NANOS);
            // Our own threads end (the IO threads first: closing whatever they still hold queues its
            // onConnStop on workers that are still there to run it); a shared runtime's keep running.
            releaseThreads(System.nanoTime() + HOOK_WAIT_NANOS);
            long dropped = context.droppedRequests();
            // The IO threads have ended: every connection has counted what it discarded.
            StopReport report = new StopReport(closedCount, dropped, expired || dropped > 0,
                    Duration.ofNanos(System.nanoTime() - begin), context.discardedRequests(), context.discardedBytes());
            log.info("server {} stopped: {}", config.name(), report);
            return report;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            context.abandonWorkers();
            if (runtime == null) {
                threads.shutdownNow();
            } else {
                // The shared loops keep running: the connections must not outlive the server.
                for (ChannelConnection c : context.manager().snapshot()) c.channel().close();
                runtime.detach(this);
            }
            throw new IllegalStateException("stop of server " + config.name() + " was interrupted", e);
        }
    }

    private static String hostPort(String host, int port) {
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
    }

    private static boolean await(List<CompletableFuture<Void>> futures, long deadlineNanos) throws InterruptedException {
        try {
            CompletableFuture.allOf(futures.toArray(new CompletableFuture[0]))
                    .get(Math.max(0, deadlineNanos - System.nanoTime()), TimeUnit.NANOSECONDS);
            return true;
        } catch (java.util.concurrent.TimeoutException e) {
            return false;
        } catch (java.util.concurrent.ExecutionException e) {
            return true;
        }
    }

    private static long remainingMillis(long deadlineNanos) {
        return Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadlineNanos - System.nanoTime()));
    }

    /** Ends the server's own threads; on a shared runtime, only leaves it. */
    private void releaseThreads(long deadlineNanos) throws InterruptedException {
        if (runtime != null) {
            runtime.detach(this);
            return;
        }
        threads.shutdown(deadlineNanos);
    }

    private void removeShutdownHook() {
        Thread hook;
        synchronized (lock) {
            hook = shutdownHook;
        }
        if (hook == null || hook == Thread.currentThread()) return;
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException alreadyShuttingDown) {
            // The JVM is exiting and runs the hook itself; stop() returns the same report there.
        }
    }

    /** Completes with the stop's report once the server has stopped. */
    public CompletableFuture<StopReport> stoppedFuture() {
        return stopped;
    }

    /** Whether the server is started and not stopping. */
    public boolean isRunning() {
        synchronized (lock) {
            return state == State.RUNNING;
        }
    }

    /**
     * The bound TCP address; with port 0 this tells the port that was picked.
     *
     * @throws IllegalStateException if the server is not started, or has no TCP listener ({@code mode: websocket})
     */
    public InetSocketAddress localAddress() {
        Channel ch = serverChannel;
        if (ch == null) {
            throw new IllegalStateException("server " + config.name() + (isStarted() ? " has no TCP listener (mode "
                    + config.mode().configName() + "); see wsAddress()" : " is not started"));
        }
        return (InetSocketAddress) ch.localAddress();
    }

    /** The bound TCP port (P1); with port 0 in the config, the port that was picked. */
    public int port() {
        return localAddress().getPort();
    }

    /**
     * The bound WebSocket address (B4); with wsPort 0, the port that was picked.
     *
     * @throws IllegalStateException if the server is not started, or has no WebSocket listener ({@code mode: tcp})
     */
    public InetSocketAddress wsAddress() {
        Channel ch = wsChannel;
        if (ch == null) {
            throw new IllegalStateException("server " + config.name() + (isStarted() ? " has no WebSocket listener (mode "
                    + config.mode().configName() + "; set mode: websocket or both)" : " is not started"));
        }
        return (InetSocketAddress) ch.localAddress();
    }

    /** The bound WebSocket port; with wsPort 0 in the config, the port that was picked. */
    public int wsPort() {
        return wsAddress().getPort();
    }

    private boolean isStarted() {
        synchronized (lock) {
            return state != State.NEW;
        }
    }

    public String name() {
        return config.name();
    }

    public PagumaConfig config() {
        return config;
    }

    public Codec codec() {
        return codec;
    }

    /** The transport in use ({@code epoll}, {@code kqueue}, {@code nio}, {@code io_uring}), or null before start. */
    public String transport() {
        return transportName;
    }

    /** Bytes and messages in and out over every connection since start, open and closed (T7). */
    public Traffic traffic() {
        synchronized (lock) {
            return context == null ? Traffic.ZERO : context.traffic();
        }
    }

    /**
     * How many requests and tasks wait in each worker's queue now (P9; {@code maxWorkerTaskLen}
     * bounds each), for metrics; empty when routers run on the IO threads or before start.
     */
    public int[] workerQueueDepths() {
        EndpointContext ctx;
        synchronized (lock) {
            ctx = context;
        }
        return ctx == null ? new int[0] : ctx.workerQueueDepths();
    }

    /** Counts of the server's events since it was built (always on). */
    public EndpointStats stats() {
        return events.stats();
    }

    /** The open connections. */
    public ConnectionManager connections() {
        synchronized (lock) {
            if (context == null) throw new IllegalStateException("server " + config.name() + " is not started");
            return context.manager();
        }
    }

    /** Collects routes, hooks and config; {@link #build()} checks them and makes the server. */
    public static final class Builder extends EndpointBuilder<Builder> {
        private WebSocketAuth webSocketAuth;
        private Authenticator authenticator;

        private Builder() {
        }

        /**
         * Gates every connection on its first message (see {@link Authenticator}): nothing it sends
         * is routed before the authenticator has admitted it, and it is closed if that does not
         * happen within {@code authTimeout}.
         */
        public Builder authenticator(Authenticator authenticator) {
            this.authenticator = java.util.Objects.requireNonNull(authenticator, "authenticator");
            return this;
        }

        /**
         * Checks every WebSocket upgrade after its path and origin (Zinx's {@code SetWebsocketAuth}):
         * throwing refuses it with 403. Used with {@code mode: websocket} or {@code both}.
         */
        public Builder webSocketAuth(WebSocketAuth auth) {
            this.webSocketAuth = java.util.Objects.requireNonNull(auth, "auth");
            return this;
        }

        /** @throws ConfigException if a config value is out of range */
        public Server build() {
            return new Server(this);
        }
    }
}
