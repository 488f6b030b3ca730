package io.paguma.internal;

import io.paguma.Codec;
import io.paguma.Connection;
import io.paguma.MessageHandler;
import io.paguma.PagumaConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/** What every connection of one server shares: config, codec, routes, hooks, workers, manager. */
public final class ServerContext {
    static final Logger log = LoggerFactory.getLogger("io.paguma.Server");

    final PagumaConfig config;
    final Codec codec;
    final MessageHandler handler;
    final Consumer<Connection> onConnStart;
    final Consumer<Connection> onConnStop;
    final DefaultConnectionManager manager;
    final FrameEncoder encoder;
    final RateLimitedLog frameLog;
    final RateLimitedLog refuseLog;
    final RateLimitedLog errorLog;
    private final AtomicLong ids = new AtomicLong(1);
    final WorkerPool workers;
    private final java.util.concurrent.ConcurrentHashMap<io.netty.channel.EventLoop, TurnEnd> turnEnds =
            new java.util.concurrent.ConcurrentHashMap<>();
    volatile boolean stopping;

    public ServerContext(PagumaConfig config, Codec codec, MessageHandler handler,
                         Consumer<Connection> onConnStart, Consumer<Connection> onConnStop) {
        this.config = config;
        this.codec = codec;
        this.handler = handler;
        this.onConnStart = onConnStart;
        this.onConnStop = onConnStop;
        this.manager = new DefaultConnectionManager(config.maxConn());
        this.encoder = new FrameEncoder(codec);
        this.frameLog = new RateLimitedLog(log, config.warnInterval());
        this.refuseLog = new RateLimitedLog(log, config.warnInterval());
        this.errorLog = new RateLimitedLog(log, config.warnInterval());
        this.workers = config.workerPoolSize() > 0 ? new WorkerPool(config.name(), handler, config) : null;
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

    /** A handler for one new channel. */
    public ConnectionHandler newHandler() {
        return new ConnectionHandler(this);
    }

    /** What one IO thread defers to the end of its event loop's turn. */
    TurnEnd turnEndFor(io.netty.channel.EventLoop loop) {
        return turnEnds.computeIfAbsent(loop, TurnEnd::new);
    }

    /** True on a worker thread of this server. */
    public boolean isWorkerThread() {
        return workers != null && workers.isWorkerThread();
    }

    /** Marks the server as stopping: connections accepted from now on are closed at once. */
    public void beginStop() {
        stopping = true;
    }

    /** Waits until every queued request has run, or the deadline passes; true if all ran. */
    public boolean drainWorkers(long deadlineNanos) throws InterruptedException {
        return workers == null || workers.drain(deadlineNanos);
    }

    /** After the grace period: interrupts routers still running and drops queued requests; hooks still run. */
    public void abandonWorkers() {
        if (workers != null) workers.abandon();
    }

    /** After an interrupted stop: drop queued requests and let the workers end on their own. */
    public void abandonWorkersNow() {
        if (workers != null) {
            workers.abandon();
            workers.signalShutdown();
        }
    }

    /** Ends the worker threads, waiting up to {@code joinMillis}; returns how many requests were dropped. */
    public long shutdownWorkers(long joinMillis) throws InterruptedException {
        return workers == null ? 0 : workers.shutdown(joinMillis);
    }

    void runHook(Consumer<Connection> hook, ChannelConnection c, String name) {
        if (hook == null) return;
        try {
            hook.accept(c);
        } catch (Throwable t) {
            // Even an Error (a StackOverflowError in user code, say) must not kill the worker.
            log.warn("{}: {} hook threw: {}", c, name, t.toString(), t);
        }
    }
}
