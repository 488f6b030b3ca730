package io.paguma.bench;

import io.paguma.Client;
import io.paguma.Connection;
import io.paguma.Message;
import io.paguma.PagumaConfig;
import io.paguma.Routes;
import io.paguma.cluster.Daemon;
import io.paguma.cluster.InProcessRegistry;
import io.paguma.cluster.InProcessSharedData;
import io.paguma.cluster.Service;
import io.paguma.cluster.ServiceContext;
import io.paguma.cluster.SharedData;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * {@code ./paguma bench node-hop}: what one node hop costs a client's request (issue 13, item 8).
 * Two cluster nodes in one JVM, each on its own runtime: clients connect to node A's gateway and
 * request an echo either from service {@code near} (runs on A: served locally) or from service
 * {@code far} (runs only on B: the request crosses the A–B link and its answer comes back).
 * Same clients, same closed loop ({@code depth} requests in flight per client), rounds alternate
 * the order; prints requests per second and latency percentiles of each, and the ratios.
 */
@Command(name = "node-hop", mixinStandardHelpOptions = true,
        description = {"A client request served by the gateway's own node against the same request crossing one node hop.",
                "Prints requests per second and p50/p99 for each, and the ratios (target: >= 0.5x throughput, p99 <= 2x)."})
final class NodeHopCommand implements Callable<Integer> {
    private static final int NEAR = 1, FAR = 2;

    @Option(names = {"-c", "--clients"}, defaultValue = "4", description = "clients (default ${DEFAULT-VALUE})") int clients;
    @Option(names = {"-d", "--depth"}, defaultValue = "16", description = "requests in flight per client (default ${DEFAULT-VALUE})") int depth;
    @Option(names = {"-s", "--size"}, defaultValue = "128", description = "payload bytes (default ${DEFAULT-VALUE})") int size;
    @Option(names = "--duration", defaultValue = "10", description = "seconds measured per run (default ${DEFAULT-VALUE})") int duration;
    @Option(names = "--warmup", defaultValue = "3", description = "seconds of warm-up per run (default ${DEFAULT-VALUE})") int warmup;
    @Option(names = "--rounds", defaultValue = "3", description = "rounds of both modes (default ${DEFAULT-VALUE})") int rounds;
    @Option(names = "--workers", defaultValue = "0", description = "each node's workerPoolSize (default ${DEFAULT-VALUE}: routers on the IO thread)") int workers;
    @Option(names = "--client-io-threads", defaultValue = "0",
            description = "0 (default): each client on a runtime of its own (one IO thread each); N: all clients on one shared runtime with N IO threads")
    int clientIoThreads;

    private record Echo(String name, int id) implements Service {
        @Override
        public void mount(ServiceContext context, Routes.Builder routes) {
            routes.route(id, r -> r.reply(id, r.data()));
        }
    }

