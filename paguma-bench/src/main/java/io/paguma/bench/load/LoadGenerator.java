package io.paguma.bench.load;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.EventExecutor;
import java.io.PrintStream;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.SingleWriterRecorder;

/**
 * A Netty load client for {@code ltv-le} echo servers (no Paguma code on its hot path). Opens
 * the connections, warms up, measures for a duration (or a count), then waits for every
 * outstanding reply: a reply that never comes is counted as {@code unanswered}, a reply that does
 * not match its request as a {@code mismatch}.
 */
public final class LoadGenerator {
    private static final int MAX_MISMATCH_LINES = 10;

    enum Phase { CONNECTING, WARMUP, MEASURE, DRAIN, DONE }

    final LoadOptions options;
    ByteBuf template;
    final LongAdder sent = new LongAdder();
    final LongAdder received = new LongAdder();
    final LongAdder mismatches = new LongAdder();
    final LongAdder errors = new LongAdder();
    final LongAdder connectFailures = new LongAdder();
    final LongAdder reconnects = new LongAdder();
    /** Reconnects done in the warm-up: not reported with the measurement's. */
    private volatile long reconnectsBeforeMeasure;
    final LongAdder doubleFrames = new LongAdder();
    private final AtomicLong mismatchLines = new AtomicLong();
    private final AtomicLong errorLines = new AtomicLong();
    private final PrintStream log;
    private final Map<EventExecutor, SingleWriterRecorder> recorders = new HashMap<>();

    private volatile Phase phase = Phase.CONNECTING;
    /**
     * Count mode: connections with quota left or replies outstanding, plus one token the controller
     * holds while it hands the quotas out; {@link #quotasDone} opens when it reaches zero.
     */
    private final AtomicInteger quotasPending = new AtomicInteger(1);
    private final CountDownLatch quotasDone = new CountDownLatch(1);
    private volatile long quotasDoneNanos;
    /**
     * When the measured part began: only requests intended from then on are recorded, so replies
     * to warm-up requests (which a cold JVM may have let pile up) do not count.
     */
    volatile long measureStartNanos = Long.MAX_VALUE;
    private EventLoopGroup group;
    private Bootstrap bootstrap;
    private AtomicReferenceArray<ClientConn> conns;
    private AtomicIntegerArray incarnations;
    private String target;

    public LoadGenerator(LoadOptions options, PrintStream log) {
        options.validate();
        this.options = options;
        this.log = log;
    }

    boolean sending() {
        Phase p = phase;
        return p == Phase.WARMUP || p == Phase.MEASURE;
    }

    boolean finished() {
        return phase == Phase.DONE;
    }

    SingleWriterRecorder recorderFor(EventLoop loop) {
        return recorders.get(loop);
    }

    /** A connection got a quota (count mode), on its event loop. */
    void quotaTaken() {
        quotasPending.incrementAndGet();
    }

    /** A connection spent its quota and has every reply, or closed; or the controller's token. */
    void quotaFinished() {
        if (quotasPending.decrementAndGet() == 0) {
            quotasDoneNanos = System.nanoTime();
            quotasDone.countDown();
        }
    }

    void mismatch(ClientConn conn, String problem) {
        mismatches.increment();
        if (mismatchLines.incrementAndGet() <= MAX_MISMATCH_LINES) {
            log.println("MISMATCH connection " + conn.index + " " + conn.channel + ": " + problem);
        }
    }

    void error(ClientConn conn, Throwable cause) {
        errors.increment();
        if (errorLines.incrementAndGet() <= MAX_MISMATCH_LINES) {
            log.println("ERROR connection " + conn.index + " " + conn.channel + ": " + cause);
        }
    }

    void connectionLost(ClientConn conn) {
        errors.increment();
        if (errorLines.incrementAndGet() <= MAX_MISMATCH_LINES) {
            log.println("ERROR connection " + conn.index + " " + conn.channel + " closed by the server with "
                    + conn.outstanding() + " replies outstanding");
        }
    }

