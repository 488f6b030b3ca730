package io.paguma.internal;

import io.netty.util.collection.IntObjectHashMap;
import io.netty.util.concurrent.ScheduledFuture;
import io.paguma.ConnectionClosedException;
import io.paguma.Message;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;

/**
 * The requests of one connection that wait for replies, and the timer that watches their
 * deadlines: the table by sequence id, the deadline queue and its sweep. Made by the connection's
 * first request that is written (an idle connection, or one that never requests, pays one field
 * for it: {@code ChannelConnection.requests}). IO thread only.
 *
 * <p>What any thread touches stays on {@link ChannelConnection}: the sequence ids it hands out
 * ({@code lastSeq}, {@code requested}) and the count of requests not yet completed
 * ({@code pendingCount}, for {@code maxPendingRequests}), since they are needed before this
 * object exists.
 */
final class RequestTracker implements Runnable {
    private final ChannelConnection connection;
    /** Requests written and waiting for their reply, by sequence id. */
    private final IntObjectHashMap<PendingRequest> pending = new IntObjectHashMap<>();
    /**
     * Waiting requests in the order of their deadlines, watched by one timer per connection
     * (this object's {@link #run}, the sweep) instead of one per request. Finished requests leave lazily.
     */
    private final ArrayDeque<PendingRequest> deadlines = new ArrayDeque<>();
    /** The sweep's timer and the deadline it is set for; null when none is set. */
    private ScheduledFuture<?> sweepTask;
    private long sweepAt;
    /** A sweep is running; it sets the next timer itself when it is done. */
    private boolean sweeping;

    RequestTracker(ChannelConnection connection) {
        this.connection = connection;
    }

    /**
     * On the IO thread: a message carrying one of our sequence ids completes the request waiting
     * for it; false if none waits for it.
     */
    boolean completeReply(Message reply) {
        PendingRequest request = pending.remove(reply.seq());
        if (request == null) return false;
        request.registered = false;
        if (reply.status() != 0) {
            // Failed on the far side: the caller learns it now, not at its timeout (B12).
            request.completeExceptionally(new io.paguma.RemoteException(reply.status(), reply.text()));
        } else {
            request.complete(reply);
        }
        trimDeadlines();
        return true;
    }

    /** The size of the table of requests waiting for replies (for tests). */
    int waiting() {
        return pending.size();
    }

    /** On the IO thread: the request's frame is about to be written; its reply is awaited from now. */
    boolean register(PendingRequest request) {
        if (pending.containsKey(request.seq)) return false;
        pending.put(request.seq, request);
        request.registered = true;
        long deadline = System.nanoTime() + request.timeoutNanos;
        request.deadline = deadline;
        PendingRequest last = deadlines.peekLast();
        if (last != null && deadline - last.deadline < 0) {
            // A shorter timeout than the one before it: out of order, so it gets a timer of its own.
            // Set and cancelled on this thread only (see PendingRequest.unregister), so a cancel from
            // another thread cannot miss it.
            request.timer = connection.loop.schedule(request, request.timeoutNanos, TimeUnit.NANOSECONDS);
            return true;
        }
        deadlines.addLast(request);
        // Finished requests stuck behind a slow one are dropped once they outnumber the live ones.
        if (deadlines.size() > 2 * pending.size() + 64) deadlines.removeIf(r -> r.finished != 0);
        armSweep(deadline);
        return true;
    }

