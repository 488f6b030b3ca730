package io.paguma;

import io.paguma.internal.EventHub;
import io.paguma.internal.RuntimeThreads;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * IO threads, workers and timers that any number of {@link Server}s and {@link Client}s in one
 * process share: a node linked to 200 peers runs on the runtime's threads, not on 200 clients'
 * own. Give it to an endpoint with {@code Server.builder().runtime(rt)} or
 * {@code Client.builder().runtime(rt)}; an endpoint given none makes its own, as before, and ends
 * it when it stops.
 *
 * <pre>{@code
 * PagumaRuntime rt = PagumaRuntime.create(PagumaConfig.builder().ioThreads(2).workerPoolSize(4).build());
 * Server server = Server.builder().runtime(rt).port(8999).route(1, r -> r.reply(1, r.data())).build().start();
 * Client client = Client.builder().runtime(rt).port(9000).build();
 * ...
 * rt.close();   // stops the server, closes the client, ends the threads
 * }</pre>
 *
 * <p>Its threads, from the config it was made with: {@code ioThreads} IO event loops (which also
 * run the timers), {@code bossThreads} acceptor loops once a server has started,
 * {@code workerPoolSize} workers (0: routers run on the IO threads), and one thread that delivers
 * the clients' events once a client exists. A client on a runtime owns no thread; its
 * connections are spread over the IO loops, and each client's connections run on one worker.
 * The endpoints' own {@code ioThreads}, {@code bossThreads}, {@code workerPoolSize},
 * {@code maxWorkerTaskLen}, {@code workerMode} and {@code transport} are not used: the runtime's
 * are.
 *
 * <p>Closing an endpoint leaves the runtime running. {@link #close()} stops what runs on it, in
 * order: the servers (each drains its requests, as {@link Server#stop()}), then the clients, then
 * the threads.
 */
public final class PagumaRuntime implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(PagumaRuntime.class);
    /** How long close() waits for the clients to close and for the threads to end, each. */
    private static final long CLOSE_WAIT_NANOS = TimeUnit.SECONDS.toNanos(10);

    private final PagumaConfig config;
    private final RuntimeThreads threads;
    private final Set<Server> servers = ConcurrentHashMap.newKeySet();
    private final Set<Client> clients = ConcurrentHashMap.newKeySet();
    private final CompletableFuture<Void> closed = new CompletableFuture<>();
    private final EventHub events = new EventHub();
    private final Object lock = new Object();
    /** Guarded by {@link #lock}. */
    private boolean closing;

    private PagumaRuntime(PagumaConfig config) {
        this.config = config;
        this.threads = new RuntimeThreads(RuntimeThreads.prefix(config.name()), config, config.bossThreads(),
                config.ioThreads(), config.workerPoolSize());
        log.info("runtime {} started (transport {}, {} IO threads, {} workers)", config.name(),
                threads.transport().name(), config.ioThreads(), config.workerPoolSize());
    }

    /** A runtime with the threads {@code config} asks for (see the class comment for which keys count). */
    public static PagumaRuntime create(PagumaConfig config) {
        return new PagumaRuntime(config);
    }

    /** A runtime with the default config. */
    public static PagumaRuntime create() {
        return create(PagumaConfig.defaults());
    }

    /** The config the runtime was made with; its threads are the ones it asks for. */
    public PagumaConfig config() {
        return config;
    }

    /** The transport in use ({@code epoll}, {@code kqueue}, {@code nio}, {@code io_uring}). */
    public String transport() {
        return threads.transport().name();
    }

    /**
     * The runtime's IO event loops, for a library that runs Netty channels of its own on them
     * instead of on threads of its own (paguma-redis runs its Lettuce client here). Their channels
     * must be of the runtime's {@link #transport()}. The loops belong to the runtime: never shut
     * them down (they end with {@link #close()}, so close what runs on them first) and never block
     * on them.
     */
    public io.netty.channel.EventLoopGroup ioEventLoops() {
        return threads.io();
    }

    /**
     * The server channel class of the runtime's {@link #transport()}, for a library that listens
     * on {@link #ioEventLoops()} with a bootstrap of its own (paguma-admin's HTTP port).
     */
    public Class<? extends io.netty.channel.ServerChannel> serverChannelType() {
        return threads.transport().serverChannel();
    }

    /**
     * Adds a listener for the events of every server and client on this runtime, now and later.
     * Router timings ({@link EndpointListener#timesRouters}) reach it only from endpoints built
     * after it was added: whether to read the clock is decided when an endpoint is built.
     */
    public void addEventListener(EndpointListener listener) {
        events.add(java.util.Objects.requireNonNull(listener, "listener"));
    }

    /** Removes a listener added with {@link #addEventListener}; it hears nothing more from any endpoint. */
    public void removeEventListener(EndpointListener listener) {
        events.remove(listener);
    }

    /** Counts of the events of every endpoint that has run on this runtime (always on). */
    public EndpointStats stats() {
        return events.stats();
    }

    EventHub events() {
        return events;
    }

    java.util.concurrent.ScheduledExecutorService scheduler() {
        return threads.scheduler();
    }

    /** Whether {@link #close()} or {@link #closeAsync()} has been called: no endpoint may join it any more. */
    public boolean isClosed() {
        synchronized (lock) {
            return closing;
        }
    }

    /** For Server and Client: the threads, once the endpoint is registered. */
    RuntimeThreads attach(Server server) {
        synchronized (lock) {
            checkOpen();
            servers.add(server);
        }
        return threads;
    }

    RuntimeThreads attach(Client client) {
        synchronized (lock) {
            checkOpen();
            clients.add(client);
        }
        return threads;
    }

    void detach(Server server) {
        servers.remove(server);
    }

    void detach(Client client) {
        clients.remove(client);
    }

    private void checkOpen() {
        if (closing) throw new IllegalStateException("runtime " + config.name() + " is closed");
    }

    /**
     * Stops every server on the runtime (each as {@link Server#stop()}), closes every client, then
     * ends the threads; returns when that is done. Safe to call more than once; not from one of
     * the runtime's own threads (it would wait for itself): use {@link #closeAsync()} there.
     */
    @Override
    public void close() {
        if (threads.isOwnThread()) {
            throw new IllegalStateException("close() called on a thread of runtime " + config.name()
                    + " would wait for itself; call closeAsync() instead");
        }
        synchronized (lock) {
            if (closing) {
                // Another caller closes it: wait for that.
                closed.join();
                return;
            }
            closing = true;
        }
        // Whatever one endpoint does (a stop that throws, an interrupt), the others are still
        // stopped and the threads still end; an interrupt is kept for the caller.
        boolean interrupted = Thread.interrupted();
        try {
            for (Server s : new ArrayList<>(servers)) {
                try {
                    s.stop();
                } catch (RuntimeException e) {
                    log.warn("runtime {}: stopping server {} failed: {}", config.name(), s.name(), e.toString());
                }
            }
            List<CompletableFuture<Void>> closingClients = new ArrayList<>();
            for (Client c : new ArrayList<>(clients)) closingClients.add(c.close());
            try {
                CompletableFuture.allOf(closingClients.toArray(new CompletableFuture[0]))
                        .get(CLOSE_WAIT_NANOS, TimeUnit.NANOSECONDS);
            } catch (java.util.concurrent.TimeoutException | java.util.concurrent.ExecutionException e) {
                log.warn("runtime {}: clients still closing after {} s; ending the threads anyway", config.name(),
                        TimeUnit.NANOSECONDS.toSeconds(CLOSE_WAIT_NANOS));
            } catch (InterruptedException e) {
                interrupted = true;
            }
            try {
                threads.shutdown(System.nanoTime() + CLOSE_WAIT_NANOS);
            } catch (InterruptedException e) {
                interrupted = true;
                threads.shutdownNow();
            }
            log.info("runtime {} closed", config.name());
        } finally {
            closed.complete(null);
            if (interrupted) Thread.currentThread().interrupt();
        }
    }

    /** {@link #close()} on a new thread; the future completes when it is done. Safe from any thread. */
    public CompletableFuture<Void> closeAsync() {
        Thread t = new Thread(this::close, RuntimeThreads.prefix(config.name()) + "close");
        t.setDaemon(true);
        t.start();
        return closed;
    }
}
