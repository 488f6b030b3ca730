package io.paguma.redis;

import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisChannelHandler;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.RedisCommandTimeoutException;
import io.lettuce.core.RedisConnectionStateListener;
import io.lettuce.core.RedisURI;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.codec.RedisCodec;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.EventLoopGroupProvider;
import io.lettuce.core.resource.Transports;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.EventExecutorGroup;
import io.netty.util.concurrent.ImmediateEventExecutor;
import io.netty.util.internal.ThreadExecutorMap;
import io.paguma.ConfigSection;
import io.paguma.PagumaRuntime;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;

/**
 * One Lettuce client and its two connections to Redis, commands and pub/sub, for one
 * {@link RedisSharedData} or {@link RedisRegistry}. It makes them when created, and again whenever
 * they break (at once, then every {@code redis.reconnectDelay} while Redis does not answer): Lettuce's
 * own reconnection is off, so a command Redis may not have run is never sent twice, and one that
 * cannot be answered fails instead of waiting. After each connection it subscribes the channels it
 * was asked for again and asks Redis to announce expired keys ({@code notify-keyspace-events Ex}).
 *
 * <p>With a runtime, Lettuce's channels and its timers run on the runtime's IO event loops, which it
 * never shuts down; without one, Lettuce's default resources are made here and end with {@link
 * #closeAsync()}. Every call is asynchronous; futures complete on a Lettuce IO thread.
 */
final class RedisLink {
    private static final Logger log = LoggerFactory.getLogger(RedisLink.class);
    static final RedisCodec<String, byte[]> CODEC = RedisCodec.of(StringCodec.UTF8, ByteArrayCodec.INSTANCE);

    /** What the owner hears: pub/sub messages, on a Lettuce IO thread, in the order Redis sent them. */
    interface Listener {
        void message(String channel, byte[] message);

        /** A new pair of connections is up and the channels are subscribed again (after a break, things may have been missed). */
        default void connected() {
        }
    }

    private record Connections(StatefulRedisConnection<String, byte[]> commands,
                               StatefulRedisPubSubConnection<String, byte[]> pubSub) {
        boolean open() {
            return commands.isOpen() && pubSub.isOpen();
        }

        boolean has(Object connection) {
            return connection == commands || connection == pubSub;
        }

        CompletableFuture<Void> close() {
            return CompletableFuture.allOf(commands.closeAsync(), pubSub.closeAsync());
        }
    }

    /** A Lua script and its SHA-1, run by EVALSHA (EVAL once Redis does not know it, e.g. after a restart). */
    record Script(String name, String source, String sha) {
        static Script of(String name, String source) {
            try {
                byte[] digest = MessageDigest.getInstance("SHA-1").digest(source.getBytes(StandardCharsets.UTF_8));
                return new Script(name, source, HexFormat.of().formatHex(digest));
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException("no SHA-1 in this JVM", e);
            }
        }
    }

    private final String owner;
    private final RedisURI uri;
    private final String address;
    private final Duration timeout;
    private final Duration reconnectDelay;
    private final ClientResources resources;
    private final RedisClient client;
    private final Listener listener;
    /** Runs the reconnection timer: the runtime's IO loops or Lettuce's own computation threads. */
    private final EventExecutorGroup scheduler;
    private final Set<String> channels = ConcurrentHashMap.newKeySet();
    private final String expiredChannel;
    private final Object lock = new Object();
    /** The connections, or the attempt to make them; null between a break and the next attempt. Guarded by lock. */
    private CompletableFuture<Connections> current;
    /** Guarded by lock. */
    private boolean closed;
    /** Guarded by lock. */
    private Future<?> retry;
    private volatile boolean keyspaceWarned;
    private volatile boolean unreachableLogged;
    private final CompletableFuture<Void> closeDone = new CompletableFuture<>();

