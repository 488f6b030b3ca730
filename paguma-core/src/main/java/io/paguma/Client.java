package io.paguma;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.concurrent.ScheduledFuture;
import io.paguma.internal.ChannelConnection;
import io.paguma.internal.EndpointContext;
import io.paguma.internal.EventHub;
import io.paguma.internal.Failures;
import io.paguma.internal.RuntimeThreads;
import io.paguma.internal.Tls;
import io.paguma.internal.Transports;
import io.paguma.internal.WebSockets;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;

/**
 * A Paguma client (T3): connects to a server and keeps one {@link Connection} to it, with the
 * same routes and hooks as a server, and reconnects when the connection fails or is lost.
 *
 * <pre>{@code
 * Client client = Client.builder()
 *     .host("127.0.0.1").port(8999)
 *     .config(PagumaConfig.builder().codec("paguma").build())
 *     .route(20, r -> System.out.println(r.text()))      // pushes from the server
 *     .build();
 * client.connect().join();
 * Message reply = client.request(1, "hello".getBytes()).join();
 * client.close().join();
 * }</pre>
 *
 * <p>Retries follow {@code reconnectBase} doubling up to {@code reconnectMaxDelay}, varied by
 * {@code reconnectJitter}, for at most {@code reconnectAttempts} attempts in a row (0: forever);
 * a {@link ClientListener} hears each step. While disconnected, {@link #send} and
 * {@link #request} fail at once with {@link ConnectionClosedException}, or wait in a queue of
 * {@code offlineQueueSize} and go out in order once connected. {@link #close()} stops for good:
 * it flushes what was sent, fails every request still waiting and ends the client's threads.
 * Closing the {@link #connection()} itself counts as a lost connection: the client reconnects.
 *
 * <p>The client's config is a {@link PagumaConfig}: {@code host} and {@code port} name the server
 * ({@code 0.0.0.0} and {@code ::} mean this machine), and the codec must be the server's. Routers
 * run on one worker thread ({@code workerPoolSize > 0}) or on the IO thread ({@code 0}). Methods
 * are safe from any thread. A connected client's IO thread keeps the JVM alive until
 * {@link #close()}.
 */
public final class Client {
    private static final Logger log = LoggerFactory.getLogger(Client.class);

    /** Where the client is in its life. */
    public enum State {
        /** Built, {@link #connect()} not called yet. */
        NEW,
        /** A connection attempt is under way. */
        CONNECTING,
        CONNECTED,
        /** Waiting for the next attempt after a failure or a lost connection. */
        WAITING,
        /** Closed, or gave up: nothing more happens. */
        CLOSED
    }

    private final PagumaConfig config;
    private final Codec codec;
    private final String host;
    private final MessageHandler messageHandler;
    private final Consumer<Connection> onConnStart;
    private final Consumer<Connection> onConnStop;
    private final List<ClientListener> listeners;
    private final CompletableFuture<Connection> firstConnect = new CompletableFuture<>();
    private final CompletableFuture<Void> closed = new CompletableFuture<>();
    private final Random jitter = new Random();
    private final Object lock = new Object();
    /**
     * Delivers listener events and completes {@link #connect()}'s future, one at a time in the
     * order of the state changes, on one thread of its own (made on first use, ended by close).
     */
    private final ThreadPoolExecutor events;
    /** Guarded by {@link #lock}. */
    private State state = State.NEW;
    private final ArrayDeque<Queued> offline = new ArrayDeque<>();
    private int retries;
    /** When the current connection was established, to tell a stable link from one that drops at once. */
    private long establishedAt;
    private ScheduledFuture<?> retry;
    private Channel attempt;
    /** The connection whose onConnStart runs now, and the thread running it (see the constructor). */
    private volatile ChannelConnection starting;
    private volatile Thread startingThread;
    /** The established connection, or null; read without the lock on every send. */
    private volatile ChannelConnection current;
    private final EventHub eventHub;
    /** The query of a {@code ws://} URL given to the builder, sent with every upgrade (a token, say); or null. */
    private final String wsQuery;
    /** The shared runtime this client runs on, or null: it has threads of its own. */
    private final PagumaRuntime runtime;
    /** See {@link EndpointBuilder#routersOnIoThreads()}. */
    private final boolean routersOnIoThreads;
    private RuntimeThreads threads;
    private EventLoop loop;
    private EndpointContext context;
    private Bootstrap bootstrap;

