package io.paguma.internal;

import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelOption;
import io.netty.channel.socket.DuplexChannel;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.concurrent.ScheduledFuture;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * A server-side close that the peer sees as a clean end of stream, not a reset.
 *
 * <p>Closing a socket that still has unread input makes the kernel send RST, and a peer that
 * receives RST may lose replies it has not read yet. So: write out what is pending (for at most
 * {@code flushTimeout}), send FIN ({@code shutdownOutput}), keep reading and discarding until the
 * peer closes its side, and close for good {@code linger} after the FIN at the latest. If the
 * writes cannot be finished in time, the connection is reset on purpose, so the peer can tell that
 * it did not get everything. The caller must already discard input and keep {@code autoRead} on.
 */
final class GracefulClose {
    private GracefulClose() {
    }

    /** On the channel's IO thread, after {@code last} (or everything written so far) has been queued. */
    static void close(Channel channel, ChannelFuture last, Duration flushTimeout, Duration linger) {
        if (!channel.isActive()) {
            channel.close();
            return;
        }
        ChannelFuture flushed = last != null ? last : channel.writeAndFlush(Unpooled.EMPTY_BUFFER);
        ScheduledFuture<?> flushDeadline = channel.eventLoop().schedule(() -> reset(channel),
                flushTimeout.toNanos(), TimeUnit.NANOSECONDS);
        flushed.addListener(f -> {
            if (!f.isSuccess() || !(channel instanceof DuplexChannel) || !channel.isActive()) {
                flushDeadline.cancel(false);
                channel.close();
                return;
            }
            SslHandler tls = channel.pipeline().get(SslHandler.class);
            if (tls != null) {
                // TLS: close_notify first, so the peer sees a clean TLS close rather than a truncation.
                // Its write completes only once the socket takes it: a peer that stopped reading may
                // never let it, so the flush deadline keeps running until it has (then: reset).
                tls.closeOutbound().addListener(n -> {
                    flushDeadline.cancel(false);
                    shutdownOutput(channel, linger);
                });
            } else {
                flushDeadline.cancel(false);
                shutdownOutput(channel, linger);
            }
        });
    }

    private static void shutdownOutput(Channel channel, Duration linger) {
        if (!channel.isActive()) {
            channel.close();
            return;
        }
        ((DuplexChannel) channel).shutdownOutput().addListener(s -> {
            // The peer has already ended its side (half-closure): both directions are done.
            if (!s.isSuccess() || ((DuplexChannel) channel).isInputShutdown()) {
                channel.close();
                return;
            }
            ScheduledFuture<?> lingerEnd = channel.eventLoop().schedule((Runnable) channel::close,
                    linger.toNanos(), TimeUnit.NANOSECONDS);
            channel.closeFuture().addListener(c -> lingerEnd.cancel(false));
        });
    }

    /**
     * The writes could not finish: close with a reset (SO_LINGER 0) so the cut is visible to the
     * peer, which would otherwise read a truncated stream followed by a clean FIN. On the IO thread.
     */
    static void reset(Channel channel) {
        if (!channel.isActive()) return;
        try {
            channel.config().setOption(ChannelOption.SO_LINGER, 0);
        } catch (RuntimeException unsupported) {
            // A transport without SO_LINGER: a plain close is the best we can do.
        }
        SslHandler tls = channel.pipeline().get(SslHandler.class);
        // TLS would first try to flush a close_notify for up to 3 s (Netty's default): this close
        // is a reset because nothing more can be flushed, so it must not wait for that.
        if (tls != null) tls.setCloseNotifyFlushTimeout(1, TimeUnit.MILLISECONDS);
        channel.close();
    }
}
