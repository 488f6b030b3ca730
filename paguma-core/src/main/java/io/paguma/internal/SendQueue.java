package io.paguma.internal;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.EncoderException;
import io.netty.util.internal.PlatformDependent;
import io.paguma.Message;
import io.paguma.internal.RequestTracker.PendingRequest;

import java.nio.channels.ClosedChannelException;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;

/**
 * The outbound side of one connection (P8): its sends, queued, encoded into batches, written and
 * flushed.
 *
 * <p>Sends from the IO thread are encoded at once; sends from other threads go through a
 * lock-free queue drained by one task on the IO thread (this object is that task). Either way the
 * frames of one batch are encoded back to back into one buffer, written once and flushed once (the
 * sender never blocks, writes keep their order, no flush, buffer or promise per message). A send's
 * future completes when the write of its batch does. On a WebSocket the batch is written as one
 * slice per message ({@link #writeFrames}).
 *
 * <p>Threads: {@link #enqueue} runs on any thread; {@link #outbound} has many producers and one
 * consumer at a time ({@link #consuming}); everything else is the IO thread's. One per connection,
 * made with it: it replaces the drain task the connection would otherwise hold, so it costs no
 * memory of its own.
 */
final class SendQueue implements Runnable {
    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(SendQueue.class);
    private static final AtomicIntegerFieldUpdater<SendQueue> DRAIN_SCHEDULED =
            AtomicIntegerFieldUpdater.newUpdater(SendQueue.class, "drainScheduled");
    private static final AtomicIntegerFieldUpdater<SendQueue> CONSUMING =
            AtomicIntegerFieldUpdater.newUpdater(SendQueue.class, "consuming");
    /** The first buffer of a batch holds at least this much, so a burst of small replies fits without growing. */
    private static final int BATCH_INITIAL_CAPACITY = 4096;
    /** A batch this large is written out at once (flushed with the rest), so buffers stay bounded. */
    private static final int BATCH_WRITE_THRESHOLD = 32 * 1024;
    /**
     * Sends taken from the queue by one drain task. Senders on other threads that keep pace with
     * the IO thread would otherwise hold it in one task for as long as they send.
     */
    private static final int DRAIN_SLICE = 4096;
    /**
     * A buffer payload this large is written as it is, after its header, rather than copied into
     * the batch (with a codec that can split its frames; not on a WebSocket, whose frames are whole).
     */
    static final int DIRECT_WRITE_MIN = 1024;

    private final ChannelConnection connection;
    /** Each message goes out as a WebSocket frame of its own (the batch is written frame by frame). */
    final boolean webSocket;
    /**
     * Made by the first send that has to be queued (an idle connection, or one whose replies all
     * go out on its IO thread, never pays for it: a padded MPSC queue is a few hundred bytes).
     */
    private volatile Queue<Object> outbound;   // a PendingSend, or a Message sent without a future
    @SuppressWarnings("rawtypes")
    private static final java.util.concurrent.atomic.AtomicReferenceFieldUpdater<SendQueue, Queue> OUTBOUND =
            java.util.concurrent.atomic.AtomicReferenceFieldUpdater.newUpdater(SendQueue.class, Queue.class, "outbound");
    private volatile int drainScheduled;
    /** 1 while a thread takes sends from {@link #outbound} (its single consumer); nobody waits for it. */
    private volatile int consuming;
    /** IO thread only: frames encoded but not yet written, and the sends waiting on them. */
    private ByteBuf batch;
    private Batch batchSends;
    /** IO thread only: a Batch written with the void promise, kept for the next batch. */
    private Batch spare;
    /** IO thread only: a batch was written since the last flush this class made. */
    private boolean unflushed;
    /** IO thread only: inside append() or a flush at the mark, whose flush may run send callbacks that send again. */
    private boolean appending;

    SendQueue(ChannelConnection connection, boolean webSocket) {
        this.connection = connection;
        this.webSocket = webSocket;
    }

