package io.paguma.bench;

import io.paguma.PagumaConfig;
import io.paguma.PagumaRuntime;
import io.paguma.cluster.SharedData;
import io.paguma.redis.RedisConfig;
import io.paguma.redis.RedisSharedData;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code ./paguma bench redis}: Redis shared-data operations per second through Paguma against
 * {@code redis-benchmark} on the same Redis (issue 13, item 8; target: Paguma ≥ 0.7× with
 * pipelining). For each operation ({@code set}, {@code get}, {@code incr}) and each round, in
 * alternating order:
 * <ul>
 *   <li><b>paguma</b>: one {@link RedisSharedData} on a {@link PagumaRuntime} of {@code ioThreads}
 *   IO threads (Lettuce on them), a closed loop of {@code inFlight} operations outstanding: each
 *   completion issues the next (on the IO thread that completed it). By default as many as
 *   redis-benchmark keeps outstanding ({@code -c 50 -P 16}: 800). The store sends the operations
 *   issued together as one command per kind on its one command connection: gets as {@code MGET},
 *   sets and increments as one {@code EVAL} of its batch scripts (the writes, and a
 *   {@code PUBLISH} of each change that has listeners; docs/REDIS.md).</li>
 *   <li><b>redis-benchmark</b>: {@code redis-benchmark -t <op> -P <pipeline> -c <clients> -d <size>
 *   -r <keyspace> -n <N> -q}, N sized from its previous rate for {@code duration} seconds; the
 *   figure is the rate it prints.</li>
 * </ul>
 * Both sides use the same value size and the same key space: redis-benchmark's {@code -r} keys
 * {@code key:<12 digits>} (set, get) and {@code counter:<12 digits>} (incr), chosen uniformly at
 * random; Paguma the same names, which the store prefixes with {@code redis.keyPrefix} and
 * {@code data:}. Before the rounds both key spaces are filled, so that every {@code get} finds a
 * value. Without {@code --uri} the command starts its own {@code redis-server} (from the PATH, on a
 * free loopback port, no persistence, in a temporary directory) and stops it at the end.
 */
@Command(name = "redis", mixinStandardHelpOptions = true,
        description = {"Redis shared-data operations per second through Paguma (RedisSharedData, closed loop) against redis-benchmark"
                + " on the same Redis and machine.",
                "Prints ops/s of each, per round and median, and the Paguma/redis-benchmark ratio (target: >= 0.7 with pipelining).",
                "With --uri, writes keys key:*, counter:* and <keyPrefix>data:* into that Redis."})
final class RedisBenchCommand implements Callable<Integer> {
    /** The target for Paguma's ops/s over redis-benchmark's. */
    static final double TARGET = 0.7;
    private static final Pattern RATE = Pattern.compile("^([A-Z]+): ([0-9.]+) requests per second");

