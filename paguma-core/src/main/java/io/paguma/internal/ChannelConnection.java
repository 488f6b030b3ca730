package io.paguma.internal;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.ChannelPromise;
import io.netty.channel.EventLoop;
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
 * <p>Sends from the IO thread are written directly; sends from other threads go through a
 * lock-free queue drained by one task on the IO thread. Either way a single flush follows each
 * batch (P8: the sender never blocks, writes keep their order, no flush per message).
 */
public final class ChannelConnection implements Connection {
    private static final AtomicIntegerFieldUpdater<ChannelConnection> DRAIN_SCHEDULED =
            AtomicIntegerFieldUpdater.newUpdater(ChannelConnection.class, "drainScheduled");

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
        if (loop.inEventLoop()) {
            if (!outbound.isEmpty()) drainOutbound();
            write(send);
        } else {
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

    private void drainAndFlush() {
        drainScheduled = 0;
        drainOutbound();
        channel.flush();
    }

    /**
     * The queue has one consumer at a time: the IO thread, or after close a sender failing what is
     * left. The lock is taken once per batch, never per message, and is uncontended but at close.
     */
    private synchronized void drainOutbound() {
        PendingSend s;
        while ((s = outbound.poll()) != null) write(s);
    }

    private void write(PendingSend send) {
        if (closed) {
            send.completeExceptionally(closedException(null));
            return;
        }
        if (!channel.isWritable()) {
            // Above the high water mark: let the socket take what it can first, so the limit
            // measures only what the peer really has not read, never a batch not yet flushed.
            channel.flush();
            ChannelOutboundBuffer pending = channel.unsafe().outboundBuffer();
            if (pending != null && pending.totalPendingWriteBytes() > context.config.maxPendingWriteBytes()) {
                closeForSlowPeer(pending.totalPendingWriteBytes(), send);
                return;
            }
        }
        ChannelPromise promise = channel.newPromise();
        promise.addListener(send);
        channel.write(send.message, promise);
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
        GracefulClose.close(channel, null, context.config.stopGracePeriod(), context.config.closeLinger());
    }

    @Override
    public CompletableFuture<Void> closeFuture() {
        return closeFuture;
    }

    /** On the IO thread, when the channel has become inactive: fail every send still queued. */
    void markClosed() {
        closed = true;
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

    /** The future of one send; completes from the write's promise. */
    private final class PendingSend extends CompletableFuture<Void> implements ChannelFutureListener {
        final Message message;

        PendingSend(Message message) {
            this.message = message;
        }

        @Override
        public void operationComplete(ChannelFuture future) {
            if (future.isSuccess()) {
                complete(null);
            } else {
                Throwable cause = future.cause();
                completeExceptionally(cause instanceof ClosedChannelException ? closedException(cause) : cause);
            }
        }
    }
}