    /**
     * @param owner    names the owner in messages and logs ({@code shared data 'chat'})
     * @param config   section {@code redis:}'s values
     * @param runtime  whose IO loops Lettuce runs on; null: Lettuce's own threads
     * @param channels subscribed from the first connection on
     * @param listener hears the pub/sub messages
     */
    RedisLink(String owner, ConfigSection.Values config, PagumaRuntime runtime, Set<String> channels, Listener listener) {
        this.owner = owner;
        this.uri = RedisURI.create(config.get(RedisConfig.URI));
        this.timeout = config.get(RedisConfig.COMMAND_TIMEOUT);
        this.reconnectDelay = config.get(RedisConfig.RECONNECT_DELAY);
        this.listener = listener;
        this.channels.addAll(channels);
        uri.setTimeout(timeout);
        this.address = uri.getHost() + ":" + uri.getPort();
        this.expiredChannel = "__keyevent@" + uri.getDatabase() + "__:expired";
        this.resources = resources(runtime, owner);
        this.scheduler = resources.eventExecutorGroup();
        this.client = RedisClient.create(resources, uri);
        client.setOptions(ClientOptions.builder()
                .autoReconnect(false)
                .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                .timeoutOptions(TimeoutOptions.enabled(timeout))
                .socketOptions(SocketOptions.builder().connectTimeout(timeout).keepAlive(true).build())
                .build());
        client.addListener(new RedisConnectionStateListener() {
            @Override
            public void onRedisDisconnected(RedisChannelHandler<?, ?> connection) {
                lost(connection);
            }
        });
        synchronized (lock) {
            connect();
        }
    }

    /**
     * Commands written in one turn of the event loop go out in one flush: with many operations in
     * flight, Redis reads dozens of commands per read instead of one or two (Lettuce flushes each
     * command as it is written).
     */
    private static ClientResources.Builder consolidatingFlushes(ClientResources.Builder b) {
        return b.nettyCustomizer(new io.lettuce.core.resource.NettyCustomizer() {
            @Override
            public void afterChannelInitialized(io.netty.channel.Channel channel) {
                channel.pipeline().addFirst(new io.netty.handler.flush.FlushConsolidationHandler(256, true));
            }
        });
    }

    private static ClientResources resources(PagumaRuntime runtime, String owner) {
        if (runtime == null) return consolidatingFlushes(ClientResources.builder()).build();
        String lettuces = transportOf(Transports.socketChannelClass());
        if (!lettuces.equals(runtime.transport())) {
            log.warn("{}: Lettuce uses transport {} but runtime {} uses {}: Lettuce runs on threads of its own, not on"
                            + " the runtime's (set the runtime's transport to {} to share them)", owner, lettuces,
                    runtime.config().name(), runtime.transport(), lettuces);
            return consolidatingFlushes(ClientResources.builder()).build();
        }
        EventLoopGroup loops = runtime.ioEventLoops();
        return consolidatingFlushes(ClientResources.builder())
                .eventLoopGroupProvider(new RuntimeLoops(loops))
                .eventExecutorGroup(loops)
                .build();
    }

    private static String transportOf(Class<?> socketChannel) {
        String n = socketChannel.getSimpleName();
        if (n.startsWith("Epoll")) return "epoll";
        if (n.startsWith("KQueue")) return "kqueue";
        if (n.startsWith("IoUring")) return "io_uring";
        return "nio";
    }

    /** Lends the runtime's IO loops to Lettuce, which never ends them: the runtime does, after Lettuce has closed. */
    private record RuntimeLoops(EventLoopGroup loops) implements EventLoopGroupProvider {
        @Override
        @SuppressWarnings("unchecked")
        public <T extends EventLoopGroup> T allocate(Class<T> type) {
            return (T) loops;
        }

        @Override
        public int threadPoolSize() {
            int n = 0;
            for (var ignored : loops) n++;
            return n;
        }

        @Override
        public io.netty.util.concurrent.Future<Boolean> release(EventExecutorGroup group, long quiet, long timeout, TimeUnit unit) {
            return ImmediateEventExecutor.INSTANCE.newSucceededFuture(true);
        }

        @Override
        public io.netty.util.concurrent.Future<Boolean> shutdown(long quiet, long timeout, TimeUnit unit) {
            return ImmediateEventExecutor.INSTANCE.newSucceededFuture(true);
        }
    }

    /** host:port, for messages. */
    String address() {
        return address;
    }

    Duration timeout() {
        return timeout;
    }

    /** The executor of Lettuce's timers and computations (the runtime's IO loops, when there is one). */
    EventExecutorGroup scheduler() {
        return scheduler;
    }

    // --- Connections

