package io.paguma.internal;

import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.paguma.Connection;
import io.paguma.ConnectionClosedException;
import io.paguma.Message;
import io.paguma.PagumaConfig;
import io.paguma.internal.RequestTracker.PendingRequest;
import io.paguma.internal.SendQueue.PendingSend;
import io.paguma.Traffic;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;

/**
 * The {@link Connection} over a Netty channel: its identity, properties, traffic counters,
 * request sequence ids, and its close. The work is done by the parts it owns:
 * <ul>
 * <li>{@link SendQueue}: sends are queued, encoded into batches, written and flushed (P8);</li>
 * <li>{@link RequestTracker}: requests written and waiting for their replies, and their timeouts
 *     (made by the first request, so a connection that never requests pays one field);</li>
 * <li>{@link ConnectionHandler}: the inbound side and the lifecycle.</li>
 * </ul>
 *
 * <p>Threads: the public methods run on any thread; fields marked "IO thread only" are the
 * channel's event loop's; the traffic counters are written by the IO thread and read anywhere.
 */
public final class ChannelConnection implements Connection {
    private static final AtomicIntegerFieldUpdater<ChannelConnection> LAST_SEQ =
            AtomicIntegerFieldUpdater.newUpdater(ChannelConnection.class, "lastSeq");
    private static final AtomicIntegerFieldUpdater<ChannelConnection> PENDING_COUNT =
            AtomicIntegerFieldUpdater.newUpdater(ChannelConnection.class, "pendingCount");
    private static final AtomicIntegerFieldUpdater<ChannelConnection> ADMISSION =
            AtomicIntegerFieldUpdater.newUpdater(ChannelConnection.class, "admission");
    /** {@link #admission}: its messages are routed (the state without an authenticator). */
    static final int ADMITTED = 0;
    /** {@link #admission}: its next message goes to the server's authenticator first. */
    static final int AUTHENTICATING = 1;
    /** {@link #admission}: refused (authenticator, authTimeout or a throwing onConnStart): nothing it sends is routed. */
    static final int REFUSED = 2;
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

    /** Why a channel closed before its connection was set up (a refused WebSocket upgrade, say). */
    public static final io.netty.util.AttributeKey<Throwable> SETUP_FAILURE = io.netty.util.AttributeKey.valueOf("paguma.setupFailure");

    private final long id;
    final Channel channel;
    final EventLoop loop;
    private final InetSocketAddress remote;
    final EndpointContext context;
    final ConnectionHandler handler;
    final Worker worker;
    /**
     * Senders waiting for the peer to catch up, and with {@code outboundPolicy: wait} the bytes sent
     * and not yet taken by the IO thread: made with the connection in that mode, else by the first
     * {@link #writable()} that must wait (an idle connection pays one field).
     */
    volatile Pacing pacing;
    /** Made by the first property set (most connections of a plain echo or relay never set one). */
    private volatile ConcurrentHashMap<String, Object> properties;
    @SuppressWarnings("rawtypes")
    private static final java.util.concurrent.atomic.AtomicReferenceFieldUpdater<ChannelConnection, ConcurrentHashMap> PROPERTIES =
            java.util.concurrent.atomic.AtomicReferenceFieldUpdater.newUpdater(ChannelConnection.class, ConcurrentHashMap.class, "properties");
    private final CompletableFuture<Void> closeFuture = new CompletableFuture<>();
    /** The outbound side: queue, batches, writes, flushes. */
    private final SendQueue sends;
    /** IO thread only: already on this IO thread's end-of-turn flush list (see {@link TurnEnd}). */
    boolean flushQueued;
    volatile boolean closed;
    /** Set on the IO thread by the first close. */
    boolean closing;
    /** Whether its messages are routed: {@link #ADMITTED}, {@link #AUTHENTICATING} or {@link #REFUSED}. */
    volatile int admission;
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
    /**
     * IO thread only: a batch was written since the idle timer last looked (set by the
     * {@link SendQueue}, read and cleared by the idle timer).
     */
    boolean wroteSinceTick;

