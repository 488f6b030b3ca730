package io.paguma.internal;

import io.paguma.MessageHandler;
import io.paguma.PagumaConfig;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/** The workers of one server and how connections are assigned to them (P9). */
final class WorkerPool {
    private final Worker[] workers;
    private final PagumaConfig.WorkerMode mode;

    WorkerPool(String serverName, MessageHandler handler, PagumaConfig config, int size) {
        this.mode = config.workerMode();
        this.workers = new Worker[size];
        for (int i = 0; i < workers.length; i++) {
            workers[i] = new Worker("paguma-" + serverName + "-worker-" + i, handler, config.maxWorkerTaskLen());
        }
        for (Worker w : workers) w.start();
    }

    /** The worker for a new connection; its requests and hooks all run there, in order. */
    Worker assign(long connectionId) {
        Worker chosen;
        if (mode == PagumaConfig.WorkerMode.BIND) {
            chosen = workers[0];
            for (Worker w : workers) {
                if (w.bound.get() < chosen.bound.get()) chosen = w;
            }
        } else {
            chosen = workers[(int) Math.floorMod(connectionId, (long) workers.length)];
        }
        chosen.bound.incrementAndGet();
        return chosen;
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

    /** Waits until every task queued so far has run, or the deadline passes; true if all ran. */
    boolean drain(long deadlineNanos) throws InterruptedException {
        CountDownLatch done = new CountDownLatch(workers.length);
        for (Worker w : workers) w.enqueue((Runnable) done::countDown);
        return done.await(Math.max(0, deadlineNanos - System.nanoTime()), TimeUnit.NANOSECONDS);
    }

    /** Interrupts routers still running and drops queued requests; lifecycle tasks still run. */
    void abandon() {
        for (Worker w : workers) w.abandon();
    }

    /** Asks every worker to end once its queue is empty, without waiting (an interrupted stop). */
    void signalShutdown() {
        for (Worker w : workers) w.signalShutdown();
    }

    /** Lets every worker finish its queue and end; returns how many requests were dropped by {@link #abandon()}. */
    long shutdown(long joinMillis) throws InterruptedException {
        long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(joinMillis);
        long dropped = 0;
        for (Worker w : workers) {
            w.shutdown(TimeUnit.NANOSECONDS.toMillis(until - System.nanoTime()));
            dropped += w.dropped();
        }
        return dropped;
    }
}