    /** Starts an attempt; under lock. */
    private void connect() {
        CompletableFuture<Connections> attempt = new CompletableFuture<>();
        current = attempt;
        CompletableFuture<StatefulRedisConnection<String, byte[]>> commands =
                client.connectAsync(CODEC, uri).toCompletableFuture();
        CompletableFuture<StatefulRedisPubSubConnection<String, byte[]>> pubSub =
                client.connectPubSubAsync(CODEC, uri).toCompletableFuture();
        CompletableFuture.allOf(commands, pubSub).whenComplete((v, failure) -> {
            if (failure != null) {
                commands.thenAccept(StatefulRedisConnection::closeAsync);
                pubSub.thenAccept(StatefulRedisPubSubConnection::closeAsync);
                failed(attempt, unwrap(failure));
                return;
            }
            Connections c = new Connections(commands.join(), pubSub.join()); // both done: no wait
            c.pubSub().addListener(new RedisPubSubAdapter<>() {
                @Override
                public void message(String channel, byte[] message) {
                    listener.message(channel, message);
                }
            });
            announceExpiredKeys(c.commands().async());
            String[] all = channels.toArray(new String[0]);
            String[] withExpired = java.util.Arrays.copyOf(all, all.length + 1);
            withExpired[all.length] = expiredChannel;
            // Lettuce completes a SUBSCRIBE of several channels at the first confirmation; the PING's
            // reply comes after all of them, so what is sent once the attempt completes is not taken
            // for confirmed by one of them.
            c.pubSub().async().subscribe(withExpired).toCompletableFuture()
                    .thenCompose(ok -> c.pubSub().async().ping().toCompletableFuture()).whenComplete((ok, e) -> {
                if (e != null) {
                    c.close();
                    failed(attempt, unwrap(e));
                    return;
                }
                boolean keep;
                synchronized (lock) {
                    keep = !closed && current == attempt;
                }
                if (!keep) {
                    c.close();
                    attempt.completeExceptionally(new Closed());
                    return;
                }
                if (unreachableLogged) {
                    unreachableLogged = false;
                    log.info("{}: connected to Redis at {} again", owner, address);
                }
                attempt.complete(c);
                listener.connected();
            });
        });
    }

    private void failed(CompletableFuture<Connections> attempt, Throwable cause) {
        attempt.completeExceptionally(cause);
        synchronized (lock) {
            if (closed || current != attempt) return;
            if (!unreachableLogged) {
                unreachableLogged = true;
                log.warn("{}: Redis at {} is unreachable ({}); trying again every {}", owner, address, describeCause(cause),
                        text(reconnectDelay));
            }
            try {
                retry = scheduler.schedule(this::retry, reconnectDelay.toNanos(), TimeUnit.NANOSECONDS);
            } catch (java.util.concurrent.RejectedExecutionException ended) {
                log.warn("{}: cannot try Redis at {} again: its threads have ended (was the runtime closed first?)", owner, address);
            }
        }
    }

    private void retry() {
        synchronized (lock) {
            if (closed) return;
            CompletableFuture<Connections> c = current;
            if (c == null || c.isCompletedExceptionally()) connect();
        }
    }

    /** A connection closed (Redis went away, or the link closes): drops the pair and makes a new one at once. */
    private void lost(Object connection) {
        Connections gone = null;
        synchronized (lock) {
            CompletableFuture<Connections> c = current;
            if (closed || c == null || !c.isDone() || c.isCompletedExceptionally() || !c.join().has(connection)) return;
            gone = c.join();
            unreachableLogged = true;
            log.warn("{}: lost the connection to Redis at {}; reconnecting", owner, address);
            connect();
        }
        gone.close();
    }

    /** Asks Redis to publish expired keys on {@code __keyevent@<db>__:expired}, keeping the events it already publishes. */
    private void announceExpiredKeys(RedisAsyncCommands<String, byte[]> commands) {
        commands.configGet("notify-keyspace-events").toCompletableFuture().thenCompose(current -> {
            String flags = current.getOrDefault("notify-keyspace-events", "");
            String wanted = flags + (flags.contains("E") ? "" : "E") + (flags.contains("x") || flags.contains("A") ? "" : "x");
            if (wanted.equals(flags)) return CompletableFuture.completedFuture("OK");
            return commands.configSet("notify-keyspace-events", wanted).toCompletableFuture();
        }).whenComplete((ok, e) -> {
            if (e == null || keyspaceWarned) return;
            keyspaceWarned = true;
            log.warn("{}: Redis at {} refused CONFIG GET/SET notify-keyspace-events ({}): expired keys will not be"
                            + " announced, so EXPIRED notifications (shared data) and the early LEFT of members that stopped"
                            + " refreshing (registry; their resync still finds them) will not arrive; set notify-keyspace-events"
                            + " to include E and x in Redis's configuration", owner, address, unwrap(e).getMessage());
        });
    }

