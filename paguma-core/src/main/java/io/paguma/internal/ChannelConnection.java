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
import io.paguma.internal.RequestTracker.PendingRequest;
import io.paguma.Traffic;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.net.InetSocketAddress;
import java.nio.channels.ClosedChannelException;
import java.time.Duration;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
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
    private static final AtomicIntegerFieldUpdater<ChannelConnection> CONSUMING =
            AtomicIntegerFieldUpdater.newUpdater(ChannelConnection.class, "consuming");
    private static final AtomicIntegerFieldUpdater<ChannelConnection> LAST_SEQ =
            AtomicIntegerFieldUpdater.newUpdater(ChannelConnection.class, "lastSeq");
    private static final AtomicIntegerFieldUpdater<ChannelConnection> PENDING_COUNT =
            AtomicIntegerFieldUpdater.newUpdater(ChannelConnection.class, "pendingCount");
    /** The traffic counters are written by the IO thread only and read from anywhere: opaque access, no fence. */
    private static final VarHandle BYTES_IN;
    private static final VarHandle BYTES_OUT;
    private static final VarHandle MESSAGES_IN;
    private static final VarHandle MESSAGES_OUT;

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            BYTES_IN = l.findVarHandle(ChannelConnection.class, "bytesIn", long.class);
            BYTES_OUT = l.findVarHandle(ChannelConnection.class, "bytesOut", long.class);
            MESSAGES_IN = l.findVarHandle(ChannelConnection.class, "messagesIn", long.class);
            MESSAGES_OUT = l.findVarHandle(ChannelConnection.class, "messagesOut", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }
    private static final Duration MAX_TIMEOUT = Duration.ofDays(365);
    /** The first buffer of a batch holds at least this much, so a burst of small replies fits without growing. */
    private static final int BATCH_INITIAL_CAPACITY = 4096;
    /** A batch this large is written out at once (flushed with the rest), so buffers stay bounded. */
    private static final int BATCH_WRITE_THRESHOLD = 32 * 1024;
    /**
     * Sends taken from the queue by one drain task. Senders on other threads that keep pace with
     * the IO thread would otherwise hold it in one task for as long as they send.
     */
    private static final int DRAIN_SLICE = 4096;

    /** Why a channel closed before its connection was set up (a refused WebSocket upgrade, say). */
    public static final io.netty.util.AttributeKey<Throwable> SETUP_FAILURE = io.netty.util.AttributeKey.valueOf("paguma.setupFailure");

    private final long id;
    private final Channel channel;
    final EventLoop loop;
    private final InetSocketAddress remote;
    private final InetSocketAddress local;
    private final EndpointContext context;
    private final ConnectionHandler handler;
    final Worker worker;
    /** Each message goes out as a WebSocket frame of its own (the batch is written frame by frame). */
    private final boolean webSocket;
    private final ConcurrentHashMap<String, Object> properties = new ConcurrentHashMap<>();
    private final CompletableFuture<Void> closeFuture = new CompletableFuture<>();
    private final Queue<PendingSend> outbound = PlatformDependent.newMpscQueue(8, 1 << 30);
    private final Runnable drainTask = this::drainAndFlush;
    private volatile int drainScheduled;
    /** 1 while a thread takes sends from {@link #outbound} (its single consumer); nobody waits for it. */
    private volatile int consuming;
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
    /** The last sequence id given to a request; advances by 2 (odd on a client, even on a server). */
    private volatile int lastSeq;
    /**
     * Set by the first request made on this connection: from then on a message with this side's
     * parity is a reply. A flag of its own, so no value of the wrapping counter can be mistaken
     * for "no request made yet".
     */
    private volatile boolean requested;
    /** Requests made and not yet completed, to enforce {@code maxPendingRequests}. */
    private volatile int pendingCount;
    /**
     * IO thread only: the requests waiting for replies and their timers, made by the first request
     * (an idle connection, or one that never requests, pays one field for it).
     */
    RequestTracker requests;
    private long bytesIn;
    private long bytesOut;
    private long messagesIn;
    private long messagesOut;
    /** IO thread only: a batch was written since the idle timer last looked. */
    boolean wroteSinceTick;

    ChannelConnection(long id, Channel channel, EndpointContext context, ConnectionHandler handler, Worker worker) {
        this.id = id;
        this.channel = channel;
        this.loop = channel.eventLoop();
        this.remote = (InetSocketAddress) channel.remoteAddress();
        this.local = (InetSocketAddress) channel.localAddress();
        this.context = context;
        this.handler = handler;
        this.worker = worker;
        this.webSocket = WebSockets.isWebSocket(channel);
        this.lastSeq = firstSeq();
    }

    EndpointContext context() {
        return context;
    }

    /** The connection of a channel Paguma set up, or null if it has none (yet). */
    public static ChannelConnection of(Channel channel) {
        ConnectionHandler h = channel.pipeline().get(ConnectionHandler.class);
        return h == null ? null : h.connection();
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
        enqueue(send);
        return send;
    }

    private void enqueue(PendingSend send) {
        if (closed) {
            send.completeExceptionally(closedException(null));
            return;
        }
        if (loop.inEventLoop() && !appending && outbound.isEmpty()) {
            append(send);
            // A reply made while this connection's read is decoded goes out when the read completes.
            if (handler.reading()) return;
        } else {
            // Off the IO thread, re-entered from a callback that a flush inside append() ran, or
            // behind sends still queued: queue it, so it keeps its place behind them.
            outbound.offer(send);
            if (closed) {
                // Closed while we were queueing: the close may already have emptied the queue, so
                // fail what is left here rather than leave this future waiting.
                failQueued();
                return;
            }
        }
        if (drainScheduled == 0 && DRAIN_SCHEDULED.compareAndSet(this, 0, 1)) submitDrain();
    }

    @Override
    public CompletableFuture<Message> request(Message message) {
        return request(message, context.config.requestTimeout());
    }

    @Override
    public CompletableFuture<Message> request(Message message, Duration timeout) {
        if (message == null) throw new NullPointerException("message");
        if (timeout == null) throw new NullPointerException("timeout");
        if (!context.codec.hasSequence()) {
            return CompletableFuture.failedFuture(new IllegalStateException("codec " + context.codec.name()
                    + " carries no sequence id, so replies cannot be matched to requests: use a codec that does"
                    + " (paguma, tron), or send() and a router for the answer"));
        }
        if (closed) return CompletableFuture.failedFuture(closedException(null));
        if (PENDING_COUNT.incrementAndGet(this) > context.config.maxPendingRequests()) {
            PENDING_COUNT.decrementAndGet(this);
            return CompletableFuture.failedFuture(new IllegalStateException(this + " has "
                    + context.config.maxPendingRequests() + " requests waiting for replies"
                    + " (set paguma.maxPendingRequests to raise it)"));
        }
        if (!requested) requested = true;
        int seq = nextSeq();
        PendingRequest request = new PendingRequest(this, seq, message.id(), timeoutNanos(timeout));
        PendingSend send = new PendingSend(new Message(message.id(), seq, message.data()));
        send.request = request;
        enqueue(send);
        return request;
    }

    /** Timeouts are held to [1 ns, 365 days], so deadlines can be compared without overflow. */
    public static long timeoutNanos(Duration timeout) {
        if (timeout.compareTo(MAX_TIMEOUT) > 0) return MAX_TIMEOUT.toNanos();
        return Math.max(1, timeout.toNanos());
    }

    private int nextSeq() {
        int seq = LAST_SEQ.addAndGet(this, 2);
        // The ids wrap after 2^31 requests; a server's pass through 0, which means "no sequence
        // id": skip it. A client's are odd and never 0.
        return seq != 0 ? seq : LAST_SEQ.addAndGet(this, 2);
    }

    /**
     * For tests: the next request gets sequence id {@code last + 2}, so the wrap of the counter
     * can be reached without 2^31 requests. {@code last} must have this side's parity.
     */
    public void startSequenceAfter(int last) {
        if (((last & 1) == 1) != context.clientSide) {
            throw new IllegalArgumentException("sequence id " + Integer.toUnsignedString(last) + " has the other side's parity");
        }
        lastSeq = last;
    }

    /**
     * Whether a message carrying {@code seq} is a reply to one of our requests: the seq has this
     * side's parity and this side has made a request on this connection. Until it has, every
     * message is routed, so a peer that numbers its own requests 1, 2, 3 … (a plain TRON client)
     * works with a server that never requests anything from it.
     */
    boolean isOwnSeq(int seq) {
        return seq != 0 && ((seq & 1) == 1) == context.clientSide && requested;
    }

    private int firstSeq() {
        return context.clientSide ? -1 : 0;
    }

    /**
     * On the IO thread: a message carrying one of our sequence ids completes the request waiting
     * for it. A reply nobody waits for (it came after the timeout) is dropped with a log line: it
     * is never routed, so two peers cannot answer each other's late replies forever.
     */
    void completeReply(Message reply) {
        if (requests == null || !requests.completeReply(reply)) {
            context.replyLog.warn(this + ": reply with sequence id " + Integer.toUnsignedString(reply.seq())
                    + " (message id " + Integer.toUnsignedString(reply.id()) + ") matches no waiting request"
                    + " (late after a timeout, or not a reply); dropped", null);
        }
    }

    /** Requests made on this connection that have not completed yet (for tests and the admin view). */
    public int pendingRequests() {
        return pendingCount;
    }

    /** Any thread: a request has completed, so its {@code maxPendingRequests} place is free. */
    void releasePendingPlace() {
        PENDING_COUNT.decrementAndGet(this);
    }

    /** The size of the table of requests waiting for replies, read on the IO thread (for tests). */
    public int waitingForReplies() throws Exception {
        return loop.submit(() -> requests == null ? 0 : requests.waiting()).get(10, TimeUnit.SECONDS);
    }

    /** On the IO thread: counts what one read brought in. */
    void received(long bytes, long messages) {
        BYTES_IN.setOpaque(this, bytesIn + bytes);
        if (messages != 0) MESSAGES_IN.setOpaque(this, messagesIn + messages);
        context.traffic.received(bytes, messages);
    }

    @Override
    public Traffic traffic() {
        return new Traffic((long) BYTES_IN.getOpaque(this), (long) BYTES_OUT.getOpaque(this),
                (long) MESSAGES_IN.getOpaque(this), (long) MESSAGES_OUT.getOpaque(this));
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
        boolean more = drainOutbound(DRAIN_SLICE);
        writeBatch();
        unflushed = false;
        channel.flush();
        // Senders kept pace: the rest is taken by another task, after whatever else waits for this thread.
        if (more && drainScheduled == 0 && DRAIN_SCHEDULED.compareAndSet(this, 0, 1)) submitDrain();
    }

    /**
     * Takes at most {@code max} sends from the queue; returns whether more are left. The queue has
     * one consumer at a time ({@link #consuming}): the IO thread, or after close a sender failing
     * what is left, in which case that sender takes everything and this returns false.
     */
    private boolean drainOutbound(int max) {
        if (!CONSUMING.compareAndSet(this, 0, 1)) return false;
        try {
            for (int n = 0; n < max; n++) {
                PendingSend s = outbound.poll();
                if (s == null) return false;
                append(s);
            }
            return !outbound.isEmpty();
        } finally {
            consuming = 0;
        }
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
        if (closed || closing) {
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
        if (send.request != null && !register(send.request)) {
            send.completeExceptionally(new IllegalStateException(this + ": sequence id "
                    + Integer.toUnsignedString(message.seq()) + " is still waiting for its reply after 2^31 requests"));
            return;
        }
        int length;
        try {
            length = context.codec.frameLength(message);
        } catch (Throwable e) {
            // Nothing of this message was written: the batch is left as it is.
            failEncode(send, message, e);
            return;
        }
        // A frame that does not fit starts a new buffer rather than growing this one: growing
        // copies every frame already in it (a fifth of the time at 4 KiB payloads).
        if (batch != null && batch.writableBytes() < length) writeBatch();
        if (batch == null) batch = channel.alloc().ioBuffer(Math.max(length, BATCH_INITIAL_CAPACITY));
        int mark = batch.writerIndex();
        try {
            context.codec.encode(message, batch);
        } catch (Throwable e) {
            // Only this message is lost: what the codec wrote of it is cut off again, so the frames
            // before it in the batch stay intact.
            batch.writerIndex(mark);
            failEncode(send, message, e);
            return;
        }
        if (batchSends == null) batchSends = new Batch(webSocket);
        batchSends.add(send, batch.writerIndex() - mark);
        if (batch.readableBytes() >= BATCH_WRITE_THRESHOLD) writeBatch();
    }

    private void failEncode(PendingSend send, Message message, Throwable e) {
        send.completeExceptionally(new EncoderException("codec " + context.codec.name() + " cannot encode "
                + message + ": " + e, e));
        if (e instanceof VirtualMachineError) throw (VirtualMachineError) e;
    }

    /** On the IO thread: the request's frame is about to be written; its reply is awaited from now. */
    private boolean register(PendingRequest request) {
        if (request.finished != 0) return true; // cancelled while queued: its frame still goes out, nobody waits
        if (requests == null) requests = new RequestTracker(this);
        return requests.register(request);
    }

    /** On the IO thread, at close: every request still waiting fails. */
    private void failPending() {
        if (requests != null) requests.failAll();
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
        // A peer that is not reading keeps this buffer waiting, and the write limits count only its
        // bytes: trimmed to them, many small batches cannot hold far more memory than they count.
        if (!channel.isWritable() && b.capacity() - b.readableBytes() >= BATCH_INITIAL_CAPACITY / 2) {
            ByteBuf trimmed = channel.alloc().ioBuffer(b.readableBytes());
            trimmed.writeBytes(b);
            b.release();
            b = trimmed;
        }
        ChannelPromise promise = channel.newPromise();
        promise.addListener(sends);
        if (sends.lengths != null && sends.size > 1) {
            writeFrames(b, sends, promise);
        } else {
            channel.write(b, promise);
        }
        unflushed = true;
        wroteSinceTick = true;
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
            channel.write(b.retainedSlice(offset, length), channel.voidPromise());
            offset += length;
        }
        channel.write(b.retainedSlice(offset, b.writerIndex() - offset), promise);
        b.release();
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
            // Reset, not FIN: a peer cut off mid-stream must be able to tell it did not get everything.
            GracefulClose.reset(channel);
            context.events.slowPeerCut(this, pendingBytes);
        }
        send.completeExceptionally(new ConnectionClosedException(this + " closed: " + reason));
    }

    /**
     * After close: fails whatever is queued. Whoever holds {@link #consuming} empties the queue;
     * a caller that cannot get it leaves its send to the holder, which looks again after letting
     * go. Nobody ever waits for the flag, so futures completed here (and their callbacks, which
     * may send on other connections) cannot deadlock with another connection's close.
     */
    private void failQueued() {
        while (CONSUMING.compareAndSet(this, 0, 1)) {
            try {
                PendingSend s;
                while ((s = outbound.poll()) != null) s.completeExceptionally(closedException(null));
            } finally {
                consuming = 0;
            }
            if (outbound.isEmpty()) return;
        }
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
        handler.discardInput();
        // What was sent before the close goes out, however many drain slices it fills; sends queued
        // from now on (by this drain's callbacks, or by senders that keep pace) fail in appendNow.
        drainOutbound(outbound.size());
        closing = true;
        writeBatch();
        // Nothing is read from now on, so no reply can come: the requests waiting (including those
        // just written) fail now rather than when the socket is finally closed.
        failPending();
        // A WebSocket says goodbye with a Close frame, behind everything written before it.
        GracefulClose.close(channel, webSocket ? WebSockets.sendClose(channel) : null, context.config.stopGracePeriod(),
                context.config.closeLinger());
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
        failPending();
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
        /** Set when this send carries a request: a send that fails fails the request too. */
        PendingRequest request;

        PendingSend(Message message) {
            this.message = message;
        }

        @Override
        public boolean completeExceptionally(Throwable ex) {
            if (request != null) request.completeExceptionally(ex);
            return super.completeExceptionally(ex);
        }
    }

    /** The sends of one batch write: they complete together when the write does. */
    private final class Batch implements ChannelFutureListener {
        private PendingSend[] sends = new PendingSend[8];
        /** WebSocket only: each send's frame length, to write the frames one by one. */
        int[] lengths;
        int size;
        private long bytes;

        Batch(boolean frameLengths) {
            if (frameLengths) lengths = new int[8];
        }

        void add(PendingSend send, int frameBytes) {
            if (size == sends.length) sends = java.util.Arrays.copyOf(sends, size * 2);
            if (lengths != null) {
                if (size == lengths.length) lengths = java.util.Arrays.copyOf(lengths, size * 2);
                lengths[size] = frameBytes;
            }
            sends[size++] = send;
            bytes += frameBytes;
        }

        @Override
        public void operationComplete(ChannelFuture future) {
            if (future.isSuccess()) {
                BYTES_OUT.setOpaque(ChannelConnection.this, bytesOut + bytes);
                MESSAGES_OUT.setOpaque(ChannelConnection.this, messagesOut + size);
                context.traffic.sent(bytes, size);
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