    private Client(Builder b) {
        this.config = b.effectiveConfig();
        if (config.mode() == PagumaConfig.Mode.BOTH) {
            throw new ConfigException("mode", "mode both is for servers: a client dials tcp or websocket");
        }
        config.warnKeysNotFor(ConfigKey.Scope.CLIENT);
        this.codec = b.codec != null ? b.codec : Codecs.forConfig(config);
        String h = config.host();
        this.host = h.equals("0.0.0.0") ? "127.0.0.1" : h.equals("::") ? "::1" : h;
        List<EndpointListener> own = new ArrayList<>(b.eventListeners);
        if (config.deadLinkTimeouts() > 0) own.add(new DeadLinkWatch(config.deadLinkTimeouts()));
        this.eventHub = new EventHub(own, b.runtime != null ? b.runtime.events() : null);
        // On a shared runtime, warning summaries are timers on its IO loops (no thread of their own).
        this.messageHandler = new MessageHandler(b.table, config.warnInterval(), eventHub,
                b.runtime != null ? b.runtime.scheduler() : null);
        // Sends and requests made on the client inside its own onConnStart go to the connection
        // being set up (before what waited offline), as if made on the hook's Connection.
        Consumer<Connection> hook = b.onConnStart;
        this.onConnStart = hook == null ? null : c -> {
            starting = (ChannelConnection) c;
            startingThread = Thread.currentThread();
            try {
                hook.accept(c);
            } finally {
                startingThread = null;
                starting = null;
            }
        };
        this.onConnStop = b.onConnStop;
        this.listeners = new CopyOnWriteArrayList<>(b.listeners);
        this.runtime = b.runtime;
        this.routersOnIoThreads = b.routersOnIoThreads;
        this.wsQuery = b.url != null ? b.url.getRawQuery() : null;
        // On a runtime, its one event thread; otherwise one of the client's own (made on first use).
        this.events = runtime != null ? null : RuntimeThreads.newEventThread(prefix() + "events");
    }

    public static Builder builder() {
        return new Builder();
    }