    // --- Commands

    /**
     * Runs {@code command} on the commands connection once it is up. Fails (with a cause to give to
     * {@link #describe}) when the link is closed or Redis is unreachable; never waits longer than an
     * attempt to connect, or than the command timeout for the command itself.
     */
    <T> CompletableFuture<T> call(Function<RedisAsyncCommands<String, byte[]>, CompletionStage<T>> command) {
        CompletableFuture<Connections> c;
        synchronized (lock) {
            if (closed) return CompletableFuture.failedFuture(new Closed());
            c = current;
            if (c == null) {
                connect();
                c = current;
            }
        }
        if (c.isDone() && !c.isCompletedExceptionally()) {
            Connections conns = c.join();
            if (!conns.open()) {
                lost(conns.commands());
                return CompletableFuture.failedFuture(new Unreachable("the connection closed"));
            }
            return command.apply(conns.commands().async()).toCompletableFuture();
        }
        return c.handle((conns, e) -> {
            if (e != null) {
                Throwable why = unwrap(e);
                return CompletableFuture.<T>failedFuture(why instanceof Closed ? why : new Unreachable(describeCause(why)));
            }
            return command.apply(conns.commands().async()).toCompletableFuture();
        }).thenCompose(Function.identity());
    }

    /**
     * Runs a script by {@code EVAL}, its source in every call: never answered {@code NOSCRIPT}, so
     * never sent a second time behind commands issued after it (an {@code EVALSHA} answered
     * NOSCRIPT after a restart or a {@code SCRIPT FLUSH}, sent again as EVAL, would be), and
     * needing no {@code SCRIPT} command, which ACLs or proxies may refuse. Redis caches the
     * compiled script by its SHA-1; the cost is the source's bytes and their hash per call.
     */
    <T> CompletableFuture<T> script(Script s, ScriptOutputType type, String[] keys, byte[]... args) {
        return this.call(cmd -> cmd.eval(s.source(), type, keys, args));
    }

    /**
     * Completes (normally, either way) once the connection attempt under way has ended: commands
     * issued after it go out in the order issued. Starts an attempt if there is none.
     */
    CompletableFuture<Void> ready() {
        CompletableFuture<Connections> c;
        synchronized (lock) {
            if (closed) return CompletableFuture.completedFuture(null);
            c = current;
            if (c == null) {
                connect();
                c = current;
            }
        }
        return c.isDone() ? CompletableFuture.completedFuture(null) : c.handle((conns, e) -> null);
    }

    /** Subscribes {@code channel} now, and again on every later connection; completes once Redis confirmed it (or there is no connection). */
    /** Subscribes the channel, now and after each reconnection; completes when Redis confirmed it. */
    CompletableFuture<Void> subscribe(String channel) {
        channels.add(channel);
        return onPubSub(p -> p.subscribe(channel));
    }

    /**
     * A PING on the pub/sub connection: it completes after every message Redis published before it
     * has been handed to the listener, and before any published after it.
     */
    CompletableFuture<Void> fence() {
        return onPubSub(p -> p.ping().thenApply(pong -> null));
    }

    CompletableFuture<Void> unsubscribe(String channel) {
        channels.remove(channel);
        return onPubSub(p -> p.unsubscribe(channel));
    }

    private CompletableFuture<Void> onPubSub(
            Function<io.lettuce.core.pubsub.api.async.RedisPubSubAsyncCommands<String, byte[]>, CompletionStage<Void>> op) {
        CompletableFuture<Connections> c;
        synchronized (lock) {
            if (closed) return CompletableFuture.completedFuture(null);
            c = current;
        }
        if (c == null) return CompletableFuture.completedFuture(null);
        return c.handle((conns, e) -> conns).thenCompose(conns -> {
            if (conns == null || !conns.pubSub().isOpen()) return CompletableFuture.completedFuture(null);
            return op.apply(conns.pubSub().async()).handle((v, e) -> null);
        });
    }

