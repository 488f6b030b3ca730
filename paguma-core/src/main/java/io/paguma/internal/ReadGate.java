package io.paguma.internal;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.paguma.EndpointListener;

/**
 * Whether one connection's channel reads: one {@code autoRead} decision for every reason to stop
 * (P9, B2), and a pause and the resume after it reported as events. Reading stops while the
 * connection's worker is full ({@link #paused}: the decoded request is held until the worker has
 * room) or while more than the high water mark waits to be written ({@link #writeBlocked}); it goes
 * on whatever holds it back once the connection is closing ({@link #draining}: input is read only
 * to be discarded, so the final close is not a reset).
 *
 * <p>The base class of {@link ConnectionHandler} rather than an object of its own, so the gate
 * costs a connection its flags and nothing more. IO thread only, like the handler.
 */
abstract class ReadGate extends ChannelInboundHandlerAdapter {
    /** The worker is full: reading waits for it (inbound backpressure). */
    boolean paused;
    /** Reading is off because of backpressure (reported as an event when it turns off and on). */
    private boolean readingPaused;
    /** More than the high water mark waits to be written: reading waits for the peer (outbound backpressure). */
    boolean writeBlocked;
    /** The connection is closing (or no longer accepts requests): what is read from now on is discarded. */
    boolean draining;
    /** maxMessageRate: the peer is over its rate; reading waits until the next message is allowed. */
    boolean rateLimited;
    /** The application paused reading ({@code Connection.pauseReading()}). */
    private boolean applicationPaused;
    /** WebSocket: holds the reads Netty's stages ask for while reading is paused (see WebSockets.ReadHold); null on TCP. */
    WebSockets.ReadHold readHold;

    /** The connection, once the channel is active and accepted; null before or if refused. */
    abstract ChannelConnection connection();

    abstract EndpointContext context();

    /**
     * A peer that sends requests but does not read the replies stops being read once the high water
     * mark of unsent bytes is reached, so its replies cannot pile up; TCP then slows the peer down.
     *
     * <p>Crossing the mark with writes not yet flushed (a read's replies, a drain of the send queue)
     * flushes them first, and reading stops only if the socket does not take them: a burst of
     * replies just over the mark is not a peer that stops reading. Stopping at once paused and
     * resumed reading around every such burst, two {@code epoll_ctl} calls and two events each
     * (16 replies of 4 KiB are 65,664 bytes, just over the default 64 KiB: 13.6 calls per 100
     * messages in the 4 KiB echo benchmark, raw Netty none).
     */
    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        ChannelConnection connection = connection();
        if (connection != null) {
            // The flush may make the channel writable again: that change comes here first (nested),
            // and finds nothing to do; this one then looks at what holds after the flush.
            if (!writeBlocked && !ctx.channel().isWritable()) connection.flushHoldingSends();
            boolean blocked = !ctx.channel().isWritable();
            if (blocked != writeBlocked) {
                writeBlocked = blocked;
                watchSlowPeer(ctx);
                updateAutoRead();
            }
            // Senders waiting for the peer (outboundPolicy wait, writable()) look on every change:
            // with TLS the change can come later than the state it reports.
            connection.writabilityChanged();
        }
        ctx.fireChannelWritabilityChanged();
    }

    /** slowPeerTimeout: the timer runs while the peer leaves more than the high water mark unread. */
    private io.netty.util.concurrent.ScheduledFuture<?> slowPeerTimer;

    private void watchSlowPeer(ChannelHandlerContext ctx) {
        long timeout = context().slowPeerTimeoutNanos;
        if (timeout == 0) return;
        if (writeBlocked && slowPeerTimer == null) {
            slowPeerTimer = ctx.executor().schedule(() -> {
                slowPeerTimer = null;
                ChannelConnection c = connection();
                if (c != null && writeBlocked && ctx.channel().isActive() && !ctx.channel().isWritable()) {
                    c.cutSlowPeer(java.util.concurrent.TimeUnit.NANOSECONDS.toMillis(timeout));
                }
            }, timeout, java.util.concurrent.TimeUnit.NANOSECONDS);
        } else if (!writeBlocked) {
            cancelSlowPeerTimer();
        }
    }

    final void cancelSlowPeerTimer() {
        if (slowPeerTimer != null) {
            slowPeerTimer.cancel(false);
            slowPeerTimer = null;
        }
    }

    /** Reads while closing (to discard), otherwise only when neither the worker nor the peer holds us back. */
    final void updateAutoRead() {
        ChannelConnection connection = connection();
        if (!connection.channel().isActive()) return;
        boolean read = draining || (!paused && !writeBlocked && !applicationPaused && !rateLimited);
        connection.channel().config().setAutoRead(read);
        if (readHold != null) readHold.hold(!read);
        // Backpressure as events: a pause, and the resume after it (not the reading a close does to discard).
        if (!read && !readingPaused) {
            readingPaused = true;
            context().events.readingPaused(connection, paused ? EndpointListener.PauseCause.WORKER_FULL
                    : writeBlocked ? EndpointListener.PauseCause.PEER_NOT_READING
                    : rateLimited ? EndpointListener.PauseCause.MESSAGE_RATE : EndpointListener.PauseCause.APPLICATION);
        } else if (read && readingPaused) {
            readingPaused = false;
            if (!draining) context().events.readingResumed(connection);
        }
    }

    /** The application's pause ({@code Connection.pauseReading()}/{@code resumeReading()}); IO thread. */
    final void applicationPaused(boolean pause) {
        if (applicationPaused == pause) return;
        applicationPaused = pause;
        if (connection() != null) updateAutoRead();
    }
}
