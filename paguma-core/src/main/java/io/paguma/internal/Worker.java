package io.paguma.internal;

import io.netty.util.internal.PlatformDependent;
import io.paguma.MessageHandler;
import io.paguma.Request;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * One worker of the pool (P9): a thread draining its own queue. Requests are bounded by
 * {@code maxWorkerTaskLen}; a connection whose request does not fit stops reading and waits here
 * until the queue has drained to half, so nothing is dropped and nothing grows without bound.
 * Lifecycle events (a connection's start and stop hooks) bypass the bound: there are at most two
 * per connection, and they must run in order with the connection's requests.
 */
final class Worker implements Runnable {
    private static final Logger log = LoggerFactory.getLogger(Worker.class);

    private final Queue<Object> queue = PlatformDependent.newMpscQueue();
    private final Queue<ChannelConnection> waiters = new ConcurrentLinkedQueue<>();
    private final MessageHandler handler;
    private final int capacity;
    private final int lowMark;
    private final Thread thread;
    /** Connections bound to this worker, for {@code workerMode: bind}. */
    final AtomicInteger bound = new AtomicInteger();
    private volatile boolean parked;
    private volatile boolean running = true;
    private volatile boolean discard;
    /** Written by the worker thread only. */
    private volatile long dropped;

    Worker(String threadName, MessageHandler handler, int capacity) {
        this.handler = handler;
        this.capacity = capacity;
        this.lowMark = capacity / 2;
        this.thread = new Thread(this, threadName);
        // A router stuck past the stop's grace period must not keep the JVM alive.
        this.thread.setDaemon(true);
    }

    void start() {
        thread.start();
    }

    /** Queues a request if there is room; called on IO threads. */
    boolean tryOffer(Request request) {
        if (queue.size() >= capacity) return false;
        queue.offer(request);
        wake();
        return true;
    }

    /** Queues a lifecycle task regardless of the bound. */
    void execute(Runnable task) {
        queue.offer(task);
        wake();
    }

    /**
     * Remembers that {@code connection} waits for room. Called after a failed {@link #tryOffer}; if
     * room appeared in between, the connection is woken at once so no wake-up is lost.
     */
    void await(ChannelConnection connection) {
        waiters.offer(connection);
        if (queue.size() <= lowMark) wakeWaiters();
    }

    boolean isWorkerThread() {
        return Thread.currentThread() == thread;
    }

    private void wake() {
        if (parked) LockSupport.unpark(thread);
    }

    private void wakeWaiters() {
        ChannelConnection c;
        while ((c = waiters.poll()) != null) c.resumeReading();
    }

    @Override
    public void run() {
        for (;;) {
            Object task = queue.poll();
            if (task == null) {
                parked = true;
                task = queue.poll();
                if (task == null) {
                    if (!running) {
                        parked = false;
                        return;
                    }
                    LockSupport.park(this);
                    parked = false;
                    continue;
                }
                parked = false;
            }
            if (task instanceof Request) {
                if (discard) {
                    dropped++;
                    continue;
                }
                handler.handle((Request) task);
                if (!waiters.isEmpty() && queue.size() <= lowMark) wakeWaiters();
            } else {
                try {
                    ((Runnable) task).run();
                } catch (Throwable t) {
                    if (t instanceof VirtualMachineError) throw (VirtualMachineError) t;
                    log.warn("{}: task failed: {}", thread.getName(), t.toString(), t);
                }
            }
        }
    }

    /**
     * After the stop's grace period ran out: interrupts a router that is still running and drops
     * the requests still queued; lifecycle tasks (onConnStop) still run.
     */
    void abandon() {
        discard = true;
        thread.interrupt();
        LockSupport.unpark(thread);
    }

    /** Asks the thread to finish once its queue is empty, and waits up to {@code millis} for it. */
    void shutdown(long millis) throws InterruptedException {
        running = false;
        LockSupport.unpark(thread);
        thread.join(Math.max(1, millis));
    }

    /** Requests dropped by {@link #abandon()}; read after {@link #shutdown}. */
    long dropped() {
        return dropped;
    }

}
