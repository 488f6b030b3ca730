package io.paguma.internal;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.DuplexChannel;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.DecoderException;
import io.netty.util.concurrent.ScheduledFuture;
import io.paguma.FrameException;
import io.paguma.Message;
import io.paguma.Request;

import javax.net.ssl.SSLException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;

/**
 * The inbound side of one connection: frames bytes with the codec (P6, R2), dispatches each
 * message to the router on the IO thread or the connection's worker (P9), and runs the lifecycle
 * (P10, P11): admit or refuse, open (after the WebSocket upgrade on a WebSocket), stop reading,
 * half-close, close. Runs on the connection's IO thread only, so its fields need no
 * synchronisation (except the progress marks, which the worker counts).
 *
 * <p>Bytes are kept in one pooled cumulation buffer between reads; a frame announcing more than
 * {@code maxPacketSize} closes the connection before its body is buffered (R3). When the worker
 * queue is full the decoded request is held, reading stops, and the worker resumes it once it has
 * drained: memory per connection stays bounded and nothing is dropped. Whether the channel reads
 * is decided by its base class {@link ReadGate}; the idle timer is an {@link IdleWatch}.
 */
public final class ConnectionHandler extends ReadGate implements Runnable {
    /** Compact the cumulation after this many reads that left a partial frame, as Netty's decoders do. */
    private static final int DISCARD_AFTER_READS = 16;

    /** Why a channel closed before its connection opened (a client's failed WebSocket upgrade). */
    static final io.netty.util.AttributeKey<Throwable> SETUP_FAILURE = ChannelConnection.SETUP_FAILURE;

    final EndpointContext context;
    /** WebSocket: the connection opens when the upgrade is done, not when the channel is active. */
    private final boolean upgrade;
    /** A maxConn place was taken for this channel (and is given back when it closes). */
    private boolean reserved;
    /**
     * What the opt-in limits keep for this connection (maxConnPerIp, authTimeout, maxMessageRate):
     * made only when one of them is on, so a connection without them pays one field.
     */
    private Limits limits;

    private static final class Limits {
        /** maxConnPerIp: the address whose count this channel holds (given back when it closes), or null. */
        java.net.InetAddress ip;
        /** The authTimeout timer, while the connection is not authenticated. */
        ScheduledFuture<?> authTimer;
        /** maxMessageRate: its tokens are the whole messages that may still be decoded before the clock is read again. */
        TokenBucket rate;
    }

    private Limits limits() {
        if (limits == null) limits = new Limits();
        return limits;
    }
    private ScheduledFuture<?> upgradeTimer;
    /** WebSocket: the upgrade was refused in HTTP; what the peer still sends is discarded. */
    private boolean upgradeRefused;
    private ChannelConnection connection;
    private ByteBuf cumulation;
    private int partialReads;
    private Request stalled;
    /**
     * The server stopped reading requests (stop): input from now on is still decoded, only to count
     * the requests that will get no reply (StopReport.requestsDiscarded); a partial frame left at
     * the end counts as bytes. {@link #countingBytesOnly} once the input cannot be framed any more.
     */
    private boolean counting;
    private boolean countingBytesOnly;
    /** While {@code channelRead} decodes: replies made now are flushed when the read completes. */
    private boolean reading;
    /** What this IO thread does at the end of its turn. */
    private TurnEnd turnEnd;

    /** The end-of-turn work of this connection's IO thread; null before the channel is active. */
    TurnEnd turnEnd() {
        return turnEnd;
    }
    /** Requests went to the worker since it was last asked to wake. */
    private boolean handedOver;
    /** Messages decoded and not yet counted in the traffic counters. */
    private int decoded;
    /** The idle timer (T1, B1), when heartbeatMax or heartbeatInterval is set: its task is an {@link IdleWatch}. */
    private ScheduledFuture<?> idleTimer;
    /** When the frame now incomplete in the cumulation began (nanoTime), 0 when none is; IO thread only. */
    private long frameStartedNanos;
    /** The frameTimeout check, while a frame is incomplete. */
    private ScheduledFuture<?> frameTimer;
    /** Something was read since the idle timer last looked. */
    boolean readSinceTick;
    /**
     * Worker mode: progress marks. After a turn that handed requests over, this handler is queued
     * on the worker as a mark (at most one at a time) behind them; when every mark has run, none of
     * this connection's requests is still queued or running. So a peer that sends FIN after its
     * replies came back is closed at once, not behind other connections' work on the worker.
     */
    private int marksQueued;
    private volatile int marksRun;
    /** IO thread: requests were handed over since the last mark was queued. */
    private boolean unmarked;
    /** IO thread: the connection was closed for bad input (already logged, and a frameRejected event fired). */
    private boolean rejectedInput;
    /** IO thread: the peer ended its side (FIN). */
    private boolean peerEnded;
    /** onConnStart has run (on the worker): a peer that half-closes before it must still get what it sends. */
    private volatile boolean started;

