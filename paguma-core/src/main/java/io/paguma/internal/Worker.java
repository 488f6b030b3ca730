package io.paguma.internal;

import io.netty.util.internal.PlatformDependent;
import io.paguma.Request;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;
import java.util.concurrent.atomic.AtomicReferenceFieldUpdater;
import java.util.concurrent.locks.LockSupport;

/**
 * One worker of the pool (P9): a thread draining its own lock-free queue.
 *
 * <p>Requests are bounded by {@code maxWorkerTaskLen}: a connection whose request does not fit
 * stops reading and waits here until the queue has drained to half, so nothing is dropped and
 * nothing grows without bound. Lifecycle steps (a connection's hooks) and the requests a stopping
 * server hands over bypass the bound: there are at most a few per connection, and they must keep
 * their place among the connection's requests.
 *
 * <p>Errors: a task that throws never ends the worker. {@link Dispatcher#handle} and the hooks
 * (see {@code EndpointContext.runHook}) log what they catch themselves and rethrow only a
 * {@link VirtualMachineError} ({@code OutOfMemoryError}, {@code StackOverflowError}), having closed
 * the connection it was thrown for. The worker logs that it caught it, at ERROR, and carries on
 * with its next task: its thread is the only one serving the connections pinned to it, so letting
 * it die would stall all of them, and once the stack has unwound (a StackOverflowError) or the
 * failed allocation's garbage is gone (most OutOfMemoryErrors) the other connections can still be
 * served. If the JVM cannot recover, that is for the JVM to decide, not for this loop.
 */
final class Worker implements Runnable {
    private static final Logger log = LoggerFactory.getLogger(Worker.class);
    private static final AtomicIntegerFieldUpdater<Worker> PARKED =
            AtomicIntegerFieldUpdater.newUpdater(Worker.class, "parked");
    private static final AtomicReferenceFieldUpdater<Worker, Object> RUNNING =
            AtomicReferenceFieldUpdater.newUpdater(Worker.class, Object.class, "running");
    /** {@link #running} while abandon() interrupts the router, and after. */
    private static final Object INTERRUPTING = new Object();
    private static final Object INTERRUPTED = new Object();

    private final Queue<Object> queue = PlatformDependent.newMpscQueue();
    private final Queue<ChannelConnection> waiters = new ConcurrentLinkedQueue<>();
    private final int capacity;
    private final int lowMark;
    private final Thread thread;
    /** Connections bound to this worker, for {@code workerMode: bind}. */
    final AtomicInteger bound = new AtomicInteger();
    /** 1 while the thread is about to park or parked; the first producer to see it takes it to 0 and unparks. */
    private volatile int parked;
    private volatile boolean open = true;
    /** Set once the thread has left its loop: from then on, whoever enqueues runs what is left. */
    private volatile boolean exited;
    /**
     * The request whose router runs now (null between requests and during hooks), so abandon()
     * interrupts a router of the endpoint being stopped and never a hook or another endpoint's
     * router. A request object is never reused, so a compare-and-set on it cannot hit a later one.
     */
    private volatile Object running;

    Worker(String threadName, int capacity) {
        this.capacity = capacity;
        this.lowMark = capacity / 2;
        this.thread = new Thread(this, threadName);
        // A router stuck past the stop's grace period must not keep the JVM alive.
        this.thread.setDaemon(true);
    }

    void start() {
        thread.start();
    }

    /** Tasks waiting in the queue now (approximate while others add and take). */
    int queued() {
        return queue.size();
    }

    /**
     * Queues a request if there is room; called on IO threads, which call {@link #wake()} once per
     * turn of their event loop (see {@link TurnEnd}) rather than once per request.
     */
    boolean tryOffer(Request request) {
        if (queue.size() >= capacity) return false;
        queue.offer(request);
        return true;
    }

    /**
     * Queues a lifecycle step, or a request handed over by a stopping server, regardless of the
     * bound. If the worker has already ended, runs what is queued on the caller's thread so no
     * {@code onConnStop} is ever lost.
     */
    void enqueue(Object task) {
        queue.offer(task);
        wake();
        if (exited) runLeftovers();
    }

    /**
     * Queues a small bookkeeping task behind the requests an IO thread just handed over, without
     * waking the worker: the IO thread wakes it once at the end of its turn ({@link TurnEnd}).
     */
    void enqueueQuietly(Runnable task) {
        queue.offer(task);
        if (exited) runLeftovers();
    }