    /** Sends queued and not yet taken by the drain. */
    int queued() {
        Queue<Object> q = outbound;
        return q == null ? 0 : q.size();
    }

    /** The queue, made by the first sender that needs it. */
    @SuppressWarnings("unchecked")
    private Queue<Object> queue() {
        Queue<Object> q = outbound;
        if (q != null) return q;
        q = PlatformDependent.newMpscQueue(8, 1 << 30);
        return OUTBOUND.compareAndSet(this, null, q) ? q : outbound;
    }

    private boolean nothingQueued() {
        Queue<Object> q = outbound;
        return q == null || q.isEmpty();
    }

    /**
     * Any thread: queues one send, or on the IO thread with nothing queued encodes it at once.
     * {@code send} is a {@link PendingSend}, or a {@link Message} sent without a future
     * ({@code sendAndForget}): nothing to complete, so nothing allocated for it.
     */
    void enqueue(Object send) {
        if (connection.closed) {
            fail(send, connection.closedException(null));
            return;
        }
        if (connection.loop.inEventLoop() && !appending && nothingQueued()) {
            append(send);
            // A reply made while this connection's read is decoded goes out when the read completes.
            if (connection.handler.reading()) return;
        } else {
            // Off the IO thread, re-entered from a callback that a flush inside append() ran, or
            // behind sends still queued: queue it, so it keeps its place behind them.
            queue().offer(send);
            if (connection.closed) {
                // Closed while we were queueing: the close may already have emptied the queue, so
                // fail what is left here rather than leave this future waiting.
                failQueued();
                return;
            }
        }
        if (drainScheduled == 0 && DRAIN_SCHEDULED.compareAndSet(this, 0, 1)) submitDrain();
    }

    /** Hands the drain to the IO thread; {@code drainScheduled} is already set by the caller. */
    private void submitDrain() {
        try {
            connection.loop.execute(this);
        } catch (RejectedExecutionException e) {
            // The IO threads are gone: nothing will ever drain the queue, so fail it here. Reset the
            // flag first, so a sender that saw it set has its send already queued for us to fail.
            drainScheduled = 0;
            failQueued();
        }
    }

    /**
     * On the IO thread at the end of a read: replies a router made on this thread go out now,
     * rather than after every other channel of this turn was read.
     */
    boolean hasUnflushed() {
        return batch != null || unflushed;
    }

    /**
     * IO thread, inside a write that crossed the high water mark ({@code ReadGate}): flushes what is
     * written. The flush completes earlier sends, whose callbacks may send again: those sends are
     * queued (a drain task writes them), never written in the middle of the write that crossed the
     * mark, whoever made it (between a WebSocket batch's frames, a frame's header and payload, a
     * file chunk's header and region).
     */
    void flushHoldingSends() {
        boolean wasAppending = appending;
        appending = true;
        try {
            connection.channel.flush();
        } finally {
            appending = wasAppending;
        }
    }

    void flushAfterRead() {
        writeBatch();
        if (unflushed) {
            unflushed = false;
            connection.channel.flush();
        }
    }

    /** The drain task, on the IO thread: encodes a slice of what is queued, writes and flushes it. */
    @Override
    public void run() {
        drainScheduled = 0;
        TurnEnd turnEnd = connection.handler.turnEnd();
        if (turnEnd != null) turnEnd.taskRan();
        boolean more;
        try {
            more = drainOutbound(DRAIN_SLICE);
        } finally {
            // Whatever was encoded goes out, even if a send threw on the way.
            writeBatch();
            unflushed = false;
            connection.channel.flush();
        }
        // Senders that wait for the peer may go on if this drain brought the queue below the mark.
        if (connection.pacing != null) connection.writabilityChanged();
        // Senders kept pace: the rest is taken by another task, after whatever else waits for this thread.
        if (more && drainScheduled == 0 && DRAIN_SCHEDULED.compareAndSet(this, 0, 1)) submitDrain();
    }

