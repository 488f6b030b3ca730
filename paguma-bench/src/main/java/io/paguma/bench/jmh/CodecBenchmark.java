package io.paguma.bench.jmh;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.util.concurrent.FastThreadLocalThread;
import io.paguma.Codec;
import io.paguma.Codecs;
import io.paguma.Message;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

import java.util.SplittableRandom;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * JMH micro-benchmarks of the built-in {@link Codec}s: time and heap allocation per message.
 *
 * <ul>
 *   <li>{@code encode}: one prepared {@link Message} into a reused pooled direct buffer (cleared
 *       each op), as the server does per reply.</li>
 *   <li>{@code decode}: one frame from a pre-encoded pooled direct buffer (reader index reset each op).</li>
 *   <li>{@code decodeBatch}: {@value #BATCH} back-to-back frames in one buffer, decoded until
 *       {@code decode} returns null, the shape of a read burst; reported per frame.</li>
 *   <li>{@code rawNetty*}: a raw-Netty reference for the {@code ltv-le} layout, parameterised by
 *       payload only. {@code rawNettySliceDecode}/{@code rawNettySliceDecodeBatch} do what
 *       {@code LengthFieldBasedFrameDecoder} does per frame: read the length, take a
 *       {@code retainedSlice} of the frame, advance the reader index; the slice is then released
 *       as a handler would. No payload copy, so it is a lower bound for {@code decode}, which copies
 *       the payload into the message's own {@code byte[]}. {@code rawNettyEncode} writes the
 *       header and payload with {@code writeIntLE}/{@code writeBytes}.</li>
 * </ul>
 *
 * <p>Run from the repository root after {@code mvn -DskipTests package}:
 * <pre>
 * java -cp 'paguma-bench/target/paguma-bench.jar:paguma-bench/target/lib/*' \
 *     org.openjdk.jmh.Main CodecBenchmark -prof gc -rf json -rff codec.json
 * </pre>
 * {@code -prof gc} adds {@code gc.alloc.rate.norm}, the heap bytes allocated per operation.
 * Add e.g. {@code -p codec=ltv-le -p payload=128} to narrow the parameters.
 *
 * <p>The forked JVM runs with Netty's leak detector disabled, so that its random sampling of the
 * few buffers allocated in setup cannot change the results from one fork to the next, and runs
 * the benchmark threads as {@link FastThreadLocalThread}s (see {@link EventLoopLikeExecutor}), as
 * Netty's IO threads are: on a plain thread Netty 4.2's {@code Recycler} does not pool, so every
 * {@code retainedSlice} would allocate a new slice object that an event loop would recycle.
 * A {@code -jvmArgsAppend} given on the command line replaces these options: repeat them in it
 * (the raw-Netty benchmarks refuse to run on a plain thread).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 1, jvmArgsAppend = {
        "-Dio.netty.leakDetection.level=disabled",
        "-Djmh.executor=CUSTOM",
        "-Djmh.executor.class=io.paguma.bench.jmh.CodecBenchmark$EventLoopLikeExecutor"})
@Warmup(iterations = 3, time = 1, timeUnit = TimeUnit.SECONDS)
@Measurement(iterations = 5, time = 1, timeUnit = TimeUnit.SECONDS)
public class CodecBenchmark {

    /** Frames per buffer in the batch benchmarks. */
    static final int BATCH = 16;
    /** The decode limit; above every payload size measured, as the server's maxPacketSize would be. */
    static final int MAX_PACKET_SIZE = 1 << 20;
    static final int MESSAGE_ID = 1001;
    /** Header of the ltv-le layout: [len u32 LE][id u32 LE]. */
    static final int LTV_HEADER = 8;

    static byte[] payload(int size) {
        byte[] data = new byte[size];
        new SplittableRandom(42).nextBytes(data);
        return data;
    }

    /** State of the Paguma codec benchmarks: one codec, one payload size. */
    @State(Scope.Thread)
    public static class CodecState {
        @Param({"ltv-le", "tlv-be", "length-prefix"})
        public String codec;

        @Param({"16", "128", "4096"})
        public int payload;

        Codec impl;
        Message message;
        /** Reused output buffer of encode. */
        ByteBuf out;
        /** One encoded frame. */
        ByteBuf frame;
        /** {@link #BATCH} encoded frames back to back. */
        ByteBuf batch;

        @Setup(Level.Trial)
        public void setUp() {
            impl = Codecs.byName(codec);
            // length-prefix carries no id: it only encodes id 0.
            int id = "length-prefix".equals(codec) ? 0 : MESSAGE_ID;
            message = new Message(id, payload(payload));
            int frameLength = impl.frameLength(message);

            PooledByteBufAllocator alloc = PooledByteBufAllocator.DEFAULT;
            out = alloc.directBuffer(frameLength);
            frame = alloc.directBuffer(frameLength);
            impl.encode(message, frame);
            batch = alloc.directBuffer(frameLength * BATCH);
            for (int i = 0; i < BATCH; i++) impl.encode(message, batch);

            check(frame.readableBytes() == frameLength && batch.readableBytes() == frameLength * BATCH,
                    "frame length");
            check(message.equals(impl.decode(frame.duplicate(), MAX_PACKET_SIZE)), "round trip");
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            out.release();
            frame.release();
            batch.release();
        }
    }

    /** State of the raw-Netty reference: the ltv-le layout, one payload size. */
    @State(Scope.Thread)
    public static class RawState {
        @Param({"16", "128", "4096"})
        public int payload;

        byte[] data;
        ByteBuf out;
        ByteBuf frame;
        ByteBuf batch;