    ChannelConnection(long id, Channel channel, EndpointContext context, ConnectionHandler handler, Worker worker) {
        this.id = id;
        this.channel = channel;
        this.loop = channel.eventLoop();
        this.remote = (InetSocketAddress) channel.remoteAddress();
        // Not kept here (a field per connection): Netty's channel caches it from this first call.
        channel.localAddress();
        this.context = context;
        this.handler = handler;
        this.worker = worker;
        this.sends = new SendQueue(this, WebSockets.isWebSocket(channel));
        this.lastSeq = firstSeq();
        if (context.config.outboundPolicy() == PagumaConfig.OutboundPolicy.WAIT) this.pacing = new Pacing();
        if (context.authenticator != null) this.admission = AUTHENTICATING;
    }

    /** Moves admission from {@code expected} to {@code next}; false if another thread moved it first. */
    boolean admission(int expected, int next) {
        return ADMISSION.compareAndSet(this, expected, next);
    }

    /** From now on nothing it sends is routed. */
    void refuseMessages() {
        admission = REFUSED;
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
        return (InetSocketAddress) channel.localAddress();
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
        // A send waits at most requestTimeout for the peer to catch up.
        Throwable paced = paceSender(context.config.requestTimeout().toNanos());
        if (paced != null) return CompletableFuture.failedFuture(paced);
        if (context.config.outboundPolicy() == PagumaConfig.OutboundPolicy.WAIT && pacing != null) {
            pacing.queued.addAndGet(queuedCost(message));
        }
        // The queue's own reference to a buffer payload, let go once encoded or failed: the caller's
        // stays the caller's (a router may send the request's own payload as it is).
        PendingSend send = new PendingSend(message.retain());
        sends.enqueue(send);
        return send;
    }