    /**
     * Takes at most {@code max} sends from the queue; returns whether more are left. The queue has
     * one consumer at a time ({@link #consuming}): the IO thread, or after close a sender failing
     * what is left, in which case that sender takes everything and this returns false.
     */
    boolean drainOutbound(int max) {
        Queue<Object> q = outbound;
        if (q == null || !CONSUMING.compareAndSet(this, 0, 1)) return false;
        try {
            for (int n = 0; n < max; n++) {
                Object s = q.poll();
                if (s == null) return false;
                append(s);
            }
            return !q.isEmpty();
        } finally {
            consuming = 0;
            // A sender that queued after the close looked and left its send to us (failQueued could
            // not take the queue while we held it): fail what is there now, or nobody will.
            if (connection.closed && !q.isEmpty()) failQueued();
        }
    }

    /** IO thread: the Batch for a new batch (the spare one, or a new one). */
    private Batch takeBatch() {
        Batch b = spare;
        if (b == null) return new Batch(webSocket);
        spare = null;
        return b;
    }

    /**
     * A send that will not be written: the queue's reference to its payload is let go, and its
     * future (if it has one) fails. Only the queue's consumer or the sender itself gets here.
     */
    private static void fail(Object send, Throwable cause) {
        if (send instanceof PendingSend) {
            PendingSend s = (PendingSend) send;
            Message m = s.message;
            s.message = null;
            if (m != null) letGo(m);
            s.completeExceptionally(cause);
        } else if (send != null) {
            letGo((Message) send);
        }
    }

    /** Releases the queue's reference to a buffer payload; one released too often is logged, not thrown into the drain. */
    private static void letGo(Message m) {
        try {
            m.release();
        } catch (io.netty.util.IllegalReferenceCountException e) {
            log.warn("a sent message's payload buffer was released too often (released by its sender while still queued?): {}", m);
        }
    }

    /** On the IO thread: encodes one send into the current batch. */
    private void append(Object send) {
        appending = true;
        try {
            appendNow(send);
        } finally {
            appending = false;
        }
    }

    private void appendNow(Object item) {
        PendingSend send;
        Message message;
        if (item instanceof PendingSend) {
            send = (PendingSend) item;
            message = send.message;
            send.message = null;
            if (message == null) return;   // already failed
        } else {
            send = null;
            message = (Message) item;
        }
        try {
            appendNow(send, message);
        } finally {
            // Encoded into the batch (copied), handed to a direct write (which holds its own
            // reference) or failed: the queue's reference is done with either way.
            letGo(message);
        }
    }

