package io.paguma.internal;

import io.netty.channel.EventLoop;

/**
 * The workers one IO thread has handed requests to during the current turn of its event loop,
 * woken together once the turn's reads are done (P9).
 *
 * <p>Waking a worker per read made the worker preempt the IO thread after every connection's
 * burst; deferring the wake-up to a task, which Netty runs after all ready channels were read,
 * hands each worker the whole turn's requests at once. Used on its IO thread only.
 */
final class WorkerWakeups implements Runnable {
    private final EventLoop loop;
    private Worker[] pending = new Worker[4];
    private int size;
    private boolean scheduled;

    WorkerWakeups(EventLoop loop) {
        this.loop = loop;
    }

    /** Wakes {@code worker} at the end of this turn. */
    void wakeLater(Worker worker) {
        for (int i = 0; i < size; i++) {
            if (pending[i] == worker) return;
        }
        if (size == pending.length) pending = java.util.Arrays.copyOf(pending, size * 2);
        pending[size++] = worker;
        if (!scheduled) {
            scheduled = true;
            try {
                loop.execute(this);
            } catch (java.util.concurrent.RejectedExecutionException e) {
                // The IO thread is shutting down: wake now rather than never.
                run();
            }
        }
    }

    @Override
    public void run() {
        scheduled = false;
        for (int i = 0; i < size; i++) {
            pending[i].wake();
            pending[i] = null;
        }
        size = 0;
    }
}