    /** IO thread: the capacity of the cumulation buffer, 0 when there is none. */
    int bufferedCapacity() {
        return cumulation == null ? 0 : cumulation.capacity();
    }

    /** The connection, once the channel is active and accepted; null before or if refused. */
    @Override
    ChannelConnection connection() {
        return connection;
    }

    @Override
    EndpointContext context() {
        return context;
    }

    ConnectionHandler(EndpointContext context, boolean upgrade) {
        this.context = context;
        this.upgrade = upgrade;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        if (!admit(ctx)) return;
        if (upgrade) {
            // WebSocket: the connection opens once the upgrade is done (userEventTriggered); a peer
            // that never finishes it holds its maxConn place for wsHandshakeTimeout at most.
            context.upgrading(ctx.channel());
            if (context.stopping) {
                // The stop's sweep of upgrading channels may have run before this one was listed.
                ctx.close();
                return;
            }
            upgradeTimer = ctx.executor().schedule(() -> upgradeTimedOut(ctx),
                    context.config.wsHandshakeTimeout().toNanos(), TimeUnit.NANOSECONDS);
        } else {
            open(ctx);
        }
    }

    /** Takes a maxConn place for the new channel, or refuses it; false if it was closed. */
    private boolean admit(ChannelHandlerContext ctx) {
        if (context.stopping) {
            GracefulClose.close(ctx.channel(), null, context.config.closeLinger(), context.config.closeLinger());
            return false;
        }
        if (!context.manager.tryReserve()) {
            refuse(ctx);
            return false;
        }
        reserved = true;
        int perIp = context.config.maxConnPerIp();
        if (perIp > 0 && !context.clientSide) {
            InetSocketAddress remote = (InetSocketAddress) ctx.channel().remoteAddress();
            java.net.InetAddress ip = remote.getAddress();
            if (!context.manager.tryReserveIp(ip, perIp)) {
                reserved = false;
                context.manager.releaseReservation();
                // A flood: refused at once, with a reset, so the refusals cost no file descriptor for long.
                String why = "maxConnPerIp " + perIp + " reached for " + ip.getHostAddress();
                context.refuseLog.warn("refused connection from " + ChannelConnection.format(remote) + ": " + why, null);
                context.events.refused(remote, why);
                context.events.limitReached(io.paguma.EndpointListener.Limit.MAX_CONN_PER_IP, remote, null);
                GracefulClose.reset(ctx.channel());
                return false;
            }
            limits().ip = ip;
        }
        return true;
    }

    /** The channel carries messages from now on: the connection is made and announced, and onConnStart runs. */
    private void open(ChannelHandlerContext ctx) {
        if (context.stopping) {
            // A WebSocket upgrade that finished after the stop began: told with a Close frame (going away).
            ChannelFuture bye = upgrade ? ctx.channel().writeAndFlush(new io.netty.handler.codec.http.websocketx.CloseWebSocketFrame(
                    io.netty.handler.codec.http.websocketx.WebSocketCloseStatus.ENDPOINT_UNAVAILABLE)) : null;
            GracefulClose.close(ctx.channel(), bye, context.config.closeLinger(), context.config.closeLinger());
            return;
        }
        long id = context.nextId();
        Worker worker = context.assignWorker(id);
        connection = new ChannelConnection(id, ctx.channel(), context, this, worker);
        if (upgrade) {
            java.util.Map<String, Object> props = ctx.channel().attr(WebSockets.UPGRADE_PROPERTIES).getAndSet(null);
            if (props != null) props.forEach(connection::property);
        }
        turnEnd = context.turnEndFor(ctx.channel().eventLoop());
        if (upgrade) readHold = WebSockets.readHold(ctx.channel());
        context.manager.add(connection);
        context.events.accepted(connection);
        context.log.debug("{} opened", connection);
        idleTimer = IdleWatch.start(this, ctx);
        if (context.authenticator != null && context.authTimeoutNanos > 0) {
            ChannelConnection authenticating = connection;
            limits().authTimer = ctx.executor().schedule(() -> context.authTimedOut(authenticating),
                    context.authTimeoutNanos, TimeUnit.NANOSECONDS);
        }
        if (context.messageRateLimited) {
            limits().rate = new TokenBucket(context.config.maxMessageRate(), System.nanoTime());
        }
        ChannelConnection c = connection;
        runInOrder(() -> {
            try {
                // A server's connection whose onConnStart throws is refused: none of its messages is routed.
                if (!context.runHook(context.onConnStart, c, "onConnStart", context.clientSide ? "" : "; connection refused")
                        && !context.clientSide) {
                    c.refuseMessages();
                    context.events.refused(c.remoteAddress(), "onConnStart threw");
                    c.close();
                }
                // A client publishes the connection (and sends what waited offline) after the hook's own sends.
                context.opened(c);
            } finally {
                started = true;
            }
        });
        // A stop that began after the check above may have missed this connection in its snapshot.
        if (context.stopping) {
            stopReading();
            connection.close();
            return;
        }
        // A WebSocket client's messages that came with the server's 101 (kept by channelRead).
        if (cumulation != null && cumulation.isReadable()) decodeRead(cumulation.readableBytes());
    }