    private void appendNow(PendingSend send, Message message) {
        if (connection.context.config.outboundPolicy() == io.paguma.PagumaConfig.OutboundPolicy.WAIT) {
            ChannelConnection.Pacing pacing = connection.pacing;
            if (pacing != null) pacing.queued.addAndGet(-ChannelConnection.queuedCost(message));
        }
        if (connection.closed || connection.closing) {
            failSend(send, connection.closedException(null));
            return;
        }
        if (!connection.channel.isWritable()) {
            // Above the high water mark: the socket takes what it can of the batches written so
            // far, so the limit measures what the peer really has not read; the open batch is
            // counted too. This send still joins that batch: a write (buffer, outbound entry,
            // promise, flush) per send would hold many times the bytes the limit counts, and cost
            // a syscall each.
            if (unflushed) {
                unflushed = false;
                connection.channel.flush();
            }
            ChannelOutboundBuffer pending = connection.channel.unsafe().outboundBuffer();
            long held = pending == null ? 0 : pending.totalPendingWriteBytes() + (batch == null ? 0 : batch.readableBytes());
            if (held > connection.context.config.maxPendingWriteBytes()) {
                connection.closeForSlowPeer(held, send);
                return;
            }
            if (connection.context.config.outboundPolicy() == io.paguma.PagumaConfig.OutboundPolicy.DROP
                    && !connection.channel.isWritable()) {
                // The peer does not keep up: this send is dropped, the connection stays.
                failSend(send, new IllegalStateException(connection + ": send dropped: "
                        + (pending == null ? 0 : pending.totalPendingWriteBytes()) + " bytes wait for the peer, above"
                        + " writeBufferHighWaterMark " + connection.context.config.writeBufferHighWaterMark()
                        + " (outboundPolicy drop)"));
                return;
            }
        }
        if (send != null && send.request != null && !connection.register(send.request)) {
            failSend(send, new IllegalStateException(connection + ": sequence id "
                    + Integer.toUnsignedString(message.seq()) + " is still waiting for its reply after 2^31 requests"));
            return;
        }
        // Larger than the peer would take (as configured here): only this send fails, not the connection.
        if (message.length() > connection.context.config.maxPacketSize()) {
            failSend(send, new IllegalArgumentException("message of " + message.length()
                    + " bytes (id " + Integer.toUnsignedString(message.id()) + ") exceeds maxPacketSize "
                    + connection.context.config.maxPacketSize() + ": the peer would close the connection"
                    + " (set paguma.maxPacketSize on both sides to raise it)"));
            return;
        }
        if (message.length() >= DIRECT_WRITE_MIN && message.hasBuffer() && !webSocket
                && connection.context.codec instanceof io.paguma.internal.codec.SplitFrames) {
            appendDirect(send, message, (io.paguma.internal.codec.SplitFrames) connection.context.codec);
            return;
        }
        int length;
        try {
            length = connection.context.codec.frameLength(message);
        } catch (Throwable e) {
            // Nothing of this message was written: the batch is left as it is.
            failEncode(send, message, e);
            return;
        }
        // A frame that does not fit starts a new buffer rather than growing this one: growing
        // copies every frame already in it (a fifth of the time at 4 KiB payloads).
        if (batch != null && batch.writableBytes() < length) writeBatch();
        if (batch == null) batch = connection.channel.alloc().ioBuffer(Math.max(length, BATCH_INITIAL_CAPACITY));
        int mark = batch.writerIndex();
        try {
            connection.context.codec.encode(message, batch);
        } catch (Throwable e) {
            // Only this message is lost: what the codec wrote of it is cut off again, so the frames
            // before it in the batch stay intact.
            batch.writerIndex(mark);
            failEncode(send, message, e);
            return;
        }
        if (batchSends == null) batchSends = takeBatch();
        batchSends.add(send, batch.writerIndex() - mark);
        if (batch.readableBytes() >= BATCH_WRITE_THRESHOLD) writeBatch();
    }

    /**
     * zeroCopy: the frame's header (and trailer) go into the batch, the payload buffer is written as
     * it is between them, without a copy. The send completes when the last of its frame is written.
     */
    private void appendDirect(PendingSend send, Message message, io.paguma.internal.codec.SplitFrames codec) {
        // The payload's own reference first: a payload that cannot be had fails before any byte of
        // its frame is written.
        ByteBuf payload;
        int header;
        try {
            payload = message.retainedPayload();
        } catch (RuntimeException e) {
            failEncode(send, message, e);
            return;
        }
        int length = message.length();
        int trailer = codec.trailerLength();
        try {
            header = connection.context.codec.frameLength(message) - length - trailer;
            // The header alone goes out in a new buffer (the payload follows at once): no larger than it.
            if (batch == null) batch = connection.channel.alloc().ioBuffer(header);
        } catch (Throwable e) {
            payload.release();
            failEncode(send, message, e);
            return;
        }
        int mark = batch.writerIndex();
        try {
            codec.encodeHeader(message, batch);
        } catch (Throwable e) {
            batch.writerIndex(mark);
            payload.release();
            failEncode(send, message, e);
            return;
        }
        if (batchSends == null) batchSends = takeBatch();
        batchSends.addBytes(batch.writerIndex() - mark);
        writeBatch();
        unflushed = true;
        connection.wroteSinceTick = true;
        if (trailer > 0) {
            // The send completes with its trailer, the last of its frame.
            connection.channel.write(payload, connection.channel.voidPromise());
            batch = connection.channel.alloc().ioBuffer(BATCH_INITIAL_CAPACITY);
            codec.encodeTrailer(message, batch);
            batchSends = takeBatch();
            batchSends.add(send, length + trailer);
        } else if (send == null) {
            connection.channel.write(payload, connection.channel.voidPromise());
            connection.sent(length, 1);
        } else {
            ChannelPromise written = connection.channel.newPromise();
            written.addListener(new DirectWrite(send, length));
            connection.channel.write(payload, written);
        }
    }

