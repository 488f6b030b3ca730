package io.paguma.internal;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.ChannelPromise;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.EncoderException;
import io.netty.util.internal.PlatformDependent;
import io.paguma.Connection;
import io.paguma.ConnectionClosedException;
import io.paguma.Message;

import java.net.InetSocketAddress;
import java.nio.channels.ClosedChannelException;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;

/**
 * The {@link Connection} over a Netty channel.
 *
 * <p>Sends from the IO thread are encoded at once; sends from other threads go through a
 * lock-free queue drained by one task on the IO thread. Either way the frames of one batch are
 * encoded back to back into one buffer, written once and flushed once (P8: the sender never
 * blocks, writes keep their order, no flush, buffer or promise per message). A send's future
 * completes when the write of its batch does.
 */
public final class ChannelConnection implements Connection {
    private static final AtomicIntegerFieldUpdater<ChannelConnection> DRAIN_SCHEDULED =
            AtomicIntegerFieldUpdater.newUpdater(ChannelConnection.class, "drainScheduled");
    /** The first buffer of a batch holds at least this much, so a burst of small replies fits without growing. */
    private static final int BATCH_INITIAL_CAPACITY = 4096;
    /** A batch this large is written out at once (flushed with the rest), so buffers stay bounded. */
    private static final int BATCH_WRITE_THRESHOLD = 32 * 1024;

    private final long id;
    private final Channel channel;
    private final EventLoop loop;
    private final InetSocketAddress remote;
    private final InetSocketAddress local;
    private final ServerContext context;
    private final ConnectionHandler handler;
    final Worker worker;
    private final ConcurrentHashMap<String, Object> properties = new ConcurrentHashMap<>();
    private final CompletableFuture<Void> closeFuture = new CompletableFuture<>();
    private final Queue<PendingSend> outbound = PlatformDependent.newMpscQueue(8, 1 << 30);
    private final Runnable drainTask = this::drainAndFlush;
    private volatile int drainScheduled;
    /** IO thread only: frames encoded but not yet written, and the sends waiting on them. */
    private ByteBuf batch;
    private Batch batchSends;
    /** IO thread only: a batch was written since the last flush this class made. */
    private boolean unflushed;
    /** IO thread only: already on this IO thread's end-of-turn flush list (see {@link TurnEnd}). */
    boolean flushQueued;
    /** IO thread only: inside append(), whose flush may run send callbacks that send again. */
    private boolean appending;
    private volatile boolean closed;
    /** Set on the IO thread by the first close. */
    private boolean closing;

    ChannelConnection(long id, Channel channel, ServerContext context, ConnectionHandler handler, Worker worker) {
        this.id = id;
        this.channel = channel;
        this.loop = channel.eventLoop();
        this.remote = (InetSocketAddress) channel.remoteAddress();
        this.local = (InetSocketAddress) channel.localAddress();
        this.context = context;
        this.handler = handler;
        this.worker = worker;
    }

    @Override
    public long id() {
        return id;
    }

    @Override
    public InetSocketAddress remoteAddress() {
        return remote;
    }

    @Override
    public InetSocketAddress localAddress() {
        return local;
    }

    @Override
    public Channel channel() {
        return channel;
    }

    @Override
    public boolean isOpen() {
        return !closed;
    }

    @Override
    public CompletableFuture<Void> send(Message message) {
        if (message == null) throw new NullPointerException("message");
        PendingSend send = new PendingSend(message);
        if (closed) {
            send.completeExceptionally(closedException(null));
            return send;
        }
        if (loop.inEventLoop() && !appending) {
            if (!outbound.isEmpty()) drainOutbound();
            append(send);
            // A reply made while this connection's read is decoded goes out when the read completes.
            if (handler.reading()) return send;
        } else {
            // Off the IO thread, or re-entered from a callback that a flush inside append() ran:
            // queue it, so it keeps its place behind the send being appended.
            outbound.offer(send);
            if (closed) {
                // Closed while we were queueing: the close may already have emptied the queue, so
                // fail what is left here rather than leave this future waiting.
                failQueued();
                return send;
            }
        }
        if (drainScheduled == 0 && DRAIN_SCHEDULED.compareAndSet(this, 0, 1)) submitDrain();
        return send;
    }