    /** Runs the whole load and returns what it measured. */
    public LoadResult run() throws InterruptedException {
        String startedAt = Instant.now().toString();
        byte[] bytes = new byte[Math.max(8, options.largestPayload())];
        new Random(options.seed).nextBytes(bytes);
        template = Unpooled.directBuffer(bytes.length).writeBytes(bytes);
        boolean epoll = Epoll.isAvailable();
        int threads = options.ioThreads > 0 ? options.ioThreads : Runtime.getRuntime().availableProcessors();
        IoHandlerFactory factory = epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
        group = new MultiThreadIoEventLoopGroup(threads, new DefaultThreadFactory("load"), factory);
        for (EventExecutor e : group) recorders.put(e, new SingleWriterRecorder(3));
        target = options.host + ":" + options.port;
        bootstrap = new Bootstrap()
                .group(group)
                .channel(epoll ? EpollSocketChannel.class : NioSocketChannel.class)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 10_000)
                .remoteAddress(options.host, options.port);
        conns = new AtomicReferenceArray<>(options.connections);
        incarnations = new AtomicIntegerArray(options.connections);
        try {
            connectAll();
            int open = openConnections();
            if (options.scenario == LoadOptions.Scenario.IDLE) {
                System.out.println("CONNECTED " + open);
                System.out.flush();
                // Hold the connections for the run's duration (the runner ends the process sooner).
                TimeUnit.NANOSECONDS.sleep(seconds(options.durationSeconds));
                return result(startedAt, 0, 0, new Histogram(3), 0);
            }
            return drive(startedAt);
        } finally {
            phase = Phase.DONE;
            for (int i = 0; i < conns.length(); i++) {
                ClientConn c = conns.get(i);
                if (c != null) c.closeOnPurpose();
            }
            group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
            template.release();
        }
    }

    private LoadResult drive(String startedAt) throws InterruptedException {
        long now = System.nanoTime();
        SplittableRandom random = new SplittableRandom(options.seed);
        long measureStart = now + seconds(options.warmupSeconds);
        long[] reconnectAt = new long[options.connections];
        if (options.scenario == LoadOptions.Scenario.C10K) {
            for (int i = 0; i < reconnectAt.length; i++) {
                if (random.nextDouble() < options.reconnectRatio) {
                    reconnectAt[i] = measureStart + (long) (random.nextDouble() * seconds(options.durationSeconds) * 0.8);
                    if (reconnectAt[i] == 0) reconnectAt[i] = 1;
                }
            }
            // The warm-up closes and reconnects some others at the measurement's pace, so the servers'
            // close and accept paths are compiled before it starts, as their read and write paths are:
            // otherwise the first reconnects throw the JIT's compiled read loop back to the interpreter
            // (deoptimisation) in the first measured second. Drawn from a random of their own, so the
            // measured reconnects stay the same connections at the same times.
            double window = options.warmupSeconds - 1;
            if (window > 0 && options.durationSeconds > 0) {
                SplittableRandom warmRandom = new SplittableRandom(options.seed ^ 0x9E3779B97F4A7C15L);
                double perConnection = options.reconnectRatio * window / (options.durationSeconds * 0.8);
                for (int i = 0; i < reconnectAt.length; i++) {
                    if (reconnectAt[i] == 0 && warmRandom.nextDouble() < perConnection) {
                        reconnectAt[i] = now + seconds(0.5 + warmRandom.nextDouble() * window);
                        if (reconnectAt[i] == 0) reconnectAt[i] = 1;
                    }
                }
            }
        }
        long perConnQuota = options.count > 0 ? (options.count + options.connections - 1) / options.connections : Long.MAX_VALUE;
        boolean warm = options.warmupSeconds > 0;
        phase = warm ? Phase.WARMUP : Phase.MEASURE;
        long trafficStart = System.nanoTime();
        startTraffic(reconnectAt, warm ? Long.MAX_VALUE : perConnQuota);

        Progress progress = new Progress(log, options.progress);
        long t0 = now;
        long lastTick = now;
        long lastReceived = 0;
        Histogram total = new Histogram(3);
        while (warm && System.nanoTime() < measureStart) {
            Thread.sleep(Math.min(1000, Math.max(1, TimeUnit.NANOSECONDS.toMillis(measureStart - System.nanoTime()))));
            long t = System.nanoTime();
            long r = received.sum();
            progress.line("warmup", t - t0, (r - lastReceived) / secondsBetween(lastTick, t), -1, errors(), mismatches.sum());
            lastTick = t;
            lastReceived = r;
        }
        long start = trafficStart;
        long receivedAtStart = 0;
        if (!warm) measureStartNanos = Long.MIN_VALUE;
        if (warm) {
            // Measurement starts: drop what warm-up recorded.
            intervals();
            start = System.nanoTime();
            measureStartNanos = start;
            receivedAtStart = received.sum();
            reconnectsBeforeMeasure = reconnects.sum();
            if (perConnQuota != Long.MAX_VALUE) setQuotas(perConnQuota);
            phase = Phase.MEASURE;
        }
        // Quotas are all handed out: release the token that kept the count from reaching zero early.
        if (options.count > 0) quotaFinished();
        long end = options.count > 0 ? Long.MAX_VALUE : start + seconds(options.durationSeconds);
        lastTick = start;
        lastReceived = receivedAtStart;
        while (true) {
            long t = System.nanoTime();
            if (t >= end) break;
            long wait = Math.max(1, Math.min(1000, TimeUnit.NANOSECONDS.toMillis(end - t)));
            if (options.count > 0) {
                // Count mode ends the moment the last connection has spent its quota and had its replies.
                if (quotasDone.await(wait, TimeUnit.MILLISECONDS)) break;
            } else {
                // Duration mode wakes once a second for the progress line.
                Thread.sleep(wait);
            }
            t = System.nanoTime();
            if (t - lastTick >= TimeUnit.MILLISECONDS.toNanos(900)) {
                Histogram interval = intervals();
                total.add(interval);
                long r = received.sum();
                progress.line("measure", t - t0, (r - lastReceived) / secondsBetween(lastTick, t),
                        interval.getTotalCount() == 0 ? -1 : interval.getValueAtPercentile(99) / 1e6, errors(), mismatches.sum());
                lastTick = t;
                lastReceived = r;
            }
        }
        phase = Phase.DRAIN;
        long stop = quotasDone.getCount() == 0 ? quotasDoneNanos : System.nanoTime();
        total.add(intervals());
        long measured = received.sum() - receivedAtStart;
        if (options.count > 0) measured = perConnQuota * openConnections();

        // Every request must be answered: wait for the stragglers.
        long drainUntil = System.nanoTime() + seconds(options.drainSeconds);
        long outstanding = outstanding();
        while (outstanding > 0 && System.nanoTime() < drainUntil) {
            Thread.sleep(20);
            outstanding = outstanding();
        }
        progress.done();
        return result(startedAt, stop - start, measured, total, outstanding);
    }

    private long errors() {
        return errors.sum() + connectFailures.sum();
    }

    private static double secondsBetween(long from, long to) {
        return Math.max(1, to - from) / 1e9;
    }

    private static long seconds(double s) {
        return (long) (s * 1e9);
    }

    private Histogram intervals() {
        Histogram h = new Histogram(3);
        for (SingleWriterRecorder r : recorders.values()) h.add(r.getIntervalHistogram());
        return h;
    }

    private void connectAll() throws InterruptedException {
        Semaphore permits = new Semaphore(options.connectConcurrency);
        CountDownLatch done = new CountDownLatch(options.connections);
        SplittableRandom random = new SplittableRandom(options.seed ^ 0x5DEECE66DL);
        long t0 = System.nanoTime();
        long lastLine = t0;
        for (int i = 0; i < options.connections; i++) {
            permits.acquire();
            ClientConn conn = new ClientConn(this, i, 0, random.split(), 0);
            int index = i;
            bootstrap.clone().handler(conn).connect().addListener((ChannelFuture f) -> {
                if (f.isSuccess()) {
                    conns.set(index, conn);
                } else {
                    connectFailures.increment();
                    if (errorLines.incrementAndGet() <= MAX_MISMATCH_LINES) {
                        log.println("ERROR connection " + index + " to " + target + " failed: " + f.cause());
                    }
                }
                permits.release();
                done.countDown();
            });
            if (options.progress && options.connections >= 1000 && System.nanoTime() - lastLine > 1_000_000_000L) {
                lastLine = System.nanoTime();
                log.println(String.format(Locale.ROOT, "connecting: %d of %d", i, options.connections));
            }
        }
        done.await();
        if (options.progress && options.connections >= 1000) {
            log.println(String.format(Locale.ROOT, "connected %d of %d in %.1f s", openConnections(), options.connections,
                    (System.nanoTime() - t0) / 1e9));
        }
    }

    private int openConnections() {
        int n = 0;
        for (int i = 0; i < conns.length(); i++) {
            ClientConn c = conns.get(i);
            if (c != null && c.channel != null && c.channel.isActive()) n++;
        }
        return n;
    }

    private void startTraffic(long[] reconnectAt, long quota) throws InterruptedException {
        Map<EventLoop, List<ClientConn>> byLoop = new HashMap<>();
        for (int i = 0; i < conns.length(); i++) {
            ClientConn c = conns.get(i);
            if (c == null || c.channel == null) continue;
            byLoop.computeIfAbsent(c.channel.eventLoop(), k -> new ArrayList<>()).add(c);
        }
        CountDownLatch started = new CountDownLatch(byLoop.size());
        for (Map.Entry<EventLoop, List<ClientConn>> e : byLoop.entrySet()) {
            List<ClientConn> list = e.getValue();
            e.getKey().execute(() -> {
                for (ClientConn c : list) {
                    c.quota(quota);
                    if (reconnectAt[c.index] != 0) c.reconnectAt(reconnectAt[c.index]);
                    c.start();
                }
                if (options.rate > 0 && options.scenario == LoadOptions.Scenario.ECHO) {
                    double share = (double) list.size() / options.connections;
                    new Pacer(this, e.getKey(), list, options.rate * share).start();
                }
                started.countDown();
            });
        }
        started.await();
    }

    private void setQuotas(long quota) throws InterruptedException {
        onEveryLoop(c -> c.quota(quota));
    }

    /** Requests sent but not yet answered, summed on each connection's own event loop. */
    private long outstanding() throws InterruptedException {
        long[] sum = {0};
        onEveryLoop(c -> {
            synchronized (sum) {
                sum[0] += c.outstanding();
            }
        });
        return sum[0];
    }

    private void onEveryLoop(java.util.function.Consumer<ClientConn> action) throws InterruptedException {
        List<EventExecutor> loops = new ArrayList<>();
        for (EventExecutor e : group) loops.add(e);
        CountDownLatch latch = new CountDownLatch(loops.size());
        for (EventExecutor loop : loops) {
            loop.execute(() -> {
                try {
                    for (int i = 0; i < conns.length(); i++) {
                        ClientConn c = conns.get(i);
                        if (c != null && c.channel != null && c.channel.eventLoop() == loop) action.accept(c);
                    }
                } finally {
                    latch.countDown();
                }
            });
        }
        latch.await();
    }

    /** Called on the old connection's event loop once it closed on purpose (c10k). */
    void reconnect(ClientConn old) {
        if (!sending()) return;
        int incarnation = incarnations.incrementAndGet(old.index);
        ClientConn conn = new ClientConn(this, old.index, incarnation, new SplittableRandom(options.seed + 31L * old.index + incarnation), 0);
        bootstrap.clone().handler(conn).connect().addListener((ChannelFuture f) -> {
            if (f.isSuccess()) {
                conns.set(old.index, conn);
                reconnects.increment();
                f.channel().eventLoop().execute(conn::start);
            } else {
                connectFailures.increment();
                if (errorLines.incrementAndGet() <= MAX_MISMATCH_LINES) {
                    log.println("ERROR reconnect of connection " + old.index + " failed: " + f.cause());
                }
            }
        });
    }

    private LoadResult result(String startedAt, long measuredNanos, long messages, Histogram h, long unanswered) {
        double secs = measuredNanos / 1e9;
        double rate = secs > 0 ? messages / secs : 0;
        double frameBytes = ClientConn.HEADER + (options.scenario == LoadOptions.Scenario.C10K
                ? (options.minPayload + options.maxPayload) / 2.0 : options.payload);
        LoadResult.Latency latency = new LoadResult.Latency(
                micros(h.getValueAtPercentile(50), h), micros(h.getValueAtPercentile(90), h),
                micros(h.getValueAtPercentile(99), h), micros(h.getValueAtPercentile(99.9), h),
                micros(h.getMaxValue(), h), h.getTotalCount() == 0 ? 0 : round(h.getMean() / 1000.0), h.getTotalCount());
        return new LoadResult(options.label, options.scenario.name().toLowerCase(Locale.ROOT), target,
                options.connections, options.payload, options.depth, options.rate, options.warmupSeconds,
                round(secs), messages, round(rate), round(rate * frameBytes / 1e6), latency,
                mismatches.sum(), errors.sum(), unanswered, connectFailures.sum(), reconnects.sum() - reconnectsBeforeMeasure,
                doubleFrames.sum(), startedAt, System.getProperty("java.version"),
                Runtime.getRuntime().availableProcessors());
    }

    private static double micros(long nanos, Histogram h) {
        return h.getTotalCount() == 0 ? 0 : round(nanos / 1000.0);
    }

    private static double round(double v) {
        return Math.round(v * 100) / 100.0;
    }
}