    @Option(names = "--uri", description = "a running Redis, redis://[user:password@]host[:port][/db]"
            + " (default: start redis-server from the PATH on a free port, stop it at the end)") String uri;
    @Option(names = "--ops", split = ",", defaultValue = "set,get,incr", description = "operations, of set, get, incr (default ${DEFAULT-VALUE})") List<String> ops;
    @Option(names = "--in-flight", defaultValue = "800", description = "Paguma: operations outstanding through the store (default ${DEFAULT-VALUE}: redis-benchmark's 50 clients x 16 pipelined)") int inFlight;
    @Option(names = "--io-threads", defaultValue = "1", description = "Paguma: the runtime's IO threads, which Lettuce runs on (default ${DEFAULT-VALUE})") int ioThreads;
    @Option(names = {"-d", "--size"}, defaultValue = "3", description = "value bytes, both sides (default ${DEFAULT-VALUE}, redis-benchmark's own default)") int size;
    @Option(names = {"-r", "--keyspace"}, defaultValue = "10000", description = "random keys per operation, both sides (redis-benchmark -r; default ${DEFAULT-VALUE})") int keyspace;
    @Option(names = {"-P", "--pipeline"}, defaultValue = "16", description = "redis-benchmark -P: commands pipelined per client (default ${DEFAULT-VALUE})") int pipeline;
    @Option(names = {"-c", "--clients"}, defaultValue = "50", description = "redis-benchmark -c: connections (default ${DEFAULT-VALUE})") int clients;
    @Option(names = "--duration", defaultValue = "5", description = "seconds measured per run (default ${DEFAULT-VALUE})") int duration;
    @Option(names = "--warmup", defaultValue = "2", description = "seconds of warm-up per run (default ${DEFAULT-VALUE})") int warmup;
    @Option(names = "--rounds", defaultValue = "3", description = "rounds of every operation on both sides (default ${DEFAULT-VALUE})") int rounds;
    @Option(names = "--redis-server", defaultValue = "redis-server", description = "the redis-server to start without --uri: a name on the PATH or a path (default ${DEFAULT-VALUE})") String redisServer;
    @Option(names = "--redis-benchmark", defaultValue = "redis-benchmark", description = "the redis-benchmark to compare with: a name on the PATH or a path (default ${DEFAULT-VALUE})") String redisBenchmark;
    @Option(names = "--paguma-only", description = "measure Paguma alone, without redis-benchmark (no ratio)") boolean pagumaOnly;

    /** One operation: its redis-benchmark test name and key prefix, and how the store runs it. */
    private enum Op {
        SET("key:"), GET("key:"), INCR("counter:");

        final String keyPrefix;

        Op(String keyPrefix) {
            this.keyPrefix = keyPrefix;
        }