    /**
     * On the IO thread: makes sure the sweep runs by {@code deadline}. A timer already set for that
     * time or earlier is kept; one set later (for a longer request that has since been answered) is
     * moved forward. During a sweep nothing is set: the sweep sets the timer for the head of the
     * queue when it is done, so there is never more than one.
     */
    private void armSweep(long deadline) {
        if (sweeping) return;
        if (sweepTask != null) {
            if (deadline - sweepAt >= 0) return;
            sweepTask.cancel(false);
        }
        sweepAt = deadline;
        sweepTask = connection.loop.schedule(this, Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
    }

    /** On the IO thread: drops finished requests from the head of the deadline queue. */
    private void trimDeadlines() {
        PendingRequest r;
        while ((r = deadlines.peekFirst()) != null && r.finished != 0) deadlines.pollFirst();
    }

    /** The sweep: on the IO thread, at the earliest deadline, fails what has expired, then waits for the next one. */
    @Override
    public void run() {
        sweepTask = null;
        long now = System.nanoTime();
        PendingRequest r;
        // A timeout's callbacks may make new requests on this thread: they join the queue, and the
        // timer for whatever is first once the expired are gone is set below, once.
        sweeping = true;
        try {
            while ((r = deadlines.peekFirst()) != null) {
                if (r.finished != 0) {
                    deadlines.pollFirst();
                } else if (r.deadline - now > 0) {
                    break;
                } else {
                    deadlines.pollFirst();
                    r.run();
                }
            }
        } finally {
            sweeping = false;
        }
        trimDeadlines();
        r = deadlines.peekFirst();
        if (r != null && sweepTask == null) armSweep(r.deadline);
    }

    /** On the IO thread: a registered request completed some other way than by its reply. */
    private void remove(PendingRequest request) {
        if (pending.get(request.seq) == request) pending.remove(request.seq);
    }

    /** On the IO thread, at close: every request still waiting fails. */
    void failAll() {
        if (sweepTask != null) {
            sweepTask.cancel(false);
            sweepTask = null;
        }
        deadlines.clear();
        if (pending.isEmpty()) return;
        PendingRequest[] waiting = pending.values().toArray(new PendingRequest[0]);
        pending.clear();
        ConnectionClosedException cause = connection.closedException(null);
        for (PendingRequest r : waiting) {
            r.registered = false;
            r.completeExceptionally(cause);
        }
    }

    /**
     * A request waiting for its reply: in {@link RequestTracker#pending} from the moment its frame is
     * written until the reply, the timeout (its {@code run}), the close of the connection, or a cancel.
     * Whichever comes first completes it; the others find it done.
     */
    static final class PendingRequest extends CompletableFuture<Message> implements Runnable {
        private static final AtomicIntegerFieldUpdater<PendingRequest> FINISHED =
                AtomicIntegerFieldUpdater.newUpdater(PendingRequest.class, "finished");

        private final ChannelConnection connection;
        final int seq;
        final int id;
        final long timeoutNanos;
        /** IO thread only. */
        boolean registered;
        /**
         * IO thread only: its own timer, only when its deadline came before an earlier request's
         * (see {@link RequestTracker#register}); cancelled by {@link #unregister}, which runs after every completion.
         */
        ScheduledFuture<?> timer;
        /** IO thread only: System.nanoTime() at which it times out. */
        long deadline;
        volatile int finished;

        PendingRequest(ChannelConnection connection, int seq, int id, long timeoutNanos) {
            this.connection = connection;
            this.seq = seq;
            this.id = id;
            this.timeoutNanos = timeoutNanos;
        }

        /** The timeout, on the IO thread. */
        @Override
        public void run() {
            timer = null;
            TimeoutException timeout = new TimeoutException("request with message id " + Integer.toUnsignedString(id)
                    + " (sequence id " + Integer.toUnsignedString(seq) + ") on " + connection
                    + " got no reply within " + TimeUnit.NANOSECONDS.toMillis(timeoutNanos) + " ms");
            // Counted only when the timeout completed it (a cancel or a failed send may win).
            if (completeExceptionally(timeout)) {
                connection.context().events.requestTimedOut(connection, id, Duration.ofNanos(timeoutNanos));
            }
        }

        // The first to finish frees the place before completing, so whoever sees the future
        // complete can make the next request in its place.
        @Override
        public boolean complete(Message reply) {
            return finish() && super.complete(reply);
        }

        @Override
        public boolean completeExceptionally(Throwable ex) {
            return finish() && super.completeExceptionally(ex);
        }

        @Override
        public boolean cancel(boolean mayInterruptIfRunning) {
            return finish() && super.cancel(mayInterruptIfRunning);
        }

        private boolean finish() {
            if (finished != 0 || !FINISHED.compareAndSet(this, 0, 1)) return false;
            done();
            return true;
        }

        /** Runs once, by whoever completed it: frees the place; on the IO thread, the timer and the table entry. */
        private void done() {
            connection.releasePendingPlace();
            if (connection.loop.inEventLoop()) {
                unregister();
            } else {
                try {
                    connection.loop.execute(this::unregister);
                } catch (RejectedExecutionException e) {
                    // The IO thread is gone and took the table with it.
                }
            }
        }

        /** On the IO thread: a request completed some other way than by its reply. */
        private void unregister() {
            ScheduledFuture<?> t = timer;
            if (t != null) {
                timer = null;
                t.cancel(false);
            }
            if (!registered) return;
            registered = false;
            RequestTracker tracker = connection.requests;
            if (tracker != null) tracker.remove(this);
        }
    }
}
