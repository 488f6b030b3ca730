package io.paguma.internal;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.paguma.EndpointListener;

import java.util.concurrent.TimeUnit;

/**
 * {@code acceptRate}: at most so many connections accepted per second by one server (its TCP and
 * WebSocket listeners together), one second's worth at once. Over the rate, the listener stops
 * accepting until the next connection is allowed: the connections that come meanwhile wait in the
 * kernel's listen backlog ({@code soBacklog}) rather than costing a socket, a TLS handshake and an
 * onConnStart each, and a backlog that overflows drops SYNs, which clients retry. A stage of the
 * listeners' pipelines, before Netty's acceptor; one instance shared by them. A connection that
 * maxConnPerIp will refuse costs no token.
 */
@ChannelHandler.Sharable
final class AcceptRate extends ChannelInboundHandlerAdapter {
    private final EndpointContext context;
    /** Guarded by this (the listeners may run on two boss threads). */
    private final TokenBucket bucket;

    AcceptRate(EndpointContext context, int perSecond) {
        this.context = context;
        this.bucket = new TokenBucket(perSecond, System.nanoTime());
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object child) {
        int perIp = context.config.maxConnPerIp();
        if (perIp > 0 && child instanceof io.netty.channel.Channel ch
                && ch.remoteAddress() instanceof java.net.InetSocketAddress remote && remote.getAddress() != null
                && context.manager.ipFull(remote.getAddress(), perIp)) {
            // Refused at once by maxConnPerIp (ConnectionHandler.admit): it costs no token, so one
            // address reconnecting in a loop cannot use up everyone's rate.
            ctx.fireChannelRead(child);
            return;
        }
        long wait;
        synchronized (this) {
            long now = System.nanoTime();
            bucket.refill(now);
            // A batch accepted in one read may take it below zero: the pause is then longer to make up for it.
            bucket.tokens--;
            wait = bucket.tokens > 0 ? 0 : bucket.nanosUntil(1, now);
        }
        ctx.fireChannelRead(child);
        if (wait > 0 && ctx.channel().config().isAutoRead()) pause(ctx, wait);
    }

    private void pause(ChannelHandlerContext ctx, long nanos) {
        ctx.channel().config().setAutoRead(false);
        context.limitLog.warn("server " + context.config.name() + ": acceptRate " + context.config.acceptRate()
                + "/s reached on " + ChannelConnection.format((java.net.InetSocketAddress) ctx.channel().localAddress())
                + ": accepting paused for " + Math.max(1, TimeUnit.NANOSECONDS.toMillis(nanos))
                + " ms (connections wait in the backlog)", null);
        context.events.limitReached(EndpointListener.Limit.ACCEPT_RATE, null, null);
        ctx.executor().schedule(() -> {
            if (ctx.channel().isOpen()) {
                ctx.channel().config().setAutoRead(true);
                ctx.channel().read();
            }
        }, Math.max(TimeUnit.MILLISECONDS.toNanos(1), nanos), TimeUnit.NANOSECONDS);
    }
}