    /** The payload write of one direct send: completes it (and counts it) when written. */
    private final class DirectWrite implements ChannelFutureListener {
        private final PendingSend send;
        private final int length;

        DirectWrite(PendingSend send, int length) {
            this.send = send;
            this.length = length;
        }

        @Override
        public void operationComplete(ChannelFuture future) {
            if (future.isSuccess()) {
                connection.sent(length, 1);
                send.complete(null);
            } else {
                Throwable cause = future.cause();
                send.completeExceptionally(cause instanceof ClosedChannelException ? connection.closedException(cause) : cause);
            }
        }
    }

    /** A send of this batch that fails: its future, if it has one (a forgotten send's failure is logged in one line, unless it is a close). */
    private void failSend(PendingSend send, Throwable cause) {
        if (send != null) {
            send.completeExceptionally(cause);
        } else if (!(cause instanceof io.paguma.ConnectionClosedException)) {
            // Nobody will hear of it otherwise (too large, cannot be encoded, dropped): one line.
            connection.context.errorLog.warn(connection + ": a send without a future (sendAndForget) failed: " + cause.getMessage(), null);
        }
    }

    private void failEncode(PendingSend send, Message message, Throwable e) {
        failSend(send, new EncoderException("codec " + connection.context.codec.name() + " cannot encode "
                + message + ": " + e, e));
        if (e instanceof VirtualMachineError) throw (VirtualMachineError) e;
    }

    /** On the IO thread: hands the current batch to the channel as one write (not flushed). */
    void writeBatch() {
        ByteBuf b = batch;
        Batch sends = batchSends;
        if (b == null) return;
        batch = null;
        batchSends = null;
        if (!b.isReadable()) {
            b.release();
            if (sends != null) sends.operationComplete(connection.channel.newSucceededFuture());
            return;
        }
        // A peer that is not reading keeps this buffer waiting, and the write limits count only its
        // bytes: trimmed to them, many small batches cannot hold far more memory than they count.
        if (!connection.channel.isWritable() && b.capacity() - b.readableBytes() >= BATCH_INITIAL_CAPACITY / 2) {
            ByteBuf trimmed = connection.channel.alloc().ioBuffer(b.readableBytes());
            trimmed.writeBytes(b);
            b.release();
            b = trimmed;
        }
        // A batch whose sends nobody waits for (sendAndForget, a direct write's header) is written
        // with the void promise: no promise, no listener, and the Batch serves the next one.
        boolean waited = sends != null && sends.hasFutures();
        ChannelPromise promise;
        if (waited) {
            promise = connection.channel.newPromise();
            promise.addListener(sends);
        } else {
            promise = connection.channel.voidPromise();
        }
        if (sends != null && sends.lengths != null && sends.size > 1) {
            writeFrames(b, sends, promise);
        } else {
            connection.channel.write(b, promise);
        }
        if (!waited && sends != null) {
            sends.counted();
            spare = sends.reset();
        }
        unflushed = true;
        connection.wroteSinceTick = true;
    }

    /**
     * WebSocket: one write per message, each a slice of the batch (the pipeline makes each a binary
     * frame); the last carries the batch's promise, as writes on one channel complete in order.
     */
    private void writeFrames(ByteBuf b, Batch sends, ChannelPromise promise) {
        int offset = b.readerIndex();
        int last = sends.size - 1;
        for (int i = 0; i < last; i++) {
            int length = sends.lengths[i];
            connection.channel.write(b.retainedSlice(offset, length), connection.channel.voidPromise());
            offset += length;
        }
        connection.channel.write(b.retainedSlice(offset, b.writerIndex() - offset), promise);
        b.release();
    }