    /** WebSocket: the upgrade is done (either side): the connection opens. */
    private void upgraded(ChannelHandlerContext ctx) {
        if (connection != null || !reserved || !ctx.channel().isActive()) return;
        cancelUpgradeTimer();
        context.upgraded(ctx.channel());
        // The upgrade is done: no more HTTP requests to check.
        if (ctx.pipeline().get("upgrade-check") != null) ctx.pipeline().remove("upgrade-check");
        open(ctx);
    }

    /** WebSocket: the upgrade was refused by the server's checks; the refusal closes the channel. */
    void upgradeRefused() {
        cancelUpgradeTimer();
        upgradeRefused = true;
    }

    private void upgradeTimedOut(ChannelHandlerContext ctx) {
        upgradeTimer = null;
        if (connection != null || !ctx.channel().isActive()) return;
        InetSocketAddress remote = (InetSocketAddress) ctx.channel().remoteAddress();
        String why = "no WebSocket upgrade within " + context.config.wsHandshakeTimeout().toMillis()
                + " ms (wsHandshakeTimeout)";
        if (!context.clientSide) {
            context.refuseLog.warn("closed connection from " + ChannelConnection.format(remote) + ": " + why, null);
            context.events.refused(remote, why);
        }
        ctx.channel().attr(SETUP_FAILURE).setIfAbsent(new java.util.concurrent.TimeoutException(why));
        ctx.close();
    }

    private void cancelUpgradeTimer() {
        if (upgradeTimer != null) {
            upgradeTimer.cancel(false);
            upgradeTimer = null;
        }
    }