    /** Hands the drain to the IO thread; {@code drainScheduled} is already set by the caller. */
    private void submitDrain() {
        try {
            loop.execute(drainTask);
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

    void flushAfterRead() {
        writeBatch();
        if (unflushed) {
            unflushed = false;
            channel.flush();
        }
    }

    private void drainAndFlush() {
        drainScheduled = 0;
        drainOutbound();
        writeBatch();
        unflushed = false;
        channel.flush();
    }

    /**
     * The queue has one consumer at a time: the IO thread, or after close a sender failing what is
     * left. The lock is taken once per batch, never per message, and is uncontended but at close.
     */
    private synchronized void drainOutbound() {
        PendingSend s;
        while ((s = outbound.poll()) != null) append(s);
    }

    /** On the IO thread: encodes one send into the current batch. */
    private void append(PendingSend send) {
        appending = true;
        try {
            appendNow(send);
        } finally {
            appending = false;
        }
    }

    private void appendNow(PendingSend send) {
        Message message = send.message;
        send.message = null;
        if (closed) {
            send.completeExceptionally(closedException(null));
            return;
        }
        if (!channel.isWritable()) {
            // Above the high water mark: let the socket take what it can first, so the limit
            // measures only what the peer really has not read, never a batch not yet flushed.
            writeBatch();
            unflushed = false;
            channel.flush();
            ChannelOutboundBuffer pending = channel.unsafe().outboundBuffer();
            if (pending != null && pending.totalPendingWriteBytes() > context.config.maxPendingWriteBytes()) {
                closeForSlowPeer(pending.totalPendingWriteBytes(), send);
                return;
            }
        }
        int mark = 0;
        try {
            int length = context.codec.frameLength(message);
            // A frame that does not fit starts a new buffer rather than growing this one: growing
            // copies every frame already in it (a fifth of the time at 4 KiB payloads).
            if (batch != null && batch.writableBytes() < length) writeBatch();
            if (batch == null) batch = channel.alloc().ioBuffer(Math.max(length, BATCH_INITIAL_CAPACITY));
            mark = batch.writerIndex();
            context.codec.encode(message, batch);
        } catch (Throwable e) {
            // Only this message is lost: what the codec wrote of it is cut off again, so the frames
            // around it stay intact.
            if (batch != null) batch.writerIndex(mark);
            send.completeExceptionally(new EncoderException("codec " + context.codec.name() + " cannot encode "
                    + message + ": " + e, e));
            if (e instanceof VirtualMachineError) throw (VirtualMachineError) e;
            return;
        }
        if (batchSends == null) batchSends = new Batch();
        batchSends.add(send);
        if (batch.readableBytes() >= BATCH_WRITE_THRESHOLD) writeBatch();
    }

    /** On the IO thread: hands the current batch to the channel as one write (not flushed). */
    private void writeBatch() {
        ByteBuf b = batch;
        Batch sends = batchSends;
        if (b == null) return;
        batch = null;
        batchSends = null;
        if (!b.isReadable()) {
            b.release();
            if (sends != null) sends.operationComplete(channel.newSucceededFuture());
            return;
        }
        ChannelPromise promise = channel.newPromise();
        promise.addListener(sends);
        channel.write(b, promise);
        unflushed = true;
    }

    /** On the IO thread, at close: the batch not yet written fails with the connection. */
    private void failBatch() {
        ByteBuf b = batch;
        Batch sends = batchSends;
        batch = null;
        batchSends = null;
        if (b != null) b.release();
        if (sends != null) sends.fail(closedException(null));
    }

    /** The peer does not read and more than {@code maxPendingWriteBytes} wait for it: it is cut off. */
    private void closeForSlowPeer(long pendingBytes, PendingSend send) {
        String reason = pendingBytes + " bytes waiting to be written exceed maxPendingWriteBytes "
                + context.config.maxPendingWriteBytes() + " (the peer is not reading; set paguma.maxPendingWriteBytes to raise it)";
        if (!closing) {
            closing = true;
            context.errorLog.warn(this + " closed: " + reason, null);
            handler.discardInput();
            channel.close();
        }
        send.completeExceptionally(new ConnectionClosedException(this + " closed: " + reason));
    }

    private synchronized void failQueued() {
        PendingSend s;
        while ((s = outbound.poll()) != null) s.completeExceptionally(closedException(null));
    }

    @Override
    public CompletableFuture<Void> close() {
        if (closed) return closeFuture;
        try {
            loop.execute(this::flushThenClose);
        } catch (RejectedExecutionException e) {
            channel.close();
        }
        return closeFuture;
    }

    /** On the IO thread: read no more requests, write what is queued, then close cleanly (see {@link GracefulClose}). */
    void flushThenClose() {
        if (closing) return;
        closing = true;
        handler.discardInput();
        drainOutbound();
        writeBatch();
        GracefulClose.close(channel, null, context.config.stopGracePeriod(), context.config.closeLinger());
    }

    @Override
    public CompletableFuture<Void> closeFuture() {
        return closeFuture;
    }

    /** On the IO thread, when the channel has become inactive: fail every send still queued. */
    void markClosed() {
        closed = true;
        failBatch();
        failQueued();
    }

    /** After {@code onConnStop} has run. */
    void completeClose() {
        closeFuture.complete(null);
    }

    /** Called by a worker that has room again: continue reading on the IO thread. */
    void resumeReading() {
        try {
            loop.execute(handler::resume);
        } catch (RejectedExecutionException ignored) {
            // The IO threads have stopped; the connection is closed with them.
        }
    }

    /** Stops reading (server stop); requests already dispatched still run. Completes on the IO thread. */
    public io.netty.util.concurrent.Future<?> stopReading() {
        return loop.submit(handler::stopReading);
    }

    ConnectionClosedException closedException(Throwable cause) {
        ConnectionClosedException e = new ConnectionClosedException(this + " is closed");
        if (cause != null) e.initCause(cause);
        return e;
    }

    @Override
    @SuppressWarnings("unchecked")
    public <T> T property(String key) {
        return (T) properties.get(key);
    }

    @Override
    @SuppressWarnings("unchecked")
    public <T> T property(String key, Object value) {
        if (value == null) return (T) properties.remove(key);
        return (T) properties.put(key, value);
    }

    @Override
    @SuppressWarnings("unchecked")
    public <T> T removeProperty(String key) {
        return (T) properties.remove(key);
    }

    @Override
    public String toString() {
        return "connection " + id + " (" + format(remote) + ")";
    }

    static String format(InetSocketAddress a) {
        if (a == null) return "?";
        return a.getAddress() == null ? a.getHostString() + ":" + a.getPort()
                : a.getAddress().getHostAddress() + ":" + a.getPort();
    }

    /** The future of one send; the message is dropped once encoded. */
    private static final class PendingSend extends CompletableFuture<Void> {
        Message message;

        PendingSend(Message message) {
            this.message = message;
        }
    }

    /** The sends of one batch write: they complete together when the write does. */
    private final class Batch implements ChannelFutureListener {
        private PendingSend[] sends = new PendingSend[8];
        private int size;

        void add(PendingSend send) {
            if (size == sends.length) sends = java.util.Arrays.copyOf(sends, size * 2);
            sends[size++] = send;
        }

        @Override
        public void operationComplete(ChannelFuture future) {
            if (future.isSuccess()) {
                for (int i = 0; i < size; i++) sends[i].complete(null);
            } else {
                Throwable cause = future.cause();
                fail(cause instanceof ClosedChannelException ? closedException(cause) : cause);
            }
        }

        void fail(Throwable cause) {
            for (int i = 0; i < size; i++) sends[i].completeExceptionally(cause);
        }
    }
}
