package io.paguma.internal;

import io.netty.channel.EventLoop;
import io.netty.channel.SingleThreadIoEventLoop;

import java.util.Arrays;
import java.util.concurrent.RejectedExecutionException;

/**
 * Work one IO thread defers to the end of the current turn of its event loop: waking the workers
 * it handed requests to, and flushing replies made during reads (P8, P9). One task per turn,
 * which Netty runs after every ready channel of the turn was read and after the turn's tasks (a
 * tail task: {@code executeAfterEventLoopIteration}), so the workers' replies queued since the
 * last turn are written before a woken worker competes with this thread for a core.
 *
 * <p>Waking a worker per read made the worker preempt the IO thread after every connection's
 * burst; deferred, each worker gets the whole turn's requests at once. Replies made during a read
 * are normally flushed by that read's {@code channelReadComplete}; the flush here is the fallback
 * for a transport that delays it (io_uring schedules another receive first, and cancels it when
 * reading is paused), and costs nothing when the read completion already flushed. Used on its IO
 * thread only.
 */
final class TurnEnd implements Runnable {
    private final EventLoop loop;
    private Worker[] workers = new Worker[4];
    private int workerCount;
    private ChannelConnection[] flushes = new ChannelConnection[16];
    private int flushCount;
    private boolean scheduled;
    /** Drain tasks run since this turn's end was scheduled (see {@link #taskRan}). */
    private int tasksWhileScheduled;
    private static final int MOST_TASKS_BEFORE_RUN = 64;
    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(TurnEnd.class);

    TurnEnd(EventLoop loop) {
        this.loop = loop;
    }

    /** Wakes {@code worker} at the end of this turn. */
    void wakeLater(Worker worker) {
        for (int i = 0; i < workerCount; i++) {
            if (workers[i] == worker) return;
        }
        if (workerCount == workers.length) workers = Arrays.copyOf(workers, workerCount * 2);
        workers[workerCount++] = worker;
        schedule();
    }

    /** Flushes what {@code connection} wrote during its read at the end of this turn, if still unflushed. */
    void flushLater(ChannelConnection connection) {
        if (connection.flushQueued) return;
        connection.flushQueued = true;
        if (flushCount == flushes.length) flushes = Arrays.copyOf(flushes, flushCount * 2);
        flushes[flushCount++] = connection;
        schedule();
    }

    private void schedule() {
        if (scheduled) return;
        scheduled = true;
        try {
            // After every task of this turn, not among them: the replies the workers made since the
            // last turn (their drains are tasks) go out before a woken worker takes the CPU from
            // this thread (on a machine with fewer cores than threads it does, at once).
            // (Only an IO loop runs tail tasks every turn; another kind of loop gets a plain task.)
            if (loop instanceof SingleThreadIoEventLoop) ((SingleThreadIoEventLoop) loop).executeAfterEventLoopIteration(this);
            else loop.execute(this);
        } catch (RejectedExecutionException e) {
            // The IO thread is shutting down: do it now rather than never.
            run();
        }
    }

    /**
     * IO thread: a send queue's drain task ran. A tail task runs once the task queue is empty, so a
     * steady stream of drains (a sender that keeps pace, busy workers) would hold this turn's
     * worker wake-ups back as long as it lasts (up to Netty's task quantum): after
     * {@value #MOST_TASKS_BEFORE_RUN} drains it runs at once instead; the tail task then finds
     * nothing left to do.
     */
    void taskRan() {
        if (scheduled && ++tasksWhileScheduled >= MOST_TASKS_BEFORE_RUN) run();
    }

    @Override
    public void run() {
        scheduled = false;
        tasksWhileScheduled = 0;
        try {
            for (int i = 0; i < flushCount; i++) {
                ChannelConnection c = flushes[i];
                if (c == null) continue;
                flushes[i] = null;
                c.flushQueued = false;
                try {
                    c.flushAfterRead();
                } catch (RuntimeException e) {
                    Failures.warn(log, c + ": flushing its replies at the end of the IO turn failed: " + Failures.describe(e), e);
                }
            }
        } finally {
            // Whatever a flush threw, the list starts empty again and the workers handed requests
            // this turn are woken: a worker left parked would stall every connection pinned to it.
            for (int i = 0; i < flushCount; i++) {
                ChannelConnection c = flushes[i];
                if (c != null) {
                    c.flushQueued = false;
                    flushes[i] = null;
                }
            }
            flushCount = 0;
            for (int i = 0; i < workerCount; i++) {
                workers[i].wake();
                workers[i] = null;
            }
            workerCount = 0;
        }
    }
}
