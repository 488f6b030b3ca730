package io.paguma.internal;

import io.netty.channel.ChannelHandlerContext;
import io.netty.util.concurrent.ScheduledFuture;
import io.paguma.Message;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * The idle timer of one connection (T1, B1): closes a connection that has received nothing for
 * {@code heartbeatMax}, and pings one that has sent nothing for {@code heartbeatInterval}. Made
 * when the connection opens, and only when one of them is set; it is the timer's task itself, so
 * it replaces the task a timer needs anyway. Its handler holds the timer ({@code idleTimer}, to
 * cancel it).
 *
 * <p>IO thread only. Reads and writes only set a flag ({@code ConnectionHandler.readSinceTick},
 * {@code ChannelConnection.wroteSinceTick}); the time is taken by the tick.
 */
final class IdleWatch implements Runnable {
    private final ConnectionHandler handler;
    private long lastRead;
    private long lastWrite;

    private IdleWatch(ConnectionHandler handler) {
        this.handler = handler;
    }

    /** Starts the idle timer of a connection that has just opened; null when heartbeats are off. */
    static ScheduledFuture<?> start(ConnectionHandler handler, ChannelHandlerContext ctx) {
        long tick = handler.context.idleTickNanos;
        if (tick == 0) return null;
        IdleWatch w = new IdleWatch(handler);
        w.lastRead = w.lastWrite = System.nanoTime();
        return ctx.executor().scheduleWithFixedDelay(w, tick, tick, TimeUnit.NANOSECONDS);
    }

    /**
     * On the IO thread, every quarter of the shorter heartbeat period: closes a connection that
     * has received nothing for {@code heartbeatMax}, and pings one that has sent nothing for
     * {@code heartbeatInterval}. Reads and writes only set a flag; the time is taken here.
     */
    @Override
    public void run() {
        ChannelConnection connection = handler.connection();
        EndpointContext context = handler.context;
        if (connection == null || !connection.isOpen() || handler.draining) return;
        long now = System.nanoTime();
        // Reading paused because our own worker is full, or held back by maxMessageRate, is not the peer's silence.
        if (handler.readSinceTick || handler.paused || handler.rateLimited) {
            handler.readSinceTick = false;
            lastRead = now;
        }
        if (connection.wroteSinceTick) {
            connection.wroteSinceTick = false;
            lastWrite = now;
        }
        long max = context.heartbeatMaxNanos;
        if (max > 0 && now - lastRead >= max) {
            context.idleLog.warn(connection + " closed: nothing received for "
                    + TimeUnit.NANOSECONDS.toMillis(now - lastRead) + " ms (heartbeatMax "
                    + context.config.heartbeatMax().toMillis() + " ms" + (handler.writeBlocked ? "; the peer is not reading either" : "")
                    + ")", null);
            handler.cancelIdleTimer();
            handler.discardInput();
            connection.close();
            context.events.idleClosed(connection, Duration.ofNanos(now - lastRead));
            return;
        }
        long interval = context.heartbeatIntervalNanos;
        if (interval > 0 && now - lastWrite >= interval) {
            lastWrite = now;
            connection.send(new Message(context.config.heartbeatMsgId(), EndpointContext.PING));
        }
    }
}