    @Override
    public Integer call() throws Exception {
        PrintStream out = System.out;
        InProcessRegistry registry = new InProcessRegistry();
        SharedData data = InProcessSharedData.create("bench");
        PagumaConfig cfg = PagumaConfig.builder().host("127.0.0.1").port(0).codec("paguma").ioThreads(1)
                .workerPoolSize(workers).build();
        Daemon b = Daemon.builder().nodeId("b").config(cfg).registry(registry).sharedData(data).gateway(false)
                .service(new Echo("far", FAR)).build().start();
        Daemon a = Daemon.builder().nodeId("a").config(cfg).registry(registry).sharedData(data)
                .service(new Echo("near", NEAR)).build().start();
        double[][] perSecond = new double[2][rounds];
        long[][] p50 = new long[2][rounds];
        long[][] p99 = new long[2][rounds];
        long failures = 0;
        try {
            // A joins after B, so A dials B at once; the link is up within milliseconds (bounded wait).
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (!a.linkedNodes().contains("b")) {
                if (System.nanoTime() > deadline) throw new IllegalStateException("node a did not link to node b within 10 s");
                java.util.concurrent.locks.LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
            }
            for (int round = 0; round < rounds; round++) {
                boolean farFirst = round % 2 == 1;
                for (int k = 0; k < 2; k++) {
                    boolean far = (k == 0) == farFirst;
                    Result r = run(a.gatewayAddress().getPort(), far ? FAR : NEAR);
                    int m = far ? 1 : 0;
                    perSecond[m][round] = r.perSecond;
                    p50[m][round] = r.p50;
                    p99[m][round] = r.p99;
                    failures += r.failures;
                    out.printf("round %d %-5s %,10.0f req/s  p50 %6.0f us  p99 %6.0f us  failures %d%n", round + 1,
                            far ? "hop" : "local", r.perSecond, r.p50 / 1e3, r.p99 / 1e3, r.failures);
                }
            }
        } finally {
            a.stop();
            b.stop();
            registry.close();
            data.close();
        }
        double local = Comparison.median(perSecond[0]), hop = Comparison.median(perSecond[1]);
        double localP99 = Comparison.median(p99[0]), hopP99 = Comparison.median(p99[1]);
        out.printf("%nnode-hop: %d clients x %d in flight, %d B, paguma codec, nodes and clients in one JVM, workers %d%n",
                clients, depth, size, workers);
        out.printf("local  %,10.0f req/s  p50 %6.0f us  p99 %6.0f us (medians)%n", local, Comparison.median(p50[0]) / 1e3, localP99 / 1e3);
        out.printf("hop    %,10.0f req/s  p50 %6.0f us  p99 %6.0f us (medians)%n", hop, Comparison.median(p50[1]) / 1e3, hopP99 / 1e3);
        out.printf("throughput ratio %.2f (target >= 0.5), p99 ratio %.2f (target <= 2)%n", hop / local, hopP99 / localP99);
        return failures == 0 ? 0 : 1;
    }

    private record Result(double perSecond, long p50, long p99, long failures) {
    }

    private Result run(int port, int id) throws Exception {
        byte[] payload = new byte[size];
        LongAdder done = new LongAdder();
        AtomicLong failures = new AtomicLong();
        Recorder recorder = new Recorder(3);
        Loop loop = new Loop(id, payload, done, failures, recorder);
        List<Client> list = new ArrayList<>();
        io.paguma.PagumaRuntime shared = clientIoThreads > 0
                ? io.paguma.PagumaRuntime.create(PagumaConfig.builder().name("hop-clients").ioThreads(clientIoThreads).workerPoolSize(0).build())
                : null;
        try {
            for (int i = 0; i < clients; i++) {
                Client.Builder builder = Client.builder()
                        .config(PagumaConfig.builder().name("hop-" + i).host("127.0.0.1").port(port).codec("paguma")
                                .workerPoolSize(0).ioThreads(1).reconnect(false).build());
                if (shared != null) builder.runtime(shared);
                Client c = builder.build();
                list.add(c);
                Connection conn = c.connect().get(10, TimeUnit.SECONDS);
                for (int k = 0; k < depth; k++) loop.request(conn);
            }
            Comparison.measureFor(warmup);
            recorder.getIntervalHistogram();
            long before = done.sum();
            long start = System.nanoTime();
            Comparison.measureFor(duration);
            long count = done.sum() - before;
            double seconds = (System.nanoTime() - start) / 1e9;
            Histogram h = recorder.getIntervalHistogram();
            loop.running = false;
            return new Result(count / seconds, h.getValueAtPercentile(50), h.getValueAtPercentile(99), failures.get());
        } finally {
            loop.running = false;
            CountDownLatch closed = new CountDownLatch(list.size());
            for (Client c : list) c.close().whenComplete((v, e) -> closed.countDown());
            closed.await(10, TimeUnit.SECONDS);
            if (shared != null) shared.close();
        }
    }

    /** The closed loop: each answer sends the next request on the same connection. */
    private static final class Loop {
        private final int id;
        private final byte[] payload;
        private final LongAdder done;
        private final AtomicLong failures;
        private final Recorder recorder;
        volatile boolean running = true;

        Loop(int id, byte[] payload, LongAdder done, AtomicLong failures, Recorder recorder) {
            this.id = id;
            this.payload = payload;
            this.done = done;
            this.failures = failures;
            this.recorder = recorder;
        }

        void request(Connection c) {
            long t0 = System.nanoTime();
            c.request(new Message(id, payload)).whenComplete((m, e) -> {
                if (e != null) {
                    if (running) failures.incrementAndGet();
                    return;
                }
                recorder.recordValue(Math.max(1, System.nanoTime() - t0));
                done.increment();
                if (running) request(c);
            });
        }
    }
}
