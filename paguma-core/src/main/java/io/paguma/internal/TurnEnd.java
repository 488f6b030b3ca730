package io.paguma.internal;

import io.netty.channel.EventLoop;
import io.netty.channel.SingleThreadIoEventLoop;

import io.netty.util.internal.PlatformDependent;

import java.util.Arrays;
import java.util.Queue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;

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
 * reading is paused), and costs nothing when the read completion already flushed.
 *
 * <p>A long turn (hundreds of connections readable at once: the backlog after the process or the
 * thread was stalled) is cut into pieces: the workers are woken every {@value #WAKE_EVERY} reads
 * that handed them requests, and the replies they make meanwhile are written between the turn's
 * reads ({@link #afterRead}), so the oldest requests are answered first, as on a server whose
 * routers run on the IO thread, instead of after the last connection was read. For that the
 * drains of send queues filled off this thread go through {@link #ready}: one list per IO thread,
 * taken between reads or by one task ({@link #submitDrain}).
 *
 * <p>Threads: {@link #submitDrain} runs on any thread; everything else on this IO thread.
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
    /** Reads handing requests to workers after which they are woken without waiting for the turn's end. */
    static final int WAKE_EVERY = 128;
    /** Ready drains run between two reads; the rest wait for the next read or the task. */
    private static final int DRAINS_PER_READ = 64;
    /** Ready drains run by one task before it yields to the thread's other tasks and its IO. */
    private static final int DRAINS_PER_TASK = 1024;
    private static final AtomicIntegerFieldUpdater<TurnEnd> READY_SCHEDULED =
            AtomicIntegerFieldUpdater.newUpdater(TurnEnd.class, "readyScheduled");
    /** Reads that handed requests to {@link #workers} since they were last woken. */
    private int readsSinceWake;
    /** Send queues with sends to write, from any thread; drained on this IO thread. */
    private final Queue<SendQueue> ready = PlatformDependent.newMpscQueue();
    /** 1 while {@link #readyTask} is queued on the loop (or about to be). */
    private volatile int readyScheduled;
    private final Runnable readyTask = this::runReadyTask;
    /** While {@link #afterRead} runs drains. */
    private boolean betweenReads;

    TurnEnd(EventLoop loop) {
        this.loop = loop;
    }

    /**
     * Wakes {@code worker}, just handed requests by one read, at the end of this turn, or at once
     * when {@value #WAKE_EVERY} reads of this turn have handed requests to workers since the last
     * wake: a turn that reads hundreds of connections (the backlog after a stall) must not keep the
     * first requests waiting until the last connection is read. Counted in reads, not requests:
     * the wait is the reads' system calls, and a read that brings many requests (a pipelining peer)
     * should not cost more wake-ups.
     */
    void wakeLater(Worker worker) {
        readsSinceWake++;
        boolean known = false;
        for (int i = 0; i < workerCount; i++) {
            if (workers[i] == worker) {
                known = true;
                break;
            }
        }
        if (!known) {
            if (workerCount == workers.length) workers = Arrays.copyOf(workers, workerCount * 2);
            workers[workerCount++] = worker;
        }
        if (readsSinceWake >= WAKE_EVERY) wakeWorkers();
        else schedule();
    }

    /**
     * Any thread: {@code queue} has sends for this IO thread to write. Its drain runs between two
     * reads of the current turn ({@link #afterRead}) or in a task, whichever comes first; one task
     * for all the drains that are ready, not one per connection.
     *
     * <p>Drains are therefore not ordered with the loop's other tasks: a task queued after a send
     * may run before the send is written. Nothing depends on that order: a close flushes the
     * connection's queue itself ({@code ChannelConnection.flushThenClose}).
     */
    void submitDrain(SendQueue queue) {
        ready.offer(queue);
        if (readyScheduled == 0 && READY_SCHEDULED.compareAndSet(this, 0, 1)) scheduleReady(queue);
    }

    /**
     * Queues {@link #readyTask}, {@link #readyScheduled} being set. If the IO thread is gone, the
     * flag is reset and only {@code own} (the caller's queue, if any) is failed here: {@link #ready}
     * has one consumer, and the other listed queues belong to connections the loop's shutdown closes
     * (their close fails what they hold).
     */
    private void scheduleReady(SendQueue own) {
        try {
            loop.execute(readyTask);
        } catch (RejectedExecutionException e) {
            readyScheduled = 0;
            if (own != null) own.rejected();
        }
    }

    /**
     * IO thread, after each connection's read: writes the replies the workers made meanwhile, so a
     * long turn interleaves reads and writes as a server without workers does, rather than writing
     * every reply only after the last read. Nothing it runs is thrown into the reading connection's
     * pipeline: another connection's failure is not this one's.
     */
    void afterRead() {
        if (ready.isEmpty()) return;
        betweenReads = true;
        try {
            runReady(DRAINS_PER_READ);
        } finally {
            betweenReads = false;
        }
    }

    private void runReadyTask() {
        readyScheduled = 0;
        try {
            runReady(DRAINS_PER_TASK);
        } finally {
            // More than a slice was ready: the rest after whatever else waits for this thread.
            if (!ready.isEmpty() && readyScheduled == 0 && READY_SCHEDULED.compareAndSet(this, 0, 1)) scheduleReady(null);
        }
    }

    /**
     * IO thread: runs at most {@code max} ready drains, and none listed while they run (a queue
     * whose senders keep pace lists itself again after each slice: it waits for the next pass, so
     * it cannot hold this thread). One that throws, even an Error (a direct buffer that could not
     * be allocated), is logged and the others still run: a drain left listed with nobody to take it
     * would leave its connection's replies unwritten.
     */
    private void runReady(int max) {
        int count = Math.min(max, ready.size());
        SendQueue q;
        for (int n = 0; n < count && (q = ready.poll()) != null; n++) {
            try {
                q.run();
            } catch (Throwable e) {
                String line = "a connection's send queue failed while it was drained: " + Failures.describe(e);
                if (e instanceof Error) Failures.error(log, line, e);
                else Failures.warn(log, line, e);
            }
        }
    }

    private void wakeWorkers() {
        for (int i = 0; i < workerCount; i++) {
            workers[i].wake();
            workers[i] = null;
        }
        workerCount = 0;
        readsSinceWake = 0;
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
        // Drains run between reads are part of the turn, not tasks holding its end back.
        if (betweenReads) return;
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
            wakeWorkers();
        }
    }
}
