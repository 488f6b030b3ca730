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

    @Option(names = "--processes",
            description = "node a and node b each in a JVM of its own (b's also runs the registry node); the clients stay in this one")
    boolean processes;
    @Option(names = "--cpus-a", description = "with --processes: the CPUs of node a's process (taskset -c list; default: not pinned)")
    String cpusA;
    @Option(names = "--cpus-b", description = "with --processes: the CPUs of node b's process (taskset -c list; default: not pinned)")
    String cpusB;
    @Option(names = "--role", hidden = true, description = "a or b: run that node for a --processes run") String role;
    @Option(names = "--registry", hidden = true, description = "the registry node's address, for --role a") String registryAddress;

    private record Echo(String name, int id) implements Service {
        @Override
        public void mount(ServiceContext context, Routes.Builder routes) {
            routes.route(id, r -> r.reply(id, r.data()));
        }
    }

    private PagumaConfig nodeConfig() {
        return PagumaConfig.builder().host("127.0.0.1").port(0).codec("paguma").ioThreads(1).workerPoolSize(workers).build();
    }

    /** Waits (bounded) until node a has its link to node b. */
    private static void awaitLink(Daemon a) {
        // A joins after B, so A dials B at once; the link is up within milliseconds.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!a.linkedNodes().contains("b")) {
            if (System.nanoTime() > deadline) throw new IllegalStateException("node a did not link to node b within 10 s");
            java.util.concurrent.locks.LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
        }
    }

    @Override
    public Integer call() throws Exception {
        if (role != null) return runNode();
        if (processes) return runWithNodeProcesses();
        InProcessRegistry registry = new InProcessRegistry();
        SharedData data = InProcessSharedData.create("bench");
        PagumaConfig cfg = nodeConfig();
        Daemon b = Daemon.builder().nodeId("b").config(cfg).registry(registry).sharedData(data).gateway(false)
                .service(new Echo("far", FAR)).build().start();
        Daemon a = Daemon.builder().nodeId("a").config(cfg).registry(registry).sharedData(data)
                .service(new Echo("near", NEAR)).build().start();
        try {
            awaitLink(a);
            return measure(a.gatewayAddress().getPort(), "nodes and clients in one JVM");
        } finally {
            a.stop();
            b.stop();
            registry.close();
            data.close();
        }
    }

    /**
     * {@code --processes}: node b (with the registry node) and node a each in a JVM of its own,
     * started like this one (same JVM options), pinned with taskset when asked; they stop when
     * this process closes their standard input.
     */
    private int runWithNodeProcesses() throws Exception {
        NodeProcess b = new NodeProcess(cpusB, "node-hop", "--role", "b", "--workers", Integer.toString(workers));
        try {
            NodeProcess a = new NodeProcess(cpusA, "node-hop", "--role", "a", "--workers", Integer.toString(workers), "--registry", b.ready);
            try {
                return measure(Integer.parseInt(a.ready), "nodes a and b in processes of their own (cpus a " + (cpusA == null ? "any" : cpusA)
                        + ", b " + (cpusB == null ? "any" : cpusB) + "), the clients in this one");
            } finally {
                a.close();
            }
        } finally {
            b.close();
        }
    }

    /** A node's JVM for {@code --processes}: says "READY <what>" when up; ends when its input closes. */
    private static final class NodeProcess implements AutoCloseable {
        final Process process;
        final String ready;

        NodeProcess(String cpus, String... args) throws java.io.IOException {
            process = new ProcessBuilder(Runner.benchJvm(cpus, java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments(), args))
                    .redirectError(ProcessBuilder.Redirect.INHERIT).start();
            String line;
            try {
                line = new java.io.BufferedReader(new java.io.InputStreamReader(process.getInputStream(),
                        java.nio.charset.StandardCharsets.UTF_8)).readLine();
            } catch (java.io.IOException e) {
                process.destroyForcibly();
                throw e;
            }
            if (line == null || !line.startsWith("READY ")) {
                process.destroyForcibly();
                throw new IllegalStateException("node process " + String.join(" ", args) + " did not start: " + line);
            }
            ready = line.substring(6).trim();
        }

        @Override
        public void close() throws Exception {
            process.getOutputStream().close();
            if (!process.waitFor(20, TimeUnit.SECONDS)) process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        }
    }

    /** {@code --role a|b}: one node of a {@code --processes} run, until standard input closes. */
    private int runNode() throws Exception {
        io.paguma.cluster.RegistryServer registryNode = null;
        Daemon node;
        String ready;
        if (role.equals("b")) {
            registryNode = io.paguma.cluster.RegistryServer.builder().host("127.0.0.1").port(0).build().start();
            node = Daemon.builder().nodeId("b").config(clusterConfig(registryNode.address())).gateway(false)
                    .service(new Echo("far", FAR)).service(new io.paguma.cluster.SharedDataService()).build().start();
            ready = registryNode.address();
        } else if (role.equals("a") && registryAddress != null) {
            node = Daemon.builder().nodeId("a").config(clusterConfig(registryAddress)).service(new Echo("near", NEAR)).build().start();
            awaitLink(node);
            ready = Integer.toString(node.gatewayAddress().getPort());
        } else {
            throw new picocli.CommandLine.ParameterException(new picocli.CommandLine(this), "--role a (with --registry) or --role b");
        }
        System.out.println("READY " + ready);
        System.out.flush();
        try {
            while (System.in.read() >= 0) {
                // runs until the parent closes our input
            }
        } finally {
            node.stop();
            if (registryNode != null) registryNode.close();
        }
        return 0;
    }

    private PagumaConfig clusterConfig(String registry) {
        io.paguma.cluster.ClusterConfig cluster = new io.paguma.cluster.ClusterConfig();
        return nodeConfig().toBuilder()
                .set(cluster, io.paguma.cluster.ClusterConfig.REGISTRY, io.paguma.cluster.ClusterConfig.RegistryKind.NODE)
                .set(cluster, io.paguma.cluster.ClusterConfig.REGISTRY_ADDRESS, registry)
                // (the requests measured do not touch shared data; node b hosts it, as the cluster needs a home for it)
                .set(cluster, io.paguma.cluster.ClusterConfig.SHARED_DATA, io.paguma.cluster.ClusterConfig.SharedDataKind.SERVICE)
                .build();
    }

    /** The rounds against the gateway at {@code port}: local and hop alternating, then the medians. */
    private int measure(int port, String setup) throws Exception {
        PrintStream out = System.out;
        double[][] perSecond = new double[2][rounds];
        long[][] p50 = new long[2][rounds];
        long[][] p99 = new long[2][rounds];
        long failures = 0;
        for (int round = 0; round < rounds; round++) {
            boolean farFirst = round % 2 == 1;
            for (int k = 0; k < 2; k++) {
                boolean far = (k == 0) == farFirst;
                Result r = run(port, far ? FAR : NEAR);
                int m = far ? 1 : 0;
                perSecond[m][round] = r.perSecond;
                p50[m][round] = r.p50;
                p99[m][round] = r.p99;
                failures += r.failures;
                out.printf("round %d %-5s %,10.0f req/s  p50 %6.0f us  p99 %6.0f us  failures %d%n", round + 1,
                        far ? "hop" : "local", r.perSecond, r.p50 / 1e3, r.p99 / 1e3, r.failures);
            }
        }
        double local = Comparison.median(perSecond[0]), hop = Comparison.median(perSecond[1]);
        double localP99 = Comparison.median(p99[0]), hopP99 = Comparison.median(p99[1]);
        out.printf("%nnode-hop: %d clients x %d in flight, %d B, paguma codec, %s, workers %d%n",
                clients, depth, size, setup, workers);
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
