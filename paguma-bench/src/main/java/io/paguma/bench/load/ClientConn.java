package io.paguma.bench.load;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.SingleWriterRecorder;

/**
 * One load connection: writes {@code ltv-le} requests, parses the echoed frames in place and
 * checks each one against the request it answers (FIFO per connection). Everything here runs on
 * the channel's event loop; nothing on the hot path allocates besides the outbound buffer.
 *
 * <p>Request payloads are a shared random template whose first eight bytes are replaced by a
 * stamp (connection index, incarnation, sequence number), so a reply that belongs to another
 * connection, another request or another incarnation does not match.
 */
final class ClientConn extends ChannelInboundHandlerAdapter {
    static final int HEADER = 8;

    private final LoadGenerator gen;
    final int index;
    private final long tag;
    private final SplittableRandom random;
    private final boolean c10k;

    Channel channel;
    private SingleWriterRecorder recorder;
    private ByteBuf cumulation;

    // Outstanding requests: a ring indexed by sequence number.
    private long[] sentAt;
    private int[] sizes;
    private int mask;
    long sent;
    long received;

    private long quota = Long.MAX_VALUE;
    private boolean quotaActive;
    private boolean unflushed;
    private boolean closingOnPurpose;
    private long reconnectAtNanos;
    private boolean started;

    ClientConn(LoadGenerator gen, int index, int incarnation, SplittableRandom random, long reconnectAtNanos) {
        this.gen = gen;
        this.index = index;
        this.tag = ((long) index << 40) | ((long) (incarnation & 0xff) << 32);
        this.random = random;
        this.c10k = gen.options.scenario == LoadOptions.Scenario.C10K;
        this.reconnectAtNanos = reconnectAtNanos;
        int capacity = Integer.highestOneBit(Math.max(4, gen.options.depth * 2 - 1));
        if (c10k) capacity = 4;
        this.sentAt = new long[capacity];
        this.sizes = new int[capacity];
        this.mask = capacity - 1;
    }

    long outstanding() {
        return sent - received;
    }

    /** Count mode: this connection sends {@code quota} more requests (on its event loop). */
    void quota(long quota) {
        this.quota = quota;
        if (quota != Long.MAX_VALUE && !quotaActive) {
            quotaActive = true;
            gen.quotaTaken();
        }
    }

    /** Tells the generator once this connection's quota is spent and answered, or it closed. */
    private void reportQuotaIfDone(boolean closed) {
        if (quotaActive && (closed || quota == 0 && sent == received)) {
            quotaActive = false;
            gen.quotaFinished();
        }
    }

    void reconnectAt(long nanos) {
        this.reconnectAtNanos = nanos;
    }

    @Override
    public void channelRegistered(ChannelHandlerContext ctx) {
        // Before the connect completes: the generator may start traffic as soon as it learns of it.
        channel = ctx.channel();
        recorder = gen.recorderFor(channel.eventLoop());
        ctx.fireChannelRegistered();
    }

    /** Starts the traffic this connection makes (called on its event loop). */
    void start() {
        if (started || channel == null || !channel.isActive()) return;
        started = true;
        if (c10k) {
            scheduleNextC10k();
        } else if (gen.options.rate == 0) {
            gen.sent.add(sendBatch(System.nanoTime(), gen.options.depth));
            flush();
        }
        // Open loop: the pacer of this event loop drives the sends.
    }

    private boolean canSend() {
        return gen.sending() && quota > 0 && !closingOnPurpose;
    }

    /**
     * Closed loop: writes up to {@code n} requests (as the quota allows) in one buffer, one write;
     * the caller flushes. Returns how many.
     */
    int sendBatch(long nowNanos, int n) {
        if (!canSend() || !channel.isActive()) return 0;
        int count = (int) Math.min(n, quota);
        int size = gen.options.payload;
        ByteBuf b = channel.alloc().ioBuffer(count * (HEADER + size));
        for (int i = 0; i < count; i++) writeFrame(b, size, nowNanos);
        channel.write(b, channel.voidPromise());
        unflushed = true;
        return count;
    }

    /**
     * Open loop: writes {@code count} requests in one buffer, the i-th intended for
     * {@code first + i * period}; the caller flushes. A connection that cannot send skips them.
     */
    void paced(double first, double period, int count) {
        if (!started || !canSend() || !channel.isActive()) return;
        int size = gen.options.payload;
        ByteBuf b = channel.alloc().ioBuffer(count * (HEADER + size));
        for (int i = 0; i < count; i++) writeFrame(b, size, (long) (first + i * period));
        channel.write(b, channel.voidPromise());
        unflushed = true;
        gen.sent.add(count);
    }

    private void writeFrame(ByteBuf b, int size, long intendedNanos) {
        long seq = sent;
        if (seq - received == sentAt.length) grow();
        int slot = (int) seq & mask;
        sentAt[slot] = intendedNanos;
        sizes[slot] = size;
        sent = seq + 1;
        if (quota != Long.MAX_VALUE) quota--;

        b.writeIntLE(size).writeIntLE(gen.options.messageId);
        long stamp = tag | (seq & 0xffff_ffffL);
        if (size >= 8) {
            b.writeLongLE(stamp);
            b.writeBytes(gen.template, 8, size - 8);
        } else {
            for (int i = 0; i < size; i++) b.writeByte((int) (stamp >>> (8 * i)));
        }
    }

