package io.paguma.internal;

import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.socket.DuplexChannel;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * A server-side close that the peer sees as a clean end of stream, not a reset.
 *
 * <p>Closing a socket that still has unread input makes the kernel send RST, and a peer that
 * receives RST may lose replies it has not read yet. So: write out what is pending, send FIN
 * ({@code shutdownOutput}), keep reading and discarding until the peer closes its side, and close
 * for good after {@code closeLinger} at the latest. The caller must already discard input and
 * keep {@code autoRead} on.
 */
final class GracefulClose {
    private GracefulClose() {
    }

    /** On the channel's IO thread, after {@code last} (or everything written so far) has been queued. */
    static void close(Channel channel, ChannelFuture last, Duration linger) {
        if (!channel.isActive()) {
            channel.close();
            return;
        }
        ChannelFuture flushed = last != null ? last : channel.writeAndFlush(Unpooled.EMPTY_BUFFER);
        var forced = channel.eventLoop().schedule((Runnable) channel::close, linger.toNanos(), TimeUnit.NANOSECONDS);
        channel.closeFuture().addListener(f -> forced.cancel(false));
        flushed.addListener(f -> {
            if (f.isSuccess() && channel instanceof DuplexChannel && channel.isActive()) {
                ((DuplexChannel) channel).shutdownOutput().addListener(s -> {
                    if (!s.isSuccess()) channel.close();
                });
            } else {
                channel.close();
            }
        });
    }
}