    @Override
    public void sendAndForget(Message message) {
        if (message == null) throw new NullPointerException("message");
        Throwable paced = paceSender(context.config.requestTimeout().toNanos());
        if (paced != null) return;
        if (context.config.outboundPolicy() == PagumaConfig.OutboundPolicy.WAIT && pacing != null) {
            pacing.queued.addAndGet(queuedCost(message));
        }
        sends.enqueue(message.retain());
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
                    + " (paguma, tron, tron-v2), or send() and a router for the answer"));
        }
        if (closed) return CompletableFuture.failedFuture(closedException(null));
        if (PENDING_COUNT.incrementAndGet(this) > context.config.maxPendingRequests()) {
            PENDING_COUNT.decrementAndGet(this);
            return CompletableFuture.failedFuture(new IllegalStateException(this + " has "
                    + context.config.maxPendingRequests() + " requests waiting for replies"
                    + " (set paguma.maxPendingRequests to raise it)"));
        }
        // A request waits for the peer at most its own timeout.
        Throwable paced = paceSender(timeoutNanos(timeout));
        if (paced != null) {
            PENDING_COUNT.decrementAndGet(this);
            return CompletableFuture.failedFuture(paced);
        }
        if (!requested) requested = true;
        int seq = nextSeq();
        PendingRequest request = new PendingRequest(this, seq, message.id(), timeoutNanos(timeout));
        // A codec with the field carries the time limit, so the peer skips a request nobody waits for any more.
        int limit = context.codec.hasStatus()
                ? (int) Math.min(Integer.MAX_VALUE, Math.max(1, TimeUnit.NANOSECONDS.toMillis(timeoutNanos(timeout)))) : 0;
        if (context.config.outboundPolicy() == PagumaConfig.OutboundPolicy.WAIT && pacing != null) {
            pacing.queued.addAndGet(queuedCost(message));
        }
        PendingSend send = new PendingSend(message.asRequest(seq, limit).retain());
        send.request = request;
        sends.enqueue(send);
        return request;
    }

    @Override
    public boolean isWritable() {
        // As writable() sees it: with outboundPolicy wait, the sends not yet taken by the IO thread count too.
        return !closed && ready();
    }

    @Override
    public void pauseReading() {
        applicationPaused(true);
    }

    @Override
    public void resumeReading() {
        applicationPaused(false);
    }

    private void applicationPaused(boolean pause) {
        if (loop.inEventLoop()) {
            handler.applicationPaused(pause);
        } else {
            try {
                loop.execute(() -> handler.applicationPaused(pause));
            } catch (java.util.concurrent.RejectedExecutionException ended) {
                // The loop has ended: so has the connection.
            }
        }
    }

    @Override
    public CompletableFuture<Void> writable() {
        if (closed) return CompletableFuture.failedFuture(closedException(null));
        if (ready()) return CompletableFuture.completedFuture(null);
        CompletableFuture<Void> f = new CompletableFuture<>();
        try {
            loop.execute(() -> {
                if (closed) {
                    f.completeExceptionally(closedException(null));
                } else if (ready()) {
                    f.complete(null);
                } else {
                    if (pacing == null) pacing = new Pacing();
                    pacing.waiters.add(f);
                }
            });
        } catch (RejectedExecutionException e) {
            f.completeExceptionally(closedException(e));
        }
        return f;
    }

    /** Whether the peer keeps up: the channel is writable and, in wait mode, not too much is queued for it. */
    private boolean ready() {
        Pacing p = pacing;
        return channel.isWritable() && (p == null || p.queued.get() < context.config.writeBufferHighWaterMark());
    }

    /** On the IO thread, after writability changed or a drain: waiters go on once the peer keeps up. */
    void writabilityChanged() {
        Pacing p = pacing;
        if (p == null || p.waiters.isEmpty() || !ready()) return;
        ArrayDeque<CompletableFuture<Void>> go = new ArrayDeque<>(p.waiters);
        p.waiters.clear();
        for (CompletableFuture<Void> f : go) f.complete(null);
    }

    /** Bytes given to send() and not yet taken by the IO thread (wait mode); senders waiting for the peer. */
    static final class Pacing {
        final java.util.concurrent.atomic.AtomicLong queued = new java.util.concurrent.atomic.AtomicLong();
        /** IO thread only. */
        final ArrayDeque<CompletableFuture<Void>> waiters = new ArrayDeque<>();
    }

    /**
     * {@code outboundPolicy: wait}: a sender on another thread than this connection's IO thread
     * waits here while the peer does not keep up. Returns why the send must fail instead (the
     * connection closed, or the thread was interrupted), or null.
     */
    private Throwable paceSender(long waitNanos) {
        if (context.config.outboundPolicy() != PagumaConfig.OutboundPolicy.WAIT || ready()
                // Never on an IO thread, this connection's or any other (a broadcast from a router on
                // the IO thread, a continuation of writable()): the loop would stop for all its connections.
                || io.netty.util.internal.ThreadExecutorMap.currentExecutor() != null) {
            return null;
        }
        long deadline = System.nanoTime() + waitNanos;
        try {
            while (!closed && !closing && !ready()) {
                long left = deadline - System.nanoTime();
                if (left <= 0) throw new java.util.concurrent.TimeoutException();
                writable().get(left, TimeUnit.NANOSECONDS);
            }
            return closed || closing ? closedException(null) : null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new java.io.InterruptedIOException(this + ": interrupted while waiting for the peer to catch up"
                    + " (outboundPolicy wait)");
        } catch (java.util.concurrent.TimeoutException e) {
            // Bounded, so two peers that each wait for the other to read cannot hang for good.
            return new java.util.concurrent.TimeoutException(this + ": the peer did not catch up within "
                    + TimeUnit.NANOSECONDS.toMillis(waitNanos) + " ms (outboundPolicy wait)");
        } catch (java.util.concurrent.ExecutionException e) {
            return e.getCause();
        }
    }

    /** With {@code outboundPolicy: wait}: what one send adds to the bytes waiting for the IO thread (its payload and a share for its objects). */
    static long queuedCost(Message message) {
        return message.length() + 64L;
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

    /** The capacity of the buffer holding a partly received frame, read on the IO thread; 0 when none is held (for tests, R3). */
    public int inboundBufferCapacity() throws Exception {
        return loop.submit(handler::bufferedCapacity).get(10, TimeUnit.SECONDS);
    }

    /** On the IO thread: counts what one read brought in. */
    void received(long bytes, long messages) {
        BYTES_IN.setOpaque(this, bytesIn + bytes);
        if (messages != 0) MESSAGES_IN.setOpaque(this, messagesIn + messages);
        context.traffic.received(bytes, messages);
    }

    /** On the IO thread at the end of a read: whether replies made during it wait to be flushed (see {@link SendQueue}). */
    boolean hasUnflushed() {
        return sends.hasUnflushed();
    }

    /** On the IO thread at the end of a read: writes and flushes what was sent during it. */
    void flushAfterRead() {
        sends.flushAfterRead();
    }

    /** On the IO thread, inside a write that crossed the high water mark: see {@link SendQueue#flushHoldingSends}. */
    void flushHoldingSends() {
        sends.flushHoldingSends();
    }

    /** On the IO thread: counts what one batch write sent. */
    void sent(long bytes, int messages) {
        BYTES_OUT.setOpaque(this, bytesOut + bytes);
        MESSAGES_OUT.setOpaque(this, messagesOut + messages);
        context.traffic.sent(bytes, messages);
    }

    @Override
    public Traffic traffic() {
        return new Traffic((long) BYTES_IN.getOpaque(this), (long) BYTES_OUT.getOpaque(this),
                (long) MESSAGES_IN.getOpaque(this), (long) MESSAGES_OUT.getOpaque(this));
    }

    /** On the IO thread: the request's frame is about to be written; its reply is awaited from now. */
    boolean register(PendingRequest request) {
        if (request.finished != 0) return true; // cancelled while queued: its frame still goes out, nobody waits
        if (requests == null) requests = new RequestTracker(this);
        return requests.register(request);
    }

    /** On the IO thread, at close: every request still waiting fails. */
    private void failPending() {
        if (requests != null) requests.failAll();
    }

    /** The peer does not read and more than {@code maxPendingWriteBytes} wait for it: it is cut off. */
    /** On the IO thread: slowPeerTimeout passed with more than the high water mark unread by the peer. */
    void cutSlowPeer(long timeoutMillis) {
        if (closing) return;
        io.netty.channel.ChannelOutboundBuffer out = channel.unsafe().outboundBuffer();
        long pendingBytes = out == null ? 0 : out.totalPendingWriteBytes();
        closing = true;
        context.errorLog.warn(this + " closed: the peer left " + pendingBytes + " bytes unread for " + timeoutMillis
                + " ms (slowPeerTimeout; reading it was paused meanwhile)", null);
        handler.discardInput();
        GracefulClose.reset(channel);
        context.events.slowPeerCut(this, pendingBytes);
    }

    void closeForSlowPeer(long pendingBytes, PendingSend send) {
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
        if (send != null) send.completeExceptionally(new ConnectionClosedException(this + " closed: " + reason));
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
        failWritableWaiters();
        // What was sent before the close goes out, however many drain slices it fills; sends queued
        // from now on (by this drain's callbacks, or by senders that keep pace) fail in appendNow.
        sends.drainOutbound(sends.queued());
        closing = true;
        sends.writeBatch();
        // Nothing is read from now on, so no reply can come: the requests waiting (including those
        // just written) fail now rather than when the socket is finally closed.
        failPending();
        // A WebSocket says goodbye with a Close frame, behind everything written before it.
        GracefulClose.close(channel, sends.webSocket ? WebSockets.sendClose(channel) : null, context.config.stopGracePeriod(),
                context.config.closeLinger());
    }

    @Override
    public CompletableFuture<Void> closeFuture() {
        return closeFuture;
    }

    /** On the IO thread, when the channel has become inactive: fail every send still queued. */
    void markClosed() {
        closed = true;
        sends.failBatch();
        sends.failQueued();
        failPending();
        failWritableWaiters();
    }

    /** On the IO thread, at close: senders waiting for the peer give up (their sends fail as closed). */
    private void failWritableWaiters() {
        Pacing p = pacing;
        if (p == null || p.waiters.isEmpty()) return;
        ArrayDeque<CompletableFuture<Void>> waiting = new ArrayDeque<>(p.waiters);
        p.waiters.clear();
        for (CompletableFuture<Void> f : waiting) f.completeExceptionally(closedException(null));
    }

    /** After {@code onConnStop} has run. */
    void completeClose() {
        closeFuture.complete(null);
    }

    /** Called by a worker that has room again: continue reading on the IO thread. */
    void workerHasRoom() {
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
        ConcurrentHashMap<String, Object> p = properties;
        return p == null ? null : (T) p.get(java.util.Objects.requireNonNull(key, "key"));
    }

    @Override
    @SuppressWarnings("unchecked")
    public <T> T property(String key, Object value) {
        if (value == null) return removeProperty(key);
        ConcurrentHashMap<String, Object> p = properties;
        if (p == null) {
            p = new ConcurrentHashMap<>();
            if (!PROPERTIES.compareAndSet(this, null, p)) p = properties;
        }
        return (T) p.put(key, value);
    }

    @Override
    @SuppressWarnings("unchecked")
    public <T> T removeProperty(String key) {
        ConcurrentHashMap<String, Object> p = properties;
        return p == null ? null : (T) p.remove(java.util.Objects.requireNonNull(key, "key"));
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

}