    /**
     * Starts connecting (once; later calls return the same future). The future completes with the
     * first established connection, and fails if the client gives up or is closed before that.
     * Failed attempts are retried as configured, so it may take a while; use
     * {@code orTimeout} to bound the wait. The future completes on the client's event thread
     * (never its IO thread), after which the {@code connected} listeners run: a continuation may
     * block, e.g. on a request, though it delays the client's later events while it does. On a
     * shared {@link PagumaRuntime} that thread serves every client on it: there, never wait in a
     * continuation or listener for another client's events (its connect or close).
     */
    public CompletableFuture<Connection> connect() {
        synchronized (lock) {
            if (state == State.CLOSED) {
                return CompletableFuture.failedFuture(new ConnectionClosedException("client " + config.name()
                        + " is closed; build a new client to connect again"));
            }
            if (state != State.NEW) return firstConnect;
            io.netty.handler.ssl.SslContext ssl = Tls.forClient(config);
            // Its own threads: one IO thread and at most one worker, ended by close().
            if (runtime != null && runtime.isClosed()) {
                return CompletableFuture.failedFuture(new IllegalStateException("runtime "
                        + runtime.config().name() + " is closed"));
            }
            threads = runtime != null ? runtime.attach(this)
                    : new RuntimeThreads(prefix(), config, 1, 1, Math.min(1, config.workerPoolSize()));
            Transports.Choice transport = threads.transport();
            context = new EndpointContext(threads, eventHub, true, config, codec, messageHandler, onConnStart, onConnStop,
                    ssl, this::opened, this::lost, routersOnIoThreads);
            // On a shared runtime, clients are spread over its IO loops.
            loop = threads.io().next();
            EndpointContext ctx = context;
            int port = port();
            java.net.URI webSocket = config.mode() == PagumaConfig.Mode.WEBSOCKET ? WebSockets.clientUri(config, host, wsQuery) : null;
            bootstrap = new Bootstrap()
                    .group(loop)
                    .channel(transport.clientChannel())
                    .option(ChannelOption.TCP_NODELAY, config.tcpNoDelay())
                    .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE, config.connectTimeout().toMillis()))
                    .option(ChannelOption.WRITE_BUFFER_WATER_MARK,
                            new WriteBufferWaterMark(config.writeBufferLowWaterMark(), config.writeBufferHighWaterMark()))
                    .handler(new ChannelInitializer<Channel>() {
                        @Override
                        protected void initChannel(Channel ch) {
                            ctx.initChannel(ch, host, port, webSocket);
                        }
                    });
            transport.applyKeepAlive(bootstrap, config);
            if (config.soRcvbuf() > 0) bootstrap.option(ChannelOption.SO_RCVBUF, config.soRcvbuf());
            if (config.soSndbuf() > 0) bootstrap.option(ChannelOption.SO_SNDBUF, config.soSndbuf());
            // Requests queued before connect() get their timers now.
            for (Queued q : offline) {
                if (q.timeout != null) {
                    long left = Math.max(1, ChannelConnection.timeoutNanos(q.timeout) - (System.nanoTime() - q.madeAt));
                    q.timer = loop.schedule(() -> expire(q), left, TimeUnit.NANOSECONDS);
                }
            }
            log.info("client {} connecting to {} (transport {}, codec {}{})", config.name(),
                    webSocket != null ? webSocket : host + ":" + port, transport.name(), codec.name(),
                    config.tls() ? ", TLS" : "");
            state = State.CONNECTING;
            loop.execute(this::attempt);
        }
        return firstConnect;
    }

    /**
     * On the IO thread, with the state CONNECTING: one connection attempt. The host name is looked
     * up here, before the lock is taken, so a slow lookup never holds up {@link #send},
     * {@link #state} or {@link #close}.
     */
    private void attempt() {
        InetSocketAddress address = new InetSocketAddress(host, port());
        synchronized (lock) {
            if (state != State.CONNECTING) return;
            if (address.isUnresolved()) {
                // Not handed to Netty, whose resolver would look it up again, under the lock.
                log.info("client {}: connecting to {}:{} failed: unknown host", config.name(), host, port());
                scheduleRetryLocked(new java.net.UnknownHostException(host));
                return;
            }
            // With the address resolved, connect only hands the channel to the IO thread.
            ChannelFuture f = bootstrap.connect(address);
            attempt = f.channel();
            f.addListener(done -> {
                if (!done.isSuccess()) failed(f.channel(), done.cause());
            });
            if (config.mode() == PagumaConfig.Mode.WEBSOCKET) {
                // Closed before its upgrade was done (refused, timed out), when no connection exists
                // for lost() to report: a failed attempt. Once established, this finds the attempt over.
                Channel ch = f.channel();
                ch.closeFuture().addListener(closed -> failed(ch, setupFailure(ch)));
            }
        }
    }

    /** The socket is up (IO thread or worker, after onConnStart); with TLS it counts once the handshake is done. */
    private void opened(ChannelConnection c) {
        SslHandler tls = c.channel().pipeline().get(SslHandler.class);
        if (tls == null) {
            established(c);
        } else {
            // A failed handshake closes the channel, which lost() counts as a failed attempt.
            tls.handshakeFuture().addListener(f -> {
                if (f.isSuccess()) established(c);
            });
        }
    }

    /**
     * The attempt's connection is up. What waited offline goes out first, in order, outside the
     * lock (a send's callbacks may call back into the client); sends made meanwhile join the
     * queue and go out in the next pass. Only then is the connection published to new senders
     * and the state CONNECTED. If the connection is lost meanwhile, {@link #lost} counts it as
     * a failed attempt and this gives up on it.
     */
    private void established(ChannelConnection c) {
        List<Queued> queued;
        synchronized (lock) {
            if (state != State.CONNECTING || attempt != c.channel() || !c.isOpen()) {
                c.close();
                return;
            }
            queued = takeOfflineLocked();
        }
        int sent = 0;
        try {
            while (true) {
                for (sent = 0; sent < queued.size(); sent++) queued.get(sent).sendOn(c);
                synchronized (lock) {
                    if (state != State.CONNECTING || attempt != c.channel()) {
                        // Closed, or lost while the queue went out: what was sent fails with the connection.
                        c.close();
                        return;
                    }
                    if (offline.isEmpty()) {
                        attempt = null;
                        establishedAt = System.nanoTime();
                        current = c;
                        state = State.CONNECTED;
                        post(() -> {
                            log.info("client {} connected: {}", config.name(), c);
                            firstConnect.complete(c);
                            notifyListeners("connected", l -> l.connected(c));
                        });
                        return;
                    }
                    queued = takeOfflineLocked();
                }
            }
        } catch (Throwable t) {
            // Never CONNECTED without a connection: drop this one; its loss is a failed attempt.
            log.error("client {}: setting up {} failed: {}", config.name(), c, t.toString(), t);
            c.close();
            // What this pass had not sent yet is no longer in the queue: fail it rather than leave it waiting.
            ConnectionClosedException cause = new ConnectionClosedException("client " + config.name() + ": setting up "
                    + c + " failed: " + t);
            cause.initCause(t);
            fail(queued.subList(Math.min(sent, queued.size()), queued.size()), cause);
            if (t instanceof VirtualMachineError) throw (VirtualMachineError) t;
        }
    }

    private List<Queued> takeOfflineLocked() {
        List<Queued> queued = new ArrayList<>(offline);
        offline.clear();
        return queued;
    }

    /** On the IO thread: a connection closed, established or not. */
    private void lost(ChannelConnection c) {
        synchronized (lock) {
            if (current == c) {
                current = null;
                post(() -> {
                    log.info("client {}: {} lost", config.name(), c);
                    notifyListeners("disconnected", l -> l.disconnected(c));
                });
                if (state == State.CLOSED) return;
                // A link that held for at least the base delay starts the backoff over; one that drops
                // at once (a server refusing us after accepting, say) keeps escalating it.
                if (System.nanoTime() - establishedAt >= config.reconnectBase().toNanos()) retries = 0;
                scheduleRetryLocked(new ConnectionClosedException(c + " was closed"));
                return;
            }
        }
        // Closed before it was established (a failed TLS handshake, or lost while the offline
        // queue went out): a failed attempt.
        failed(c.channel(), setupFailure(c.channel()));
    }

    /**
     * Seed 001's "after a request times out, reconnect": {@code deadLinkTimeouts} requests in a row
     * time out and not a single message (reply, push or heartbeat) arrived meanwhile, so the link
     * is taken for dead and closed at once; {@link #lost} then reconnects with the usual backoff. A
     * link on which anything arrives is slow, not dead, and is left alone. Runs on the
     * connection's IO thread (where timeouts fire), so its fields need no lock.
     */
    private final class DeadLinkWatch implements EndpointListener {
        private final int limit;
        private Connection watched;
        private long messagesInAtLastTimeout;
        private int inARow;

        DeadLinkWatch(int limit) {
            this.limit = limit;
        }

        @Override
        public void requestTimedOut(Connection c, int messageId, Duration timeout) {
            long in = c.traffic().messagesIn();
            if (c != watched || in != messagesInAtLastTimeout) {
                watched = c;
                messagesInAtLastTimeout = in;
                inARow = 1;
            } else {
                inARow++;
            }
            if (inARow == limit && c.isOpen()) {
                log.warn("client {}: {} requests in a row timed out on {} with nothing received: the link is dead"
                        + " (deadLinkTimeouts {}); closing it to reconnect", config.name(), inARow, c, limit);
                c.channel().close();
            }
        }
    }

    /** Why a channel closed before its connection was set up: a failed TLS handshake or WebSocket upgrade. */
    private Throwable setupFailure(Channel ch) {
        SslHandler tls = ch.pipeline().get(SslHandler.class);
        if (tls != null && tls.handshakeFuture().cause() != null) return tls.handshakeFuture().cause();
        Throwable why = ch.attr(ChannelConnection.SETUP_FAILURE).get();
        return why != null ? why : new ConnectionClosedException("the connection to " + host + ":" + port()
                + " closed during set-up");
    }

    /** A connection attempt failed (connect refused, timed out, TLS handshake failed). */
    private void failed(Channel channel, Throwable cause) {
        synchronized (lock) {
            if (state == State.CLOSED || attempt != channel) return;
            attempt = null;
            log.info("client {}: connecting to {}:{} failed: {}", config.name(), host, port(), cause.toString());
            scheduleRetryLocked(cause);
        }
    }

    private void scheduleRetryLocked(Throwable cause) {
        if (state == State.CLOSED) return;
        if (!config.reconnect() || (config.reconnectAttempts() > 0 && retries >= config.reconnectAttempts())) {
            giveUpLocked(cause);
            return;
        }
        int n = ++retries;
        Duration delay = Duration.ofNanos(backoffNanos(n, config.reconnectBase(), config.reconnectMaxDelay(),
                config.reconnectJitter(), jitter.nextDouble()));
        state = State.WAITING;
        retry = loop.schedule(this::retryNow, delay.toNanos(), TimeUnit.NANOSECONDS);
        log.info("client {}: reconnecting to {}:{} in {} ms (attempt {})", config.name(), host, port(),
                delay.toMillis(), n);
        post(() -> {
            eventHub.reconnecting(config.name(), n, delay, cause);
            notifyListeners("reconnecting", l -> l.reconnecting(n, delay, cause));
        });
    }

    /** On the IO thread, when the retry's delay is over. */
    private void retryNow() {
        synchronized (lock) {
            if (state != State.WAITING) return;
            state = State.CONNECTING;
            retry = null;
        }
        attempt();
    }

    private void giveUpLocked(Throwable cause) {
        int attempts = retries;
        state = State.CLOSED;
        if (config.reconnect()) {
            log.warn("client {}: gave up connecting to {}:{} after {} retries: {}", config.name(), host, port(),
                    attempts, cause.toString());
        } else {
            log.info("client {}: not reconnecting to {}:{} (reconnect is off): {}", config.name(), host, port(),
                    cause.toString());
        }
        List<Queued> waiting = takeOfflineLocked();
        ConnectionClosedException failure = new ConnectionClosedException("client " + config.name() + " gave up connecting to "
                + host + ":" + port() + " after " + attempts + " retries: " + cause);
        ConnectionClosedException connectFailure = new ConnectionClosedException("client " + config.name()
                + " gave up connecting: " + (cause.getMessage() != null ? cause.getMessage() : cause.toString()));
        post(() -> {
            fail(waiting, failure);
            firstConnect.completeExceptionally(connectFailure);
            eventHub.gaveUp(config.name(), attempts, cause);
            notifyListeners("gaveUp", l -> l.gaveUp(attempts, cause));
        });
        shutdown();
    }

    /**
     * The delay before retry {@code retry} (1-based): {@code base * 2^(retry-1)}, capped at
     * {@code cap}, then varied by up to {@code jitter} either way; {@code random} is uniform in [0, 1).
     */
    static long backoffNanos(int retry, Duration base, Duration cap, double jitter, double random) {
        long capNanos = cap.toNanos();
        int shift = Math.min(Math.max(retry - 1, 0), 62);
        long b = base.toNanos();
        long d = b > (capNanos >> shift) ? capNanos : Math.min(capNanos, b << shift);
        return Math.max(1, Math.round(d * (1 + jitter * (2 * random - 1))));
    }

    /** Thread names of the client's own threads: {@code paguma-client-} for the default name, else {@code paguma-<name>-client-}. */
    private String prefix() {
        return RuntimeThreads.prefix(config.name()) + "client-";
    }

    /** The host the client connects to ({@code 0.0.0.0} in the config becomes {@code 127.0.0.1}). */
    public String host() {
        return host;
    }

    /** The server port the client connects to. */
    public int port() {
        return config.mode() == PagumaConfig.Mode.WEBSOCKET ? config.wsPort() : config.port();
    }

    /** Inside onConnStart, on the thread running it: the connection being set up; else null. */
    private ChannelConnection startingHere() {
        return startingThread == Thread.currentThread() ? starting : null;
    }

    /** The established connection, or null while disconnected. */
    public Connection connection() {
        return current;
    }

    public State state() {
        synchronized (lock) {
            return state;
        }
    }

    /** Whether a connection is established right now. */
    public boolean isConnected() {
        ChannelConnection c = current;
        return c != null && c.isOpen();
    }

    /**
     * Sends on the current connection, see {@link Connection#send}. While disconnected the message
     * waits in the offline queue, or fails at once when it is full or has size 0.
     */
    public CompletableFuture<Void> send(Message message) {
        Objects.requireNonNull(message, "message");
        ChannelConnection c = current;
        if (c != null) return c.send(message);
        if ((c = startingHere()) != null) return c.send(message);
        synchronized (lock) {
            c = current;
            if (c == null) return enqueueLocked(new Queued(message, null));
        }
        return c.send(message);
    }

    public CompletableFuture<Void> send(int id, byte[] data) {
        return send(new Message(id, data));
    }

    public CompletableFuture<Void> send(int id, String text) {
        return send(new Message(id, text.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
    }

    /**
     * A request on the current connection, see {@link Connection#request}. While disconnected it
     * waits in the offline queue like a send; its timeout runs from this call.
     */
    public CompletableFuture<Message> request(Message message, Duration timeout) {
        Objects.requireNonNull(message, "message");
        Objects.requireNonNull(timeout, "timeout");
        ChannelConnection c = current;
        if (c != null) return c.request(message, timeout);
        if ((c = startingHere()) != null) return c.request(message, timeout);
        synchronized (lock) {
            c = current;
            if (c == null) return enqueueLocked(new Queued(message, timeout));
        }
        return c.request(message, timeout);
    }

    public CompletableFuture<Message> request(Message message) {
        return request(message, config.requestTimeout());
    }

    public CompletableFuture<Message> request(int id, byte[] data) {
        return request(new Message(id, data));
    }

    public CompletableFuture<Message> request(int id, byte[] data, Duration timeout) {
        return request(new Message(id, data), timeout);
    }

    public CompletableFuture<Message> request(int id, String text) {
        return request(new Message(id, text.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
    }

    @SuppressWarnings("unchecked")
    private <T> CompletableFuture<T> enqueueLocked(Queued q) {
        if (state == State.CLOSED) {
            q.future.completeExceptionally(new ConnectionClosedException("client " + config.name() + " is closed"));
        } else if (offline.size() >= config.offlineQueueSize()) {
            q.future.completeExceptionally(new ConnectionClosedException("client " + config.name() + " is not connected"
                    + (config.offlineQueueSize() == 0 ? " (set offlineQueueSize to hold messages until it is)"
                    : " and its offline queue of " + config.offlineQueueSize() + " is full")));
        } else {
            q.hold();
            offline.add(q);
            if (q.timeout != null && loop != null) {
                q.timer = loop.schedule(() -> expire(q), ChannelConnection.timeoutNanos(q.timeout), TimeUnit.NANOSECONDS);
            }
            // A cancel frees the place in the queue, or the request's waiter once it has been sent.
            q.future.whenComplete((v, e) -> {
                if (q.future.isCancelled()) cancelled(q);
            });
        }
        return (CompletableFuture<T>) q.future;
    }

    private void cancelled(Queued q) {
        boolean removed;
        synchronized (lock) {
            removed = offline.remove(q);
        }
        if (removed) q.letGo();
        q.cancelInner();
    }

    /** On the IO thread, when a request has waited offline for its whole timeout. */
    private void expire(Queued q) {
        synchronized (lock) {
            if (!offline.remove(q)) return;
        }
        q.letGo();
        q.future.completeExceptionally(new TimeoutException("request with message id "
                + Integer.toUnsignedString(q.message.id()) + " waited " + q.timeout.toMillis()
                + " ms for client " + config.name() + " to connect"));
    }

    /** Fails sends and requests taken from the offline queue; never called with the lock held. */
    private static void fail(List<Queued> queued, Throwable cause) {
        for (Queued q : queued) {
            if (q.timer != null) q.timer.cancel(false);
            q.letGo();
            q.future.completeExceptionally(cause);
        }
    }

    /** Counts of the client's events since it was built (always on). */
    public EndpointStats stats() {
        return eventHub.stats();
    }

    /** Totals over every connection this client has had (T7). */
    public Traffic traffic() {
        EndpointContext ctx;
        synchronized (lock) {
            ctx = context;
        }
        return ctx == null ? Traffic.ZERO : ctx.traffic();
    }

    /**
     * Stops for good: no more attempts; sends waiting offline fail; the connection flushes what
     * was sent and closes cleanly (requests still waiting for replies fail with
     * {@link ConnectionClosedException}); then the client's threads end. The future completes
     * when all that is done, after the {@code closed} listeners have run. Safe to call more than
     * once and from any thread, including the client's own (but do not wait for the future
     * there: it needs those threads to end).
     */
    public CompletableFuture<Void> close() {
        ChannelConnection c;
        Channel connecting;
        List<Queued> waiting;
        boolean started;
        ConnectionClosedException cause = new ConnectionClosedException("client " + config.name() + " is closed");
        synchronized (lock) {
            if (state == State.CLOSED) return closed;
            started = state != State.NEW;
            state = State.CLOSED;
            if (retry != null) retry.cancel(false);
            waiting = takeOfflineLocked();
            c = current;
            current = null;
            connecting = attempt;
            attempt = null;
            if (started) {
                post(() -> firstConnect.completeExceptionally(cause));
            }
        }
        // Outside the lock: these complete futures whose callbacks may call back into the client.
        fail(waiting, cause);
        if (!started) {
            firstConnect.completeExceptionally(cause);
            if (runtime == null) events.shutdown();
            closed.complete(null);
            return closed;
        }
        // Done once the connection (established, or the attempt's if it got that far) has run its
        // onConnStop: on a shared runtime nothing else waits for the hooks.
        ChannelConnection attempted = connecting == null ? null : ChannelConnection.of(connecting);
        if (connecting != null) connecting.close();
        if (c != null) {
            c.close().whenComplete((v, e) -> shutdown());
        } else if (attempted != null) {
            attempted.closeFuture().whenComplete((v, e) -> shutdown());
        } else {
            shutdown();
        }
        return closed;
    }

    /**
     * After close or giving up: ends the worker and IO thread, then delivers {@code closed} on the
     * event thread after every earlier event, then completes {@link #closed}.
     */
    private void shutdown() {
        context.releaseClientWorker();
        if (runtime != null) {
            // The runtime's threads keep running: only this client's last event is left.
            runtime.detach(this);
            post(() -> {
                notifyListeners("closed", ClientListener::closed);
                closed.complete(null);
            });
            return;
        }
        Thread t = new Thread(() -> {
            try {
                threads.shutdown(System.nanoTime() + TimeUnit.SECONDS.toNanos(5));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                post(() -> notifyListeners("closed", ClientListener::closed));
                events.shutdown();
                try {
                    // A listener that blocks (on this very future, say) holds this up for a while, not forever.
                    events.awaitTermination(5, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                closed.complete(null);
            }
        }, prefix() + "close");
        t.setDaemon(true);
        t.start();
    }

    /** Completes when the client has closed (or given up) and its threads have ended. */
    public CompletableFuture<Void> closeFuture() {
        return closed;
    }

    public PagumaConfig config() {
        return config;
    }

    public Codec codec() {
        return codec;
    }

    /**
     * Hands an event to the event thread. Called with the lock held, so events are queued in the
     * order of the state changes they report; they run without it.
     */
    private void post(Runnable event) {
        try {
            (runtime != null ? threads.events() : events).execute(event);
        } catch (RejectedExecutionException e) {
            // Our own event thread refuses only after the final closed event: nothing is left to hear
            // it. A shared runtime's ends with the runtime, possibly before this client is done
            // closing: run the event here, so closed still completes.
            if (runtime != null) event.run();
        }
    }

    /** On the event thread: runs one event on every listener; one that throws does not stop the others. */
    private void notifyListeners(String event, Consumer<ClientListener> call) {
        for (ClientListener l : listeners) {
            try {
                call.accept(l);
            } catch (VirtualMachineError e) {
                Failures.error(log, "client " + config.name() + ": listener threw in " + event + ": " + Failures.describe(e), e);
                throw e;
            } catch (Error e) {
                Failures.error(log, "client " + config.name() + ": listener threw in " + event + ": " + Failures.describe(e), e);
            } catch (RuntimeException e) {
                Failures.warn(log, "client " + config.name() + ": listener threw in " + event + ": " + Failures.describe(e), e);
            }
        }
    }

    /** A send or request made while disconnected. */
    private static final class Queued {
        final Message message;
        /** Null for a send. */
        final Duration timeout;
        final long madeAt = System.nanoTime();
        final CompletableFuture<?> future = new CompletableFuture<>();
        ScheduledFuture<?> timer;
        /** The request made on the connection for a queued request, so a cancel reaches its waiter. */
        private volatile CompletableFuture<Message> inner;
        /** A buffer payload is retained while it waits here (the caller may release its own at once). */
        private final java.util.concurrent.atomic.AtomicBoolean held = new java.util.concurrent.atomic.AtomicBoolean();

        void hold() {
            message.retain();
            held.set(true);
        }

        /** Lets go of the queue's reference, once, whichever way it leaves the queue. */
        void letGo() {
            if (held.compareAndSet(true, false)) message.release();
        }

        Queued(Message message, Duration timeout) {
            this.message = message;
            this.timeout = timeout;
        }

        void sendOn(ChannelConnection c) {
            try {
                sendOnNow(c);
            } finally {
                // The connection's send holds its own reference from here on.
                letGo();
            }
        }

        @SuppressWarnings("unchecked")
        private void sendOnNow(ChannelConnection c) {
            if (timer != null) timer.cancel(false);
            if (future.isDone()) return;
            if (timeout == null) {
                CompletableFuture<Void> f = (CompletableFuture<Void>) future;
                c.send(message).whenComplete((v, e) -> {
                    if (e != null) f.completeExceptionally(e);
                    else f.complete(null);
                });
            } else {
                CompletableFuture<Message> f = (CompletableFuture<Message>) future;
                long left = Math.max(1, ChannelConnection.timeoutNanos(timeout) - (System.nanoTime() - madeAt));
                CompletableFuture<Message> r = c.request(message, Duration.ofNanos(left));
                inner = r;
                // Cancelled between the check above and now: the cancel did not see inner yet.
                if (f.isCancelled()) r.cancel(false);
                r.whenComplete((m, e) -> {
                    if (e != null) f.completeExceptionally(e);
                    else f.complete(m);
                });
            }
        }

        void cancelInner() {
            if (timer != null) timer.cancel(false);
            CompletableFuture<Message> r = inner;
            if (r != null) r.cancel(false);
        }
    }

    /** Collects the server address, config, routes, hooks and listeners; {@link #build()} makes the client. */
    public static final class Builder extends EndpointBuilder<Builder> {
        private final List<ClientListener> listeners = new ArrayList<>();
        private java.net.URI url;

        private Builder() {
        }

        /**
         * Runs on every new connection, the first and each reconnection, before its first message is
         * handled, and before what waited in the offline queue is sent: the place to log in or
         * re-subscribe. Inside it, the client's own {@code send} and {@code request} go to this
         * connection (as the hook's {@code Connection} does), though the client is not CONNECTED yet.
         * Do not wait for a reply here with {@code workerPoolSize: 0} (the hook then runs on the IO
         * thread that would read it); keep the future, or use {@link ClientListener#connected}.
         */
        @Override
        public Builder onConnStart(Consumer<Connection> hook) {
            return super.onConnStart(hook);
        }

        /** Adds a listener for connects, losses, retries and close. */
        public Builder listener(ClientListener listener) {
            listeners.add(Objects.requireNonNull(listener, "listener"));
            return this;
        }

        /**
         * Sets where to connect from a URL: {@code tcp://host:port}, {@code ws://host:port/path}
         * or {@code wss://host:port/path} (TLS, trusting {@code tlsTrust} or the JDK's CAs). It sets
         * the config's {@code host}, {@code mode}, {@code port} or {@code wsPort} and {@code wsPath},
         * and {@code tls} for {@code wss}, whatever the order of the calls. A query
         * ({@code ?token=...}) is sent with every upgrade, for the server's {@code webSocketAuth}.
         *
         * @throws IllegalArgumentException if the URL has another scheme, or no host or port
         */
        public Builder url(String url) {
            java.net.URI u = java.net.URI.create(Objects.requireNonNull(url, "url"));
            String scheme = u.getScheme() == null ? "" : u.getScheme().toLowerCase(java.util.Locale.ROOT);
            if (!scheme.equals("tcp") && !scheme.equals("ws") && !scheme.equals("wss")) {
                throw new IllegalArgumentException("url " + url + ": the scheme must be tcp, ws or wss");
            }
            if (u.getHost() == null || u.getPort() < 0) {
                throw new IllegalArgumentException("url " + url + ": a host and a port are needed (ws://127.0.0.1:9000/)");
            }
            this.url = u;
            return this;
        }

        @Override
        PagumaConfig effectiveConfig() {
            PagumaConfig c = super.effectiveConfig();
            if (url == null) return c;
            PagumaConfig.Builder b = c.toBuilder();
            String h = url.getHost();
            b.host(h.startsWith("[") && h.endsWith("]") ? h.substring(1, h.length() - 1) : h);
            switch (url.getScheme().toLowerCase(java.util.Locale.ROOT)) {
                case "tcp" -> b.mode(PagumaConfig.Mode.TCP).port(url.getPort());
                case "wss" -> b.mode(PagumaConfig.Mode.WEBSOCKET).wsPort(url.getPort()).tls(true);
                // The scheme decides: ws:// is plain even if the config says tls.
                default -> b.mode(PagumaConfig.Mode.WEBSOCKET).wsPort(url.getPort()).tls(false);
            }
            if (!url.getScheme().equalsIgnoreCase("tcp")) {
                String path = url.getRawPath() == null || url.getRawPath().isEmpty() ? "/" : url.getRawPath();
                b.wsPath(path);
            }
            return b.build();
        }

        /** @throws ConfigException if a config value is out of range */
        public Client build() {
            return new Client(this);
        }
    }
}