    private void grow() {
        int capacity = sentAt.length * 2;
        long[] newSentAt = new long[capacity];
        int[] newSizes = new int[capacity];
        for (long s = received; s < sent; s++) {
            newSentAt[(int) s & (capacity - 1)] = sentAt[(int) s & mask];
            newSizes[(int) s & (capacity - 1)] = sizes[(int) s & mask];
        }
        sentAt = newSentAt;
        sizes = newSizes;
        mask = capacity - 1;
    }

    void flush() {
        if (unflushed) {
            unflushed = false;
            channel.flush();
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ByteBuf in = (ByteBuf) msg;
        if (cumulation != null) {
            cumulation.writeBytes(in);
            in.release();
            in = cumulation;
        }
        int replies = 0;
        int sentBefore = (int) sent;
        try {
            replies = parse(in);
        } finally {
            if (!in.isReadable()) {
                in.release();
                cumulation = null;
            } else if (in != cumulation) {
                cumulation = ctx.alloc().buffer(Math.max(in.readableBytes(), HEADER + gen.options.largestPayload()) * 2);
                cumulation.writeBytes(in);
                in.release();
            } else {
                cumulation.discardSomeReadBytes();
            }
        }
        if (replies > 0) gen.received.add(replies);
        int newlySent = (int) sent - sentBefore;
        if (newlySent > 0) gen.sent.add(newlySent);
    }

    private int parse(ByteBuf in) {
        long now = System.nanoTime();
        int replies = 0;
        int maxFrame = gen.options.largestPayload();
        while (in.readableBytes() >= HEADER) {
            int at = in.readerIndex();
            int len = in.getIntLE(at);
            if (len < 0 || len > maxFrame) {
                gen.mismatch(this, "frame length " + Integer.toUnsignedString(len) + " is not a length this run sends");
                in.skipBytes(in.readableBytes());
                channel.close();
                return replies;
            }
            if (in.readableBytes() < HEADER + len) break;
            int id = in.getIntLE(at + 4);
            if (received == sent) {
                gen.mismatch(this, "a reply arrived with no request outstanding");
            } else {
                int slot = (int) received & mask;
                String problem = check(in, at, len, id, sizes[slot], received);
                if (problem != null) gen.mismatch(this, problem + " (request " + received + ")");
                long intended = sentAt[slot];
                if (intended >= gen.measureStartNanos) {
                    recorder.recordValue(Math.max(0, now - intended));
                }
                received++;
            }
            in.readerIndex(at + HEADER + len);
            replies++;
        }
        if (!c10k && gen.options.rate == 0 && replies > 0) sendBatch(now, replies);
        reportQuotaIfDone(false);
        if (c10k && received == sent && replies > 0) afterC10kReplies();
        return replies;
    }

    private String check(ByteBuf in, int at, int len, int id, int size, long seq) {
        if (id != gen.options.messageId) return "reply id " + Integer.toUnsignedString(id) + ", expected " + gen.options.messageId;
        if (len != size) return "reply of " + len + " bytes, expected " + size;
        int p = at + HEADER;
        long stamp = tag | (seq & 0xffff_ffffL);
        if (len >= 8) {
            if (in.getLongLE(p) != stamp) return "reply stamped for another request/connection";
            if (!ByteBufUtil.equals(in, p + 8, gen.template, 8, len - 8)) return "reply payload differs from the request";
        } else {
            for (int i = 0; i < len; i++) {
                if (in.getByte(p + i) != (byte) (stamp >>> (8 * i))) return "reply payload differs from the request";
            }
        }
        return null;
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        flush();
        ctx.fireChannelReadComplete();
    }

    // ---- c10k ----

    private void scheduleNextC10k() {
        int max = gen.options.maxPauseMillis;
        int pause = max == 0 ? 0 : random.nextInt(max + 1);
        if (pause == 0) channel.eventLoop().execute(this::sendC10k);
        else channel.eventLoop().schedule(this::sendC10k, pause, TimeUnit.MILLISECONDS);
    }

    private void sendC10k() {
        if (!canSend() || !channel.isActive()) return;
        LoadOptions o = gen.options;
        int first = o.minPayload + random.nextInt(o.maxPayload - o.minPayload + 1);
        long now = System.nanoTime();
        if (random.nextDouble() < o.doubleFrameRatio) {
            int second = o.minPayload + random.nextInt(o.maxPayload - o.minPayload + 1);
            ByteBuf b = channel.alloc().ioBuffer(2 * HEADER + first + second);
            writeFrame(b, first, now);
            writeFrame(b, second, now);
            channel.writeAndFlush(b, channel.voidPromise());
            gen.sent.add(2);
            gen.doubleFrames.increment();
        } else {
            ByteBuf b = channel.alloc().ioBuffer(HEADER + first);
            writeFrame(b, first, now);
            channel.writeAndFlush(b, channel.voidPromise());
            gen.sent.increment();
        }
    }

    private void afterC10kReplies() {
        if (reconnectAtNanos != 0 && System.nanoTime() - reconnectAtNanos >= 0 && gen.sending()) {
            reconnectAtNanos = 0;
            closingOnPurpose = true;
            channel.close().addListener(f -> gen.reconnect(this));
            return;
        }
        scheduleNextC10k();
    }

    // ---- lifecycle ----

    void closeOnPurpose() {
        closingOnPurpose = true;
        if (channel != null) channel.close();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (!closingOnPurpose && !gen.finished()) gen.connectionLost(this);
        reportQuotaIfDone(true);
        ctx.fireChannelInactive();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        if (cumulation != null) {
            cumulation.release();
            cumulation = null;
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        gen.error(this, cause);
        ctx.close();
    }
}