        String test() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    @Override
    public Integer call() throws Exception {
        check();
        List<Op> list = new ArrayList<>();
        for (String o : ops) {
            Op op;
            try {
                op = Op.valueOf(o.trim().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("--ops: unknown operation '" + o + "' (set, get, incr)");
            }
            if (!list.contains(op)) list.add(op);
        }
        Path benchmark = pagumaOnly ? null : executable(redisBenchmark, "redis-benchmark",
                "install Redis's tools (Debian: apt-get install redis-tools), pass --redis-benchmark PATH, or measure Paguma alone with --paguma-only");
        // Lettuce warns on every connection that epoll was preferred to io_uring (both are on the classpath).
        if (System.getProperty("org.slf4j.simpleLogger.log.io.lettuce.core.resource.Transports") == null) {
            System.setProperty("org.slf4j.simpleLogger.log.io.lettuce.core.resource.Transports", "error");
        }
        PrintStream out = System.out;
        try (OwnRedis own = uri == null ? OwnRedis.start(executable(redisServer, "redis-server",
                "install Redis (Debian: apt-get install redis-server), pass --redis-server PATH, or use a running Redis with --uri")) : null) {
            String target = own != null ? own.uri() : uri;
            Target parsed = parse(target);
            out.printf("Redis at %s:%d%s; %s%n", parsed.host(), parsed.port(),
                    own != null ? " (redis-server started for this run, no persistence)" : "", version(parsed));
            return measure(out, list, target, parsed, benchmark);
        }
    }

    private void check() {
        if (inFlight < 1) throw new IllegalArgumentException("--in-flight must be at least 1");
        if (ioThreads < 1) throw new IllegalArgumentException("--io-threads must be at least 1");
        if (size < 1) throw new IllegalArgumentException("--size must be at least 1 byte");
        if (keyspace < 1) throw new IllegalArgumentException("--keyspace must be at least 1");
        if (pipeline < 1 || clients < 1) throw new IllegalArgumentException("--pipeline and --clients must be at least 1");
        if (duration < 1 || warmup < 0 || rounds < 1) {
            throw new IllegalArgumentException("--duration and --rounds must be at least 1, --warmup at least 0");
        }
    }

    private int measure(PrintStream out, List<Op> list, String target, Target parsed, Path benchmark) throws Exception {
        PagumaConfig config = PagumaConfig.builder().name("redis-bench").ioThreads(ioThreads).workerPoolSize(0)
                .set(new RedisConfig(), RedisConfig.URI, target).build();
        byte[] value = new byte[size];
        Arrays.fill(value, (byte) 'x');
        double[][] paguma = new double[list.size()][rounds];
        double[][] reference = new double[list.size()][rounds];
        double[] referenceRate = new double[list.size()];
        long failures = 0;
        PagumaRuntime runtime = PagumaRuntime.create(config);
        SharedData data = RedisSharedData.create(config, runtime);
        try {
            String[][] keys = new String[Op.values().length][];
            for (Op op : list) keys[op.ordinal()] = keys(op);
            if (list.contains(Op.GET)) {
                failures += fill(data, keys[Op.GET.ordinal()], value);
                if (benchmark != null) redisBenchmark(benchmark, parsed, Op.SET, keyspace * 20L);
            }
            for (int round = 0; round < rounds; round++) {
                boolean referenceFirst = round % 2 == 1;
                for (int i = 0; i < list.size(); i++) {
                    Op op = list.get(i);
                    for (int k = 0; k < (benchmark == null ? 1 : 2); k++) {
                        boolean ref = benchmark != null && (k == 0) == referenceFirst;
                        if (ref) {
                            if (referenceRate[i] == 0) referenceRate[i] = redisBenchmark(benchmark, parsed, op, 50_000);
                            if (warmup > 0) referenceRate[i] = redisBenchmark(benchmark, parsed, op, count(referenceRate[i], warmup));
                            double rate = redisBenchmark(benchmark, parsed, op, count(referenceRate[i], duration));
                            referenceRate[i] = rate;
                            reference[i][round] = rate;
                            out.printf("round %d %-4s %-15s %,12.0f ops/s%n", round + 1, op, "redis-benchmark", rate);
                        } else {
                            Result r = paguma(data, op, keys[op.ordinal()], value);
                            failures += r.failures;
                            paguma[i][round] = r.perSecond;
                            out.printf("round %d %-4s %-15s %,12.0f ops/s  failures %d%s%n", round + 1, op, "paguma", r.perSecond,
                                    r.failures, r.firstFailure == null ? "" : " (first: " + r.firstFailure + ")");
                        }
                    }
                }
            }
        } finally {
            data.close();
            runtime.close();
        }
        out.printf("%nredis: value %d B, %,d random keys per operation on both sides; Paguma: RedisSharedData, %d in flight,"
                + " %d IO thread%s; redis-benchmark: -P %d -c %d; client and Redis on one machine%n",
                size, keyspace, inFlight, ioThreads, ioThreads == 1 ? "" : "s", pipeline, clients);
        if (benchmark == null) {
            out.printf("%-4s %16s%n", "op", "paguma ops/s");
            for (int i = 0; i < list.size(); i++) out.printf("%-4s %,16.0f (median)%n", list.get(i), Comparison.median(paguma[i]));
            out.println("redis-benchmark not run (--paguma-only): no ratio");
        } else {
            out.printf("%-4s %16s %16s %8s  %s%n", "op", "paguma ops/s", "redis-bm ops/s", "ratio", "per round");
            for (int i = 0; i < list.size(); i++) {
                double[] ratios = new double[rounds];
                for (int r = 0; r < rounds; r++) ratios[r] = paguma[i][r] / reference[i][r];
                double ratio = Comparison.median(ratios);
                out.printf("%-4s %,16.0f %,16.0f %8.2f  %s  target >= %.1f: %s%n", list.get(i), Comparison.median(paguma[i]), Comparison.median(reference[i]),
                        ratio, Arrays.toString(Comparison.round2(ratios)), TARGET, ratio >= TARGET ? "met" : "missed");
            }
            out.println("medians of " + rounds + " rounds; ratio = median of the per-round ratios (paguma / redis-benchmark)");
        }
        return failures == 0 ? 0 : 1;
    }

    private record Result(double perSecond, long failures, String firstFailure) {
    }

    /** The Paguma side of one run: warm-up, then {@code duration} seconds counted, then every operation still in flight answered. */
    private Result paguma(SharedData data, Op op, String[] keys, byte[] value) throws Exception {
        Loop loop = new Loop(data, op, keys, value);
        for (int i = 0; i < inFlight; i++) loop.next();
        Comparison.measureFor(warmup);
        long before = loop.done.sum();
        long start = System.nanoTime();
        Comparison.measureFor(duration);
        long count = loop.done.sum() - before;
        double seconds = (System.nanoTime() - start) / 1e9;
        loop.stop();
        try {
            loop.drained.get(30, TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            throw new IllegalStateException(loop.outstanding.get() + " " + op + " operations still unanswered 30 s after the run ended");
        }
        return new Result(count / seconds, loop.failures.get(), loop.firstFailure.get());
    }

    /** Sets every key once (the values {@code get} reads), {@code inFlight} at a time; returns the failures. */
    private long fill(SharedData data, String[] keys, byte[] value) throws Exception {
        AtomicInteger next = new AtomicInteger();
        AtomicLong failures = new AtomicLong();
        AtomicInteger outstanding = new AtomicInteger(Math.min(inFlight, keys.length));
        CompletableFuture<Void> done = new CompletableFuture<>();
        class Filler {
            void next() {
                int i = next.getAndIncrement();
                if (i >= keys.length) {
                    if (outstanding.decrementAndGet() == 0) done.complete(null);
                    return;
                }
                data.set(keys[i], value).whenComplete((v, e) -> {
                    if (e != null) failures.incrementAndGet();
                    next();
                });
            }
        }
        Filler f = new Filler();
        for (int i = 0, n = outstanding.get(); i < n; i++) f.next();
        done.get(60, TimeUnit.SECONDS);
        return failures.get();
    }

    /** The closed loop: each completion issues the next operation, on a random key of the key space. */
    private static final class Loop {
        private static final java.util.concurrent.Executor RETRY = CompletableFuture.delayedExecutor(10, TimeUnit.MILLISECONDS);
        final SharedData data;
        final Op op;
        final String[] keys;
        final byte[] value;
        final LongAdder done = new LongAdder();
        final AtomicLong failures = new AtomicLong();
        final AtomicReference<String> firstFailure = new AtomicReference<>();
        final AtomicInteger outstanding = new AtomicInteger();
        final CompletableFuture<Void> drained = new CompletableFuture<>();
        volatile boolean running = true;

        Loop(SharedData data, Op op, String[] keys, byte[] value) {
            this.data = data;
            this.op = op;
            this.keys = keys;
            this.value = value;
        }

        void next() {
            if (!running) return; // a retry that came after the run ended
            outstanding.incrementAndGet();
            String key = keys[ThreadLocalRandom.current().nextInt(keys.length)];
            CompletableFuture<?> f = switch (op) {
                case SET -> data.set(key, value);
                case GET -> data.get(key);
                case INCR -> data.increment(key, 1);
            };
            f.whenComplete((v, e) -> {
                boolean failed = e != null || (op == Op.GET && v == null);
                if (e != null) {
                    failures.incrementAndGet();
                    firstFailure.compareAndSet(null, String.valueOf(e.getCause() != null ? e.getCause() : e));
                } else if (failed) {
                    failures.incrementAndGet();
                    firstFailure.compareAndSet(null, "GET of '" + key + "' found no value");
                } else {
                    done.increment();
                }
                if (running) {
                    // A store that cannot reach Redis fails at once, on this stack: go on from another thread, a little later.
                    if (failed) RETRY.execute(this::next);
                    else next();
                }
                if (outstanding.decrementAndGet() == 0 && !running) drained.complete(null);
            });
        }

        void stop() {
            running = false;
            // The last completion may have checked 'running' before it changed, and 'outstanding' after.
            if (outstanding.get() == 0) drained.complete(null);
        }
    }

    /** Runs redis-benchmark for {@code n} requests of {@code op}; returns the requests per second it printed. */
    private double redisBenchmark(Path binary, Target redis, Op op, long n) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(binary.toString(), "-h", redis.host(), "-p", String.valueOf(redis.port()),
                "-t", op.test(), "-n", String.valueOf(n), "-P", String.valueOf(pipeline), "-c", String.valueOf(clients),
                "-d", String.valueOf(size), "-r", String.valueOf(keyspace), "-q"));
        if (redis.db() != 0) cmd.addAll(List.of("--dbnum", String.valueOf(redis.db())));
        if (redis.password() != null) {
            if (redis.user() != null) cmd.addAll(List.of("--user", redis.user()));
            cmd.addAll(List.of("-a", redis.password(), "--no-auth-warning"));
        }
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String output;
        try (InputStream in = p.getInputStream()) {
            output = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        int code = p.waitFor();
        double rate = -1;
        for (String line : output.split("[\r\n]+")) {
            Matcher m = RATE.matcher(line.trim());
            if (m.find() && m.group(1).equals(op.name())) rate = Double.parseDouble(m.group(2));
        }
        if (code != 0 || rate <= 0) {
            int shown = cmd.contains("-a") ? cmd.indexOf("-a") : cmd.size(); // not the password
            throw new IllegalStateException("redis-benchmark (" + String.join(" ", cmd.subList(0, shown))
                    + ") exited with " + code + " and printed no " + op + " rate: " + output.replace('\r', '\n').strip());
        }
        return rate;
    }

    /** Requests for about {@code seconds} at {@code rate}, at least 10,000. */
    private static long count(double rate, int seconds) {
        return Math.max(10_000L, (long) (rate * seconds));
    }

    private String[] keys(Op op) {
        String[] keys = new String[keyspace];
        for (int i = 0; i < keyspace; i++) keys[i] = String.format("%s%012d", op.keyPrefix, i);
        return keys;
    }

    /** Where Redis is, as redis-benchmark wants it: host, port, database, user and password (null when absent). */
    private record Target(String host, int port, int db, String user, String password) {
    }

    private static Target parse(String uri) {
        java.net.URI u;
        try {
            u = new java.net.URI(uri);
        } catch (java.net.URISyntaxException e) {
            throw new IllegalArgumentException("--uri: not a Redis URI (redis://[user:password@]host[:port][/db]): " + uri);
        }
        if (!"redis".equals(u.getScheme()) || u.getHost() == null) {
            throw new IllegalArgumentException("--uri: only redis://[user:password@]host[:port][/db] is measured (no TLS, sockets or Sentinel): " + uri);
        }
        int db = 0;
        String path = u.getPath() == null ? "" : u.getPath().replaceFirst("^/", "");
        if (!path.isEmpty()) {
            try {
                db = Integer.parseInt(path);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("--uri: the database must be a number: " + uri);
            }
        }
        String user = null, password = null;
        String info = u.getUserInfo();
        if (info != null && !info.isEmpty()) {
            int colon = info.indexOf(':');
            if (colon < 0) {
                password = info;
            } else {
                user = colon == 0 ? null : info.substring(0, colon);
                password = info.substring(colon + 1);
            }
        }
        return new Target(u.getHost(), u.getPort() < 0 ? 6379 : u.getPort(), db, user, password);
    }

    /** Redis's version, from INFO server (plain RESP over a socket), or why it could not be read. */
    private static String version(Target redis) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(redis.host(), redis.port()), 5_000);
            s.setSoTimeout(5_000);
            OutputStream o = s.getOutputStream();
            if (redis.password() != null) {
                String user = redis.user() == null ? "" : redis.user() + " ";
                o.write(("AUTH " + user + redis.password() + "\r\n").getBytes(StandardCharsets.UTF_8));
            }
            o.write("INFO server\r\nQUIT\r\n".getBytes(StandardCharsets.US_ASCII));
            String reply = new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            Matcher m = Pattern.compile("redis_version:(\\S+)").matcher(reply);
            return m.find() ? "Redis " + m.group(1) : "Redis version unknown";
        } catch (IOException e) {
            throw new IllegalStateException("Redis at " + redis.host() + ":" + redis.port() + " cannot be reached: " + e);
        }
    }

    /** {@code name}: a path to an executable, or a name found on the PATH; else an error saying what to do. */
    static Path executable(String name, String what, String remedy) {
        if (name.contains("/")) {
            Path p = Path.of(name);
            if (Files.isExecutable(p)) return p;
            throw new IllegalStateException(what + " not found at " + name + ": " + remedy);
        }
        String path = System.getenv("PATH");
        if (path != null) {
            for (String dir : path.split(java.io.File.pathSeparator)) {
                if (dir.isEmpty()) continue;
                Path p = Path.of(dir, name);
                if (Files.isRegularFile(p) && Files.isExecutable(p)) return p;
            }
        }
        throw new IllegalStateException(name + " is not on the PATH: " + remedy);
    }

    /** A redis-server of this run's own: free loopback port, no persistence, a temporary directory; stopped and removed on close. */
    static final class OwnRedis implements AutoCloseable {
        private final Process process;
        private final Path dir;
        private final int port;
        private final Thread hook;

        private OwnRedis(Process process, Path dir, int port) {
            this.process = process;
            this.dir = dir;
            this.port = port;
            this.hook = new Thread(process::destroy, "redis-bench-stop");
            Runtime.getRuntime().addShutdownHook(hook);
        }

        static OwnRedis start(Path binary) throws IOException {
            Path dir = Files.createTempDirectory("paguma-redis-bench");
            int port;
            try (ServerSocket s = new ServerSocket(0)) {
                port = s.getLocalPort();
            }
            Path log = dir.resolve("redis.log");
            Process p = new ProcessBuilder(binary.toString(), "--port", String.valueOf(port), "--bind", "127.0.0.1",
                    "--save", "", "--appendonly", "no", "--dir", dir.toString())
                    .redirectErrorStream(true).redirectOutput(log.toFile()).start();
            OwnRedis redis = new OwnRedis(p, dir, port);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
            while (!redis.answers()) {
                if (!p.isAlive() || System.nanoTime() > deadline) {
                    String output = Files.exists(log) ? Files.readString(log).strip() : "";
                    redis.close();
                    throw new IllegalStateException(binary + " on port " + port + (p.isAlive() ? " did not answer PING within 15 s"
                            : " exited with " + p.exitValue()) + (output.isEmpty() ? "" : ": " + output));
                }
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20)); // polling a starting process, bounded above
            }
            return redis;
        }

        String uri() {
            return "redis://127.0.0.1:" + port;
        }

        private boolean answers() {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 1_000);
                s.setSoTimeout(1_000);
                s.getOutputStream().write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
                byte[] b = new byte[7];
                int n = s.getInputStream().readNBytes(b, 0, 7);
                return n == 7 && new String(b, StandardCharsets.US_ASCII).equals("+PONG\r\n");
            } catch (IOException e) {
                return false;
            }
        }

        @Override
        public void close() throws IOException {
            process.destroy();
            try {
                if (!process.waitFor(10, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                    process.waitFor(10, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                process.destroyForcibly();
                Thread.currentThread().interrupt();
            }
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // the hook runs anyway
            }
            try (var files = Files.walk(dir)) {
                files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            }
        }
    }
}