    private void refuse(ChannelHandlerContext ctx) {
        InetSocketAddress remote = (InetSocketAddress) ctx.channel().remoteAddress();
        String why = context.manager.closingFull()
                ? "more than " + context.manager.max() + " closed connections still wait for their onConnStop (a slow or stuck worker)"
                : "maxConn " + context.manager.max() + " reached (set paguma.maxConn to raise it)";
        context.refuseLog.warn("refused connection from " + ChannelConnection.format(remote) + ": " + why, null);
        context.events.refused(remote, why);
        context.events.limitReached(io.paguma.EndpointListener.Limit.MAX_CONN, remote, null);
        if (upgrade) {
            // Not a WebSocket yet: the peer (a browser, say) is told in HTTP.
            WebSockets.refuse(ctx.channel(), context, 503, "Service Unavailable");
            return;
        }
        String text = context.config.serverFullMessage();
        ChannelFuture sent = text.isEmpty() ? null
                : ctx.writeAndFlush(new Message(context.config.serverFullMsgId(), text.getBytes(StandardCharsets.UTF_8)));
        // channelRead discards whatever the refused peer sends (connection is null).
        GracefulClose.close(ctx.channel(), sent, context.config.closeLinger(), context.config.closeLinger());
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof ByteBuf in)) {
            // Not bytes: something a WebSocket stage let through (never on TCP). Dropped, not fatal.
            io.netty.util.ReferenceCountUtil.release(msg);
            context.log.debug("{} dropped an unexpected {}", connection, msg.getClass().getSimpleName());
            return;
        }
        if (connection == null && upgrade && context.clientSide && ctx.channel().isActive()) {
            // A client: the server's first messages may arrive in the same read as its 101, before
            // Netty reports the upgrade done. Kept, and decoded once the connection is open.
            cumulation = cumulation == null ? in : ByteToMessageDecoder.MERGE_CUMULATOR.cumulate(ctx.alloc(), cumulation, in);
            return;
        }
        if (connection == null && upgrade && reserved && !upgradeRefused && !context.stopping && ctx.channel().isActive()) {
            // Bytes before the upgrade was done (a client must wait for the 101): they would be lost
            // without a word, so the connection is closed instead, saying why.
            in.release();
            InetSocketAddress remote = (InetSocketAddress) ctx.channel().remoteAddress();
            String why = "data before its WebSocket upgrade was done (a client must wait for 101 Switching Protocols)";
            context.frameLog.warn("closed connection from " + ChannelConnection.format(remote) + ": " + why, null);
            context.events.refused(remote, why);
            upgradeRefused = true;
            cancelUpgradeTimer();
            ctx.close();
            return;
        }
        if (connection == null) {
            // Refused, or accepted while the server was stopping: during a stop, what it sent is
            // counted as discarded like on any other connection.
            if (context.stopping) {
                counting = true;
                cumulation = cumulation == null ? in : ByteToMessageDecoder.MERGE_CUMULATOR.cumulate(ctx.alloc(), cumulation, in);
                countDiscarded();
            } else {
                in.release();
            }
            return;
        }
        int bytes = in.readableBytes();
        readSinceTick = true;
        if (draining) {
            if (counting) {
                cumulation = cumulation == null ? in : ByteToMessageDecoder.MERGE_CUMULATOR.cumulate(ctx.alloc(), cumulation, in);
                countDiscarded();
            } else {
                in.release();
            }
            connection.received(bytes, 0);
            return;
        }
        cumulation = cumulation == null ? in : ByteToMessageDecoder.MERGE_CUMULATOR.cumulate(ctx.alloc(), cumulation, in);
        decodeRead(bytes);
    }

    /** Decodes what the cumulation holds after {@code bytes} came in, counts them, and has the replies flushed. */
    private void decodeRead(int bytes) {
        reading = true;
        try {
            decode();
        } finally {
            reading = false;
            connection.received(bytes, decoded);
            decoded = 0;
        }
        // Flushed by channelReadComplete; the end of the turn catches a transport that delays it.
        if (connection.hasUnflushed()) turnEnd.flushLater(connection);
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        if (connection != null) connection.flushAfterRead();
        ctx.fireChannelReadComplete();
    }

    /** On the IO thread: whether replies sent now are flushed when this read completes. */
    boolean reading() {
        return reading;
    }

    /** Decodes and dispatches whole frames until the buffer runs short or the worker is full. */
    private void decode() {
        int before = decoded;
        boolean incomplete = false;
        boolean held = false;
        try {
            while (!paused && !rateLimited && cumulation != null && connection.channel().isActive()) {
                // maxMessageRate: only whole messages spend tokens; what is read to be handed over
                // at a FIN or a stop (draining) is not held back.
                if (context.messageRateLimited && limits.rate.tokens <= 0 && !draining && cumulation.isReadable()
                        && !limits.rate.refill(System.nanoTime())) {
                    held = true;
                    holdForRate();
                    break;
                }
                Message message = context.codec.decode(cumulation, context.config.maxPacketSize(), context.config.zeroCopy());
                if (message == null) {
                    incomplete = true;
                    // Over WebSocket every message arrives whole: bytes left over can never complete.
                    if (upgrade && cumulation.isReadable()) {
                        throw new FrameException("a WebSocket message ended inside a frame ("
                                + cumulation.readableBytes() + " bytes of an incomplete frame)");
                    }
                    break;
                }
                decoded++;
                if (context.messageRateLimited) limits.rate.tokens--;
                if (message.seq() != 0 && connection.isOwnSeq(message.seq()) && context.codec.hasSequence()) {
                    // The caller keeps a reply as long as it likes: never a view of the read buffer.
                    connection.completeReply(own(message));
                } else if (message.status() != 0) {
                    message.release();
                    // An error that answers none of our requests: never routed, so two peers cannot
                    // keep failing each other's errors.
                    context.replyLog.warn(connection + ": error reply (status " + message.status() + ", message id "
                            + Integer.toUnsignedString(message.id()) + ", sequence id " + Integer.toUnsignedString(message.seq())
                            + ") matches no waiting request; dropped", null);
                } else if (message.id() == context.config.heartbeatMsgId() && context.heartbeatUnrouted) {
                    heartbeat(message);
                    message.release();
                } else {
                    dispatch(new Request(connection, message));
                }
            }
        } catch (FrameException e) {
            tellTooLarge(e.getMessage());
            closeForBadInput(e.getMessage());
            return;
        } catch (RuntimeException e) {
            closeForBadInput("codec " + context.codec.name() + " failed: " + e);
            return;
        } finally {
            // One wake-up for everything this turn of the event loop handed over, not one per request.
            if (handedOver) {
                handedOver = false;
                markHandOver();
                turnEnd.wakeLater(connection.worker);
            }
        }
        // A rate hold says nothing about the frame in the buffer: its clock keeps running.
        if (!held) watchIncompleteFrame(incomplete && cumulation != null && cumulation.isReadable(), decoded > before);
        if (cumulation == null) return;
        if (!cumulation.isReadable()) {
            cumulation.release();
            cumulation = null;
            partialReads = 0;
        } else if (++partialReads >= DISCARD_AFTER_READS) {
            partialReads = 0;
            if (cumulation.refCnt() == 1) {
                cumulation.discardSomeReadBytes();
            } else {
                // zeroCopy: payloads still in use share this buffer, so it cannot be compacted in
                // place; the partial frame moves to a buffer of its own, and the old one is freed
                // when the last of them is released (else it would only grow while they are out).
                ByteBuf rest = connection.channel().alloc().buffer(cumulation.readableBytes());
                rest.writeBytes(cumulation);
                cumulation.release();
                cumulation = rest;
            }
        }
    }

    /**
     * frameTimeout: a frame that began must be whole within it. {@code incomplete}: the cumulation
     * now ends inside a frame; {@code progressed}: whole frames came out of this read (then the
     * incomplete one is a new frame, begun now).
     */
    private void watchIncompleteFrame(boolean incomplete, boolean progressed) {
        long timeout = context.frameTimeoutNanos;
        if (timeout == 0) return;
        if (!incomplete) {
            frameStartedNanos = 0;
            return;
        }
        if (frameStartedNanos == 0 || progressed) frameStartedNanos = System.nanoTime();
        if (frameTimer == null) {
            frameTimer = connection.channel().eventLoop().schedule(this::checkIncompleteFrame, timeout, TimeUnit.NANOSECONDS);
        }
    }

    /** The frameTimeout timer: closes the connection if its frame is still not whole, else waits for the rest of the time. */
    private void checkIncompleteFrame() {
        frameTimer = null;
        if (frameStartedNanos == 0 || connection == null || !connection.isOpen() || draining) return;
        long now = System.nanoTime();
        if (paused || rateLimited) {
            // Our side stopped reading: the rest of the frame may be waiting in the socket. Not the peer's delay.
            frameStartedNanos = now;
        }
        long left = context.frameTimeoutNanos - (now - frameStartedNanos);
        if (left > 0) {
            frameTimer = connection.channel().eventLoop().schedule(this::checkIncompleteFrame, left, TimeUnit.NANOSECONDS);
            return;
        }
        closeForBadInput("a frame begun " + TimeUnit.NANOSECONDS.toMillis(now - frameStartedNanos) + " ms ago is still not whole ("
                + (cumulation == null ? 0 : cumulation.readableBytes()) + " bytes of it came; frameTimeout "
                + TimeUnit.NANOSECONDS.toMillis(context.frameTimeoutNanos) + " ms): too slow, or a slowloris");
    }

    /** maxMessageRate reached: reading waits until the next message is allowed. */
    private void holdForRate() {
        rateLimited = true;
        // Resumed once a tenth of a second's worth is there, not at every token: a flooding peer
        // costs about ten pauses a second, not one per message.
        long tokens = Math.max(1, context.config.maxMessageRate() / 10);
        long wait = Math.max(TimeUnit.MILLISECONDS.toNanos(1), limits.rate.nanosUntil(tokens, System.nanoTime()));
        updateAutoRead();
        context.limitLog.warn(connection + " sends faster than maxMessageRate " + context.config.maxMessageRate()
                + "/s: its reading is held back", null);
        context.events.limitReached(io.paguma.EndpointListener.Limit.MESSAGE_RATE, connection.remoteAddress(), connection);
        try {
            connection.channel().eventLoop().schedule(this::rateResumed, wait, TimeUnit.NANOSECONDS);
        } catch (java.util.concurrent.RejectedExecutionException shuttingDown) {
            // The event loop is ending: so is the connection.
        }
    }

    /** The next message is allowed: decoding goes on with what is buffered, then reading. */
    private void rateResumed() {
        rateLimited = false;
        if (connection == null || !connection.isOpen() || draining) return;
        if (!paused) {
            decode();
            countDecoded();
        }
        updateAutoRead();
    }

    /** On the IO thread, after requests went to the worker: queue a mark behind them unless one is on its way. */
    private void markHandOver() {
        if (marksRun == marksQueued) {
            marksQueued++;
            unmarked = false;
            // Woken with the requests at the end of this turn, not now.
            connection.worker.enqueueQuietly(this);
        } else {
            unmarked = true;
        }
    }

    /** The progress mark, run by the connection's worker (one thread at a time). */
    @Override
    public void run() {
        marksRun = marksRun + 1;
    }

    /** On the IO thread: whether a request of this connection may still be queued or running on its worker. */
    private boolean requestsOnWorker() {
        return connection.worker != null && (!started || unmarked || marksRun != marksQueued);
    }

    /** {@code m} with its payload in an array of its own (a buffer payload is copied and released). */
    private static Message own(Message m) {
        if (!m.hasBuffer()) return m;
        Message copy = m.copy();
        m.release();
        return copy;
    }

    /** A heartbeat nobody routes: it has already counted as traffic; a ping is answered with a pong. */
    private void heartbeat(Message message) {
        if (context.config.heartbeatReply() && Arrays.equals(message.data(), EndpointContext.PING)) {
            connection.send(new Message(context.config.heartbeatMsgId(), EndpointContext.PONG));
        }
    }

    void cancelIdleTimer() {
        if (idleTimer != null) {
            idleTimer.cancel(false);
            idleTimer = null;
        }
    }

    private void dispatch(Request request) {
        Worker worker = connection.worker;
        if (worker == null) {
            context.route(request);
        } else if (draining) {
            // The server is stopping: what was read is handed over whatever the bound, then reading ends.
            unmarked = true;
            worker.enqueue(request);
        } else if (worker.tryOffer(request)) {
            handedOver = true;
        } else {
            stalled = request;
            paused = true;
            updateAutoRead();
            worker.await(connection);
        }
    }

    /** On the IO thread, when the worker has room again. */
    void resume() {
        if (!paused || draining || !connection.isOpen()) return;
        if (!connection.worker.tryOffer(stalled)) {
            connection.worker.await(connection);
            return;
        }
        stalled = null;
        paused = false;
        handedOver = true;
        decode();
        countDecoded();
        updateAutoRead();
    }

    /**
     * On the IO thread, when the server stops: accept no more requests, but hand every whole frame
     * already read (and a request held back by backpressure) to the router, so no request that
     * reached the server is lost. Input that arrives from now on is read and discarded, so the
     * final close is not a reset.
     */
    void stopReading() {
        if (connection == null || draining) return;
        handOverBuffered();
        // A stop (not a peer's FIN): what arrives from now on is counted, not silently dropped.
        counting = context.stopping;
        discardInput();
    }

    /** Reads no more: hands a request held back by backpressure and every whole frame buffered to the router. */
    private void handOverBuffered() {
        draining = true;
        if (stalled != null) {
            Request held = stalled;
            stalled = null;
            dispatch(held);
        }
        paused = false;
        rateLimited = false;
        decode();
        countDecoded();
    }

    private void logIncompleteFrame() {
        String reason = "closed by the peer with " + cumulation.readableBytes() + " bytes of an incomplete frame";
        context.frameLog.warn(connection + " " + reason, null);
        context.events.frameRejected(connection, reason);
    }

    /** On the IO thread, after the stop began: counts and drops the whole frames buffered. */
    private void countDiscarded() {
        if (cumulation == null) return;
        long frames = 0;
        if (!countingBytesOnly) {
            try {
                for (;;) {
                    Message m = context.codec.decode(cumulation, context.config.maxPacketSize());
                    if (m == null) break;
                    frames++;
                    // A caller waiting for it learns at once that it will not run.
                    if (m.seq() != 0 && m.status() == 0 && connection != null && context.codec.hasStatus()
                            && !connection.isOwnSeq(m.seq())) {
                        connection.send(Message.error(m.id(), m.seq(), io.paguma.RemoteException.UNAVAILABLE,
                                "the server is stopping"));
                    }
                }
            } catch (RuntimeException unframeable) {
                // A bad frame: nothing after it can be framed; the rest counts as bytes.
                countingBytesOnly = true;
            }
        }
        if (frames > 0) context.discardedRequests.add(frames);
        if (countingBytesOnly) {
            context.discardedBytes.add(cumulation.readableBytes());
            cumulation.skipBytes(cumulation.readableBytes());
        }
        if (!cumulation.isReadable()) {
            cumulation.release();
            cumulation = null;
        } else if (cumulation.refCnt() == 1) {
            cumulation.discardSomeReadBytes();
        }
    }

    /** At the end: a partial frame left over after the stop began counts as discarded bytes. */
    private void countLeftover() {
        if (counting && cumulation != null) context.discardedBytes.add(cumulation.readableBytes());
        counting = false;
    }

    /**
     * The peer shut down its writing side (FIN; half-closure is allowed on every channel, see
     * {@link EndpointContext#initChannel}): it sends nothing more, but may still read. Every whole
     * frame it sent (and a request held back by backpressure) is handed to the router as on a
     * stop; a partial frame can never complete and is dropped. Then the connection is closed
     * gracefully behind its requests — on the worker, after the last of them, so their replies
     * are queued first and {@link ChannelConnection#close()} flushes them before the FIN.
     */
    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof ChannelInputShutdownEvent) {
            inputShutdown(ctx);
        } else if (evt instanceof io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler.HandshakeComplete
                || evt == io.netty.handler.codec.http.websocketx.WebSocketClientProtocolHandler.ClientHandshakeStateEvent.HANDSHAKE_COMPLETE) {
            upgraded(ctx);
        }
        ctx.fireUserEventTriggered(evt);
    }

    private void inputShutdown(ChannelHandlerContext ctx) {
        peerEnded = true;
        if (connection == null || draining) {
            // Refused, or already closing: once our FIN is out too, nothing is left to wait for.
            if (ctx.channel() instanceof DuplexChannel d && d.isOutputShutdown()) ctx.close();
            return;
        }
        cancelIdleTimer();
        handOverBuffered();
        // What is left can never become a frame: say so, once, rather than drop it silently.
        if (cumulation != null && cumulation.isReadable()) logIncompleteFrame();
        counting = context.stopping;
        discardInput();
        ChannelConnection c = connection;
        // Behind the requests still on the worker, so their replies are queued before the close
        // flushes; with none there (or no worker), at once. A worker that does not get there within
        // stopGracePeriod (a stuck router) does not keep the socket: the close happens anyway.
        if (requestsOnWorker()) {
            c.worker.enqueue((Runnable) c::close);
            ScheduledFuture<?> deadline = ctx.executor().schedule((Runnable) c::close,
                    context.config.stopGracePeriod().toNanos(), TimeUnit.NANOSECONDS);
            ctx.channel().closeFuture().addListener(f -> deadline.cancel(false));
        } else {
            c.close();
        }
    }

    /** A request held back by backpressure that will never be routed now: its payload is released. */
    private void dropStalled() {
        Request r = stalled;
        stalled = null;
        if (r != null) r.message().release();
    }

    private void countDecoded() {
        if (decoded == 0) return;
        connection.received(0, decoded);
        decoded = 0;
    }

    /** On the IO thread, when the connection is closing: read and discard everything from now on. */
    void discardInput() {
        draining = true;
        dropStalled();
        paused = false;
        if (counting) countDiscarded();
        else releaseCumulation();
        if (connection != null) updateAutoRead();
    }

    /**
     * A frame over maxPacketSize with a codec that can say so ({@code paguma}): the request it would
     * have been fails on the caller's side with status TOO_LARGE before the connection closes, so
     * the sender learns why. Its header is still in the cumulation.
     */
    private void tellTooLarge(String reason) {
        if (!(context.codec instanceof io.paguma.internal.codec.PagumaCodec) || !reason.contains("exceeds maxPacketSize")
                || cumulation == null) return;
        int at = cumulation.readerIndex();
        if (cumulation.readableBytes() < 16) return;
        int id = cumulation.getInt(at + 8);
        int seq = cumulation.getInt(at + 12);
        if (seq == 0) return;
        connection.send(Message.error(id, seq, io.paguma.RemoteException.TOO_LARGE, reason));
    }

    private void closeForBadInput(String reason) {
        rejectedInput = true;
        context.frameLog.warn(connection + " closed: " + reason, null);
        context.events.frameRejected(connection, reason);
        discardInput();
        connection.close();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        // Our own closes discard input first (draining); paused input may hold whole frames.
        if (connection != null && !draining && !paused && !rateLimited && cumulation != null && cumulation.isReadable()) {
            logIncompleteFrame();
        }
        countLeftover();
        releaseCumulation();
        cancelIdleTimer();
        if (limits != null) {
            if (limits.ip != null) {
                context.manager.releaseIp(limits.ip);
                limits.ip = null;
            }
            if (limits.authTimer != null) {
                limits.authTimer.cancel(false);
                limits.authTimer = null;
            }
        }
        cancelUpgradeTimer();
        cancelSlowPeerTimer();
        if (frameTimer != null) {
            frameTimer.cancel(false);
            frameTimer = null;
        }
        dropStalled();
        ChannelConnection c = connection;
        if (c == null) {
            if (reserved) {
                // A WebSocket that closed before its upgrade was done.
                reserved = false;
                context.manager.releaseReservation();
                context.upgraded(ctx.channel());
            }
            return;
        }
        c.markClosed();
        // The socket is closed: its maxConn place is free now, not only once onConnStop has run
        // (which may wait behind the connection's requests on a busy worker).
        context.manager.release(c);
        context.closed(c);
        context.log.debug("{} closed", c);
        runInOrder(() -> {
            try {
                context.runHook(context.onConnStop, c, "onConnStop");
            } finally {
                context.manager.remove(c);
                context.releaseWorker(c.worker);
                c.completeClose();
            }
        });
    }

    /** Runs a lifecycle step where the connection's requests run, so it keeps its place among them. */
    private void runInOrder(Runnable step) {
        if (connection.worker == null) step.run();
        else connection.worker.enqueue(step);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        String who = connection != null ? connection.toString()
                : (context.clientSide ? "connection to " : "connection from ")
                + ChannelConnection.format((InetSocketAddress) ctx.channel().remoteAddress());
        if (connection == null) ctx.channel().attr(SETUP_FAILURE).setIfAbsent(cause);
        if (isBadWebSocketInput(cause)) {
            // A text frame, a frame over the size limit, a protocol violation: the peer's fault.
            String reason = "WebSocket: " + cause.getMessage();
            if (connection != null && !draining) {
                closeForBadInput(reason);
            } else {
                context.frameLog.warn(who + " closed: " + reason, null);
                ctx.close();
            }
            return;
        }
        if (cause instanceof io.netty.handler.codec.PrematureChannelClosureException) {
            // The peer ended its side inside a fragmented WebSocket message: as a TCP peer that
            // closes inside a frame, one line and a frameRejected event, no stack trace.
            // After a refusal of bad input the aggregator's leftover is no news.
            // Our own close (a stop, an idle close, a cut) while the peer was inside a message is not the peer's doing.
            if (connection != null && !rejectedInput && (peerEnded || !draining)) {
                String reason = "closed inside a fragmented WebSocket message (its fragments so far are lost)";
                context.frameLog.warn(who + " " + reason, null);
                context.events.frameRejected(connection, reason);
            }
            ctx.close();
            return;
        }
        if (cause instanceof io.netty.handler.codec.http.websocketx.WebSocketHandshakeException) {
            context.errorLog.warn(who + " closed: WebSocket upgrade failed: " + cause.getMessage(), null);
        } else if (cause instanceof DecoderException && cause.getCause() instanceof SSLException) {
            // A failed handshake (wrong certificate, plain text on a TLS port): one line, no stack.
            String why = String.valueOf(cause.getCause().getMessage());
            // Netty quotes the offending bytes of a non-TLS record in hex: they may be payload
            // (no payload bytes in logs), and a long line helps nobody.
            if (cause.getCause() instanceof io.netty.handler.ssl.NotSslRecordException || why.startsWith("not an SSL/TLS record")) {
                why = "not an SSL/TLS record (plain text on a TLS port?)";
            }
            if (why.length() > 160) why = why.substring(0, 160) + "...";
            context.errorLog.warn(who + " closed: TLS: " + why, null);
        } else if (cause instanceof IOException) {
            context.log.debug("{} closed: {}", who, cause.toString());
        } else {
            context.errorLog.warn(who + " closed: unexpected error: " + cause, cause);
        }
        ctx.close();
    }

    private static boolean isBadWebSocketInput(Throwable cause) {
        return cause instanceof FrameException
                || cause instanceof io.netty.handler.codec.http.websocketx.CorruptedWebSocketFrameException
                || cause instanceof io.netty.handler.codec.TooLongFrameException;
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        countLeftover();
        releaseCumulation();
    }

    private void releaseCumulation() {
        if (cumulation != null) {
            cumulation.release();
            cumulation = null;
        }
    }
}