    /**
     * Remembers that {@code connection} waits for room. Called after a failed {@link #tryOffer}; if
     * room appeared in between, the connection is woken at once so no wake-up is lost.
     */
    void await(ChannelConnection connection) {
        waiters.offer(connection);
        wake();
        if (queue.size() <= lowMark) wakeWaiters();
    }


    boolean isWorkerThread() {
        return Thread.currentThread() == thread;
    }

    void wake() {
        // One unpark per park: until the worker runs again, further producers pay no system call.
        if (parked == 1 && PARKED.compareAndSet(this, 1, 0)) LockSupport.unpark(thread);
    }

    private void wakeWaiters() {
        ChannelConnection c;
        while ((c = waiters.poll()) != null) c.workerHasRoom();
    }

    @Override
    public void run() {
        for (;;) {
            Object task = queue.poll();
            if (task == null) {
                // The queue is empty, so there is room: no waiting connection may stay asleep.
                if (!waiters.isEmpty()) wakeWaiters();
                parked = 1;
                task = queue.poll();
                if (task == null) {
                    if (!open) {
                        parked = 0;
                        exited = true;
                        // A task offered just before `exited` was set is ours to run.
                        runLeftovers();
                        return;
                    }
                    LockSupport.park(this);
                    parked = 0;
                    continue;
                }
                parked = 0;
            }
            // Wake waiting connections as soon as a task leaves the queue, before it runs: a long
            // router must not keep the others paused while its queue is already half empty.
            if (!waiters.isEmpty() && queue.size() <= lowMark) wakeWaiters();
            runGuarded(task);
        }
    }

    /**
     * Runs one task; whatever escapes it (a VirtualMachineError rethrown after it was logged, or a
     * failure of the logging itself) is logged and goes no further: the worker never ends on a
     * task (see the class comment).
     */
    private void runGuarded(Object task) {
        try {
            runTask(task);
        } catch (Throwable e) {
            try {
                log.error("{}: {} escaped a task; the worker carries on with its next task",
                        thread.getName(), Failures.describe(e));
            } catch (Throwable ignored) {
                // Not even a line could be logged (out of memory): carry on regardless.
            }
        }
    }

    private void runTask(Object task) {
        if (task instanceof Request) {
            Request request = (Request) task;
            EndpointContext context = ((ChannelConnection) request.connection()).context();
            // Published before abandoned is read: an abandon() that sets the flag after this read
            // sees the request running and interrupts it (both are volatile).
            running = request;
            if (context.abandoned) {
                if (!RUNNING.compareAndSet(this, request, null)) {
                    while (running == INTERRUPTING) Thread.onSpinWait();
                    Thread.interrupted();
                    running = null;
                }
                context.dropped.increment();
                request.message().release();
                return;
            }
            try {
                context.route(request);
            } finally {
                if (!RUNNING.compareAndSet(this, request, null)) {
                    // abandon() interrupted this router: wait until it is done, then clear the flag so
                    // the interrupt cannot reach the next task.
                    while (running == INTERRUPTING) Thread.onSpinWait();
                    Thread.interrupted();
                    running = null;
                }
            }
        } else {
            try {
                ((Runnable) task).run();
            } catch (VirtualMachineError e) {
                throw e;
            } catch (Error e) {
                Failures.error(log, thread.getName() + ": task failed: " + Failures.describe(e), e);
            } catch (Throwable t) {
                Failures.warn(log, thread.getName() + ": task failed: " + Failures.describe(t), t);
            }
        }
    }

    /** After the worker thread has ended: the caller becomes the (single) consumer, one at a time. */
    private synchronized void runLeftovers() {
        Object task;
        while ((task = queue.poll()) != null) runGuarded(task);
    }

    /**
     * After {@code context}'s stop ran out of its grace period (it has set {@code abandoned}, so its
     * requests still queued are dropped): interrupts its router if one is still running here;
     * lifecycle steps (onConnStop) still run, and other endpoints' requests are not touched.
     */
    void abandon(EndpointContext context) {
        Object r = running;
        if (r instanceof Request request && ((ChannelConnection) request.connection()).context() == context
                && RUNNING.compareAndSet(this, r, INTERRUPTING)) {
            thread.interrupt();
            running = INTERRUPTED;
        }
        LockSupport.unpark(thread);
    }

    /** Asks the thread to finish once its queue is empty, and waits up to {@code millis} for it. */
    void shutdown(long millis) throws InterruptedException {
        signalShutdown();
        thread.join(Math.max(1, millis));
    }

    /** Asks the thread to finish once its queue is empty, without waiting. */
    void signalShutdown() {
        open = false;
        LockSupport.unpark(thread);
    }

    boolean isAlive() {
        return thread.isAlive();
    }
}
