package io.paguma.internal;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.Future;
import io.paguma.PagumaConfig;

import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * The threads of one runtime: the IO event loops (which are also its timers), the acceptor
 * loops of its servers (made when the first server starts), the workers, and the thread that
 * delivers its clients' events (made on first use). Shared by every server and client on a
 * {@code PagumaRuntime}, or owned by one endpoint that was given none.
 */
public final class RuntimeThreads {
    private final String prefix;
    private final Transports.Choice transport;
    private final int bossThreads;
    private final EventLoopGroup io;
    /** Null with {@code workerPoolSize: 0}: routers run on the IO threads. */
    final WorkerPool workers;
    private EventLoopGroup boss;
    /** One per IO loop, shared by every endpoint on it: one end-of-turn task per loop and turn. */
    private final java.util.concurrent.ConcurrentHashMap<io.netty.channel.EventLoop, TurnEnd> turnEnds =
            new java.util.concurrent.ConcurrentHashMap<>();
    private ThreadPoolExecutor events;
    private boolean shutDown;

    /**
     * @param prefix      thread names start with it, e.g. {@code paguma-game-}
     * @param ioThreads   IO event loops
     * @param workerCount workers; 0 runs routers on the IO threads
     */
    public RuntimeThreads(String prefix, PagumaConfig config, int bossThreads, int ioThreads, int workerCount) {
        this.prefix = prefix;
        this.transport = Transports.choose(config.transport());
        this.bossThreads = bossThreads;
        this.io = new MultiThreadIoEventLoopGroup(ioThreads, recording(prefix + "io"),
                transport.ioHandlerFactory());
        this.workers = workerCount > 0 ? new WorkerPool(prefix, config, workerCount) : null;
    }

    /**
     * The start of thread names for a config's name (see {@link ThreadNames}): {@code paguma-} for
     * the default name, else {@code paguma-<name>-}.
     */
    public static String prefix(String name) {
        return ThreadNames.prefix(name) + "-";
    }

    public Transports.Choice transport() {
        return transport;
    }

    public EventLoopGroup io() {
        return io;
    }

    /** The acceptor loops, made by the first server that starts. */
    public synchronized EventLoopGroup boss() {
        if (shutDown) throw new IllegalStateException("the runtime's threads have ended");
        if (boss == null) {
            boss = new MultiThreadIoEventLoopGroup(bossThreads, recording(prefix + "boss"),
                    transport.ioHandlerFactory());
        }
        return boss;
    }

    /** What {@code loop} does at the end of each turn (wake workers, flush replies), for every endpoint on it. */
    TurnEnd turnEndFor(io.netty.channel.EventLoop loop) {
        return turnEnds.computeIfAbsent(loop, TurnEnd::new);
    }

    /** Runs timers that are not tied to one connection (warning summaries): the IO event loops. */
    public ScheduledExecutorService scheduler() {
        return io;
    }

    /** The one thread that delivers client events, in order, made when first needed. */
    public synchronized ThreadPoolExecutor events() {
        // Its threads are remembered, so a close() made from a client's listener is refused, not
        // left waiting for itself (also for a thread that replaced one a listener's Error ended).
        if (events == null) {
            events = newEventThread(prefix + "client-events", t -> {
                eventThreads.add(t);
                made.add(t);
            });
        }
        return events;
    }

    /** A single daemon thread, made on first use, for one client's or one runtime's events. */
    public static ThreadPoolExecutor newEventThread(String name) {
        return newEventThread(name, t -> { });
    }

    private static ThreadPoolExecutor newEventThread(String name, java.util.function.Consumer<Thread> made) {
        DefaultThreadFactory factory = new DefaultThreadFactory(name, true);
        return new ThreadPoolExecutor(1, 1, 0, TimeUnit.MILLISECONDS, new LinkedBlockingQueue<>(), r -> {
            Thread t = factory.newThread(r);
            made.accept(t);
            return t;
        });
    }

    /** Every loop and event thread made, so that {@link #shutdown} returns only once they have ended. */
    private final java.util.Set<Thread> made = java.util.concurrent.ConcurrentHashMap.newKeySet();

    private DefaultThreadFactory recording(String name) {
        return new DefaultThreadFactory(name) {
            @Override
            protected Thread newThread(Runnable r, String threadName) {
                Thread t = super.newThread(r, threadName);
                made.add(t);
                return t;
            }
        };
    }

    public int workerCount() {
        return workers == null ? 0 : workers.size();
    }

    /** True on one of these threads (an IO or acceptor loop, a worker). */
    public boolean isOwnThread() {
        if (workers != null && workers.isWorkerThread()) return true;
        if (onEventThread()) return true;
        if (inGroup(io)) return true;
        EventLoopGroup b;
        synchronized (this) {
            b = boss;
        }
        return b != null && inGroup(b);
    }

    private final java.util.Set<Thread> eventThreads = java.util.concurrent.ConcurrentHashMap.newKeySet();

    private boolean onEventThread() {
        return eventThreads.contains(Thread.currentThread());
    }

    private static boolean inGroup(EventLoopGroup group) {
        for (EventExecutor e : group) {
            if (e.inEventLoop()) return true;
        }
        return false;
    }

    /**
     * Ends every thread: the event loops first (closing what they still hold queues its
     * onConnStop on the workers, which are still there to run it), then the workers, then the
     * event thread once it has delivered what is queued. Waits until {@code deadlineNanos} for
     * the loops and the workers, each.
     */
    public void shutdown(long deadlineNanos) throws InterruptedException {
        EventLoopGroup b;
        ThreadPoolExecutor e;
        synchronized (this) {
            shutDown = true;
            b = boss;
            e = events;
        }
        Future<?> bossDone = b == null ? null : b.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        Future<?> ioDone = io.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        if (bossDone != null) bossDone.awaitUninterruptibly(remainingMillis(deadlineNanos));
        ioDone.awaitUninterruptibly(remainingMillis(deadlineNanos));
        if (workers != null) workers.shutdown(remainingMillis(deadlineNanos));
        if (e != null) {
            e.shutdown();
            e.awaitTermination(remainingMillis(deadlineNanos), TimeUnit.MILLISECONDS);
        }
        // A loop reports itself terminated just before its thread returns: wait for the threads
        // themselves, so that none is left once close() has returned.
        for (Thread t : made) {
            if (t != Thread.currentThread()) t.join(remainingMillis(deadlineNanos));
        }
    }

    /** After an interrupted stop: lets every thread end on its own, without waiting. */
    public void shutdownNow() {
        EventLoopGroup b;
        synchronized (this) {
            shutDown = true;
            b = boss;
        }
        if (b != null) b.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        io.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        if (workers != null) workers.signalShutdown();
        ThreadPoolExecutor e;
        synchronized (this) {
            e = events;
        }
        if (e != null) e.shutdown();
    }

    private static long remainingMillis(long deadlineNanos) {
        return Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadlineNanos - System.nanoTime()));
    }
}