    /** The channel Redis announces expired keys on. */
    String expiredChannel() {
        return expiredChannel;
    }

    // --- Failures

    /** A failure's cause, for the owner's exception: "Redis at host:port did not answer {what} within 2s", ... */
    String describe(Throwable failure, String what) {
        Throwable t = unwrap(failure);
        if (t instanceof Closed) return owner + " is closed";
        if (t instanceof RedisCommandTimeoutException || t instanceof TimeoutException) {
            return "Redis at " + address + " did not answer " + what + " within " + text(timeout) + " (redis.commandTimeout)";
        }
        if (t instanceof RedisCommandExecutionException) {
            return "Redis at " + address + " refused " + what + ": " + t.getMessage();
        }
        if (t instanceof Unreachable) return "Redis at " + address + " is unreachable (" + t.getMessage() + "): " + what + " failed";
        return "Redis at " + address + " is unreachable (" + describeCause(t) + "): " + what + " failed";
    }

    /** Whether the failure is the link being closed. */
    static boolean isClosed(Throwable failure) {
        return unwrap(failure) instanceof Closed;
    }

    private static String describeCause(Throwable t) {
        if (t == null) return "not connected";
        Throwable root = t;
        while (root.getCause() != null && root.getCause() != root) root = root.getCause();
        String m = root.getMessage();
        return m == null ? root.getClass().getSimpleName() : m;
    }

    /** {@code 2s}, {@code 900ms}: as durations are written in the configuration. */
    static String text(Duration d) {
        long ms = d.toMillis();
        return ms % 1000 == 0 ? ms / 1000 + "s" : ms + "ms";
    }

    static Throwable unwrap(Throwable t) {
        while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) t = t.getCause();
        return t;
    }

    /** The link is closed. */
    static final class Closed extends RuntimeException {
        Closed() {
            super("closed", null, false, false);
        }
    }

    /** Redis cannot be reached now. */
    static final class Unreachable extends RuntimeException {
        Unreachable(String message) {
            super(message, null, false, false);
        }
    }

    // --- Close

    /**
     * Closes the connections, then the client, then the resources made here (never the runtime's
     * loops); the future completes when that is done. Safe to call twice.
     */
    CompletableFuture<Void> closeAsync() {
        CompletableFuture<Connections> c;
        synchronized (lock) {
            if (closed) return closeDone;
            closed = true;
            c = current;
            current = null;
            if (retry != null) retry.cancel(false);
        }
        CompletableFuture<Void> connections = c == null ? CompletableFuture.completedFuture(null)
                : c.handle((conns, e) -> conns).thenCompose(conns -> conns == null ? CompletableFuture.completedFuture(null)
                        : conns.close());
        long ms = timeout.toMillis();
        // Bounded: connections on loops that have ended (a runtime closed first) never answer, and
        // the resources (their timer thread) must be shut down all the same.
        connections.completeOnTimeout(null, ms, TimeUnit.MILLISECONDS).handle((v, e) -> null)
                .thenCompose(v -> client.shutdownAsync(0, ms, TimeUnit.MILLISECONDS))
                .handle((v, e) -> {
                    if (e != null) log.debug("{}: closing the Lettuce client failed", owner, e);
                    return null;
                })
                .thenCompose(v -> {
                    CompletableFuture<Void> done = new CompletableFuture<>();
                    try {
                        resources.shutdown(0, ms, TimeUnit.MILLISECONDS).addListener(f -> done.complete(null));
                    } catch (RuntimeException e) {
                        log.debug("{}: shutting down the Lettuce resources failed", owner, e);
                        done.complete(null);
                    }
                    return done.completeOnTimeout(null, ms + 1000, TimeUnit.MILLISECONDS);
                })
                .whenComplete((v, e) -> closeDone.complete(null));
        return closeDone;
    }

    /**
     * {@link #closeAsync()}, waiting for it unless called on an event loop (which it may need to
     * finish): there it returns at once and the closing goes on.
     */
    void close() {
        CompletableFuture<Void> done = closeAsync();
        if (ThreadExecutorMap.currentExecutor() != null) return;
        try {
            done.get(timeout.toMillis() * 3 + 1000, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            log.warn("{}: the Redis client did not close within {} ms", owner, timeout.toMillis() * 3 + 1000);
        }
    }
}