    /** On the IO thread, at close: the batch not yet written fails with the connection. */
    void failBatch() {
        ByteBuf b = batch;
        Batch sends = batchSends;
        batch = null;
        batchSends = null;
        if (b != null) b.release();
        if (sends != null) sends.fail(connection.closedException(null));
    }

    /**
     * After close: fails whatever is queued. Whoever holds {@link #consuming} empties the queue;
     * a caller that cannot get it leaves its send to the holder, which looks again after letting
     * go. Nobody ever waits for the flag, so futures completed here (and their callbacks, which
     * may send on other connections) cannot deadlock with another connection's close.
     */
    void failQueued() {
        // A sender that makes the queue after this look offers, then sees closed and calls this again.
        Queue<Object> q = outbound;
        if (q == null) return;
        while (CONSUMING.compareAndSet(this, 0, 1)) {
            try {
                Object s;
                while ((s = q.poll()) != null) fail(s, connection.closedException(null));
            } finally {
                consuming = 0;
            }
            if (q.isEmpty()) return;
        }
    }

    /** The future of one send; the message is dropped once encoded. */
    static final class PendingSend extends CompletableFuture<Void> {
        Message message;
        /** Set when this send carries a request: a send that fails fails the request too. */
        PendingRequest request;

        PendingSend(Message message) {
            this.message = message;
        }

        @Override
        public boolean completeExceptionally(Throwable ex) {
            // (Its message is not touched here: a caller may complete this future from any thread,
            // with orTimeout say, while the IO thread is encoding it.)
            if (request != null) request.completeExceptionally(ex);
            return super.completeExceptionally(ex);
        }
    }

    /** The sends of one batch write: they complete together when the write does. */
    private final class Batch implements ChannelFutureListener {
        /** The sends that have a future, in order (null until the first). */
        private PendingSend[] sends;
        private int futures;
        /** WebSocket only: each send's frame length, to write the frames one by one. */
        int[] lengths;
        /** Frames in the batch, with or without a future. */
        int size;
        private long bytes;

        Batch(boolean frameLengths) {
            if (frameLengths) lengths = new int[8];
        }

        /** Bytes of a frame whose send completes elsewhere (a direct write's header or trailer). */
        void addBytes(int frameBytes) {
            bytes += frameBytes;
        }

        /** One frame; {@code send} is null for a send without a future. */
        void add(PendingSend send, int frameBytes) {
            if (lengths != null) {
                if (size == lengths.length) lengths = java.util.Arrays.copyOf(lengths, size * 2);
                lengths[size] = frameBytes;
            }
            size++;
            bytes += frameBytes;
            if (send != null) {
                if (sends == null) sends = new PendingSend[8];
                else if (futures == sends.length) sends = java.util.Arrays.copyOf(sends, futures * 2);
                sends[futures++] = send;
            }
        }

        /** Whether a future waits on this batch: if none, it is written with the void promise. */
        boolean hasFutures() {
            return futures != 0;
        }

        /** Empty again, for the next batch (only one written with the void promise: nothing refers to it). */
        Batch reset() {
            size = 0;
            bytes = 0;
            return this;
        }

        /** Counted as written (a batch written with the void promise is counted when handed to the channel). */
        void counted() {
            connection.sent(bytes, size);
        }

        @Override
        public void operationComplete(ChannelFuture future) {
            if (future.isSuccess()) {
                connection.sent(bytes, size);
                for (int i = 0; i < futures; i++) sends[i].complete(null);
            } else {
                Throwable cause = future.cause();
                fail(cause instanceof ClosedChannelException ? connection.closedException(cause) : cause);
            }
        }

        void fail(Throwable cause) {
            for (int i = 0; i < futures; i++) sends[i].completeExceptionally(cause);
        }
    }
}