        @Setup(Level.Trial)
        public void setUp() {
            // Without it the slices would not be recycled (see the class comment).
            check(FastThreadLocalThread.currentThreadHasFastThreadLocal(),
                    "benchmark thread is not a FastThreadLocalThread; keep the @Fork jvmArgsAppend options");
            data = payload(payload);
            Message message = new Message(MESSAGE_ID, data);
            int frameLength = LTV_HEADER + payload;

            PooledByteBufAllocator alloc = PooledByteBufAllocator.DEFAULT;
            out = alloc.directBuffer(frameLength);
            frame = alloc.directBuffer(frameLength);
            Codecs.LTV_LE.encode(message, frame);
            batch = alloc.directBuffer(frameLength * BATCH);
            for (int i = 0; i < BATCH; i++) Codecs.LTV_LE.encode(message, batch);

            // The raw encoder writes the same bytes as the ltv-le codec.
            out.writeIntLE(payload).writeIntLE(MESSAGE_ID).writeBytes(data);
            check(out.equals(frame), "raw encode matches ltv-le");
            out.clear();
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            out.release();
            frame.release();
            batch.release();
        }
    }

    /**
     * The executor JMH runs the benchmark threads on ({@code -Djmh.executor=CUSTOM}): it makes
     * {@link FastThreadLocalThread}s, like Netty's event loops, so that Netty's thread-local pools
     * behave as they do on the server's IO threads.
     */
    public static final class EventLoopLikeExecutor extends ThreadPoolExecutor {
        /** The constructor JMH calls. */
        public EventLoopLikeExecutor(int maxThreads, String prefix) {
            super(maxThreads, maxThreads, 1, TimeUnit.MINUTES, new LinkedBlockingQueue<>(), threads(prefix));
        }

        private static ThreadFactory threads(String prefix) {
            AtomicInteger n = new AtomicInteger();
            return r -> {
                Thread t = new FastThreadLocalThread(r, prefix + "-" + n.incrementAndGet());
                t.setDaemon(true);
                return t;
            };
        }
    }

    static void check(boolean ok, String what) {
        if (!ok) throw new IllegalStateException("benchmark setup check failed: " + what);
    }

    // ---- Paguma codecs -------------------------------------------------------------------------

    @Benchmark
    public ByteBuf encode(CodecState s) {
        ByteBuf out = s.out.clear();
        s.impl.encode(s.message, out);
        return out;
    }

    @Benchmark
    public void decode(CodecState s, Blackhole bh) {
        ByteBuf in = s.frame.readerIndex(0);
        bh.consume(s.impl.decode(in, MAX_PACKET_SIZE));
    }

    /** zeroCopy: the payload is a retained slice of the frame, released as the framework does after the router. */
    @Benchmark
    public void decodeZeroCopy(CodecState s, Blackhole bh) {
        ByteBuf in = s.frame.readerIndex(0);
        Message m = s.impl.decode(in, MAX_PACKET_SIZE, true);
        bh.consume(m);
        m.release();
    }

    /** zeroCopy, and the payload re-encoded as an echo's reply would be (one copy, into the out buffer). */
    @Benchmark
    public ByteBuf decodeZeroCopyAndEncode(CodecState s) {
        ByteBuf in = s.frame.readerIndex(0);
        Message m = s.impl.decode(in, MAX_PACKET_SIZE, true);
        ByteBuf out = s.out.clear();
        s.impl.encode(m, out);
        m.release();
        return out;
    }

    /** The byte[] path of the same echo: a copy out of the frame, a copy into the out buffer. */
    @Benchmark
    public ByteBuf decodeAndEncode(CodecState s) {
        ByteBuf in = s.frame.readerIndex(0);
        Message m = s.impl.decode(in, MAX_PACKET_SIZE);
        ByteBuf out = s.out.clear();
        s.impl.encode(m, out);
        return out;
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public void decodeBatch(CodecState s, Blackhole bh) {
        ByteBuf in = s.batch.readerIndex(0);
        Codec codec = s.impl;
        Message m;
        while ((m = codec.decode(in, MAX_PACKET_SIZE)) != null) {
            bh.consume(m);
        }
    }

    // ---- Raw Netty reference (ltv-le layout) ---------------------------------------------------

    @Benchmark
    public ByteBuf rawNettyEncode(RawState s) {
        ByteBuf out = s.out.clear();
        byte[] data = s.data;
        out.writeIntLE(data.length);
        out.writeIntLE(MESSAGE_ID);
        out.writeBytes(data);
        return out;
    }

    @Benchmark
    public void rawNettySliceDecode(RawState s, Blackhole bh) {
        ByteBuf in = s.frame.readerIndex(0);
        rawSliceFrame(in, bh);
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public void rawNettySliceDecodeBatch(RawState s, Blackhole bh) {
        ByteBuf in = s.batch.readerIndex(0);
        while (rawSliceFrame(in, bh)) {
            // next frame
        }
    }

    /**
     * One frame the way {@code LengthFieldBasedFrameDecoder(maxPacketSize + 8, 0, 4, 4, 0)} with
     * {@code ByteOrder.LITTLE_ENDIAN} takes it: length check, {@code retainedSlice} of the whole
     * frame, reader index advanced; then the consumer reads the id and releases the slice.
     */
    private static boolean rawSliceFrame(ByteBuf in, Blackhole bh) {
        int start = in.readerIndex();
        int readable = in.writerIndex() - start;
        if (readable < LTV_HEADER) return false;
        long length = in.getUnsignedIntLE(start);
        if (length > MAX_PACKET_SIZE) throw new IllegalStateException("frame too long: " + length);
        int frameLength = LTV_HEADER + (int) length;
        if (readable < frameLength) return false;
        ByteBuf slice = in.retainedSlice(start, frameLength);
        in.readerIndex(start + frameLength);
        bh.consume(slice.getIntLE(4));
        bh.consume(slice);
        slice.release();
        return true;
    }
}
