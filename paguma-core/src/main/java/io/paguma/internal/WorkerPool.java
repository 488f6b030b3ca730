package io.paguma.internal;

import io.paguma.PagumaConfig;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * The workers of one runtime and how connections are assigned to them (P9). Shared by every
 * server and client on the runtime: a worker runs each request's router from the request's own
 * endpoint, so connections of different endpoints can share a worker.
 */
final class WorkerPool {
    private final Worker[] workers;
    private final PagumaConfig.WorkerMode mode;
    private final java.util.concurrent.atomic.AtomicLong clients = new java.util.concurrent.atomic.AtomicLong();

    WorkerPool(String threadPrefix, PagumaConfig config, int size) {
        this.mode = config.workerMode();
        this.workers = new Worker[size];
        for (int i = 0; i < workers.length; i++) {
            workers[i] = new Worker(threadPrefix + "worker-" + i, config.maxWorkerTaskLen());
        }
        for (Worker w : workers) w.start();
    }

    int size() {
        return workers.length;
    }

    /** Each worker's queue length now. */
    int[] queueDepths() {
        int[] d = new int[workers.length];
        for (int i = 0; i < d.length; i++) d[i] = workers[i].queued();
        return d;
    }

    /** The worker for a new connection; its requests and hooks all run there, in order. */
    Worker assign(long connectionId) {
        Worker chosen;
        if (mode == PagumaConfig.WorkerMode.BIND) {
            // Under the lock: two IO threads accepting at once must not both pick the same least-loaded worker.
            synchronized (this) {
                chosen = workers[0];
                for (Worker w : workers) {
                    if (w.bound.get() < chosen.bound.get()) chosen = w;
                }
                chosen.bound.incrementAndGet();
            }
            return chosen;
        } else {
            chosen = workers[(int) Math.floorMod(connectionId, (long) workers.length)];
        }
        chosen.bound.incrementAndGet();
        return chosen;
    }

    /** The worker of a new client: clients are spread over the workers in turn. */
    Worker assignClient() {
        return assign(clients.getAndIncrement());
    }

    void release(Worker w) {
        w.bound.decrementAndGet();
    }

    boolean isWorkerThread() {
        for (Worker w : workers) {
            if (w.isWorkerThread()) return true;
        }
        return false;
    }

    /** Waits until every task queued so far on {@code these} workers has run, or the deadline passes; true if all ran. */
    boolean drain(java.util.Collection<Worker> these, long deadlineNanos) throws InterruptedException {
        CountDownLatch done = new CountDownLatch(these.size());
        for (Worker w : these) w.enqueue((Runnable) done::countDown);
        return done.await(Math.max(0, deadlineNanos - System.nanoTime()), TimeUnit.NANOSECONDS);
    }

    /** Interrupts {@code context}'s routers still running (its queued requests are dropped as they come up). */
    void abandon(EndpointContext context) {
        for (Worker w : workers) w.abandon(context);
    }

    /** Asks every worker to end once its queue is empty, without waiting (an interrupted stop). */
    void signalShutdown() {
        for (Worker w : workers) w.signalShutdown();
    }

    /** Lets every worker finish its queue and end, waiting up to {@code joinMillis} in all. */
    void shutdown(long joinMillis) throws InterruptedException {
        long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(joinMillis);
        for (Worker w : workers) w.shutdown(TimeUnit.NANOSECONDS.toMillis(until - System.nanoTime()));
    }
}
