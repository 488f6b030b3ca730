package io.paguma.bench;

import io.paguma.PagumaConfig;
import io.paguma.cluster.Daemon;
import io.paguma.cluster.Executor;
import io.paguma.cluster.InProcessRegistry;
import io.paguma.cluster.InProcessSharedData;
import io.paguma.cluster.Registry;
import io.paguma.cluster.RegistryClient;
import io.paguma.cluster.RegistryServer;
import io.paguma.cluster.SharedData;
import io.paguma.cluster.Task;
import io.paguma.redis.RedisRegistry;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code ./paguma bench tasks}: the rate of tasks dispatched end to end (published, assigned, run by
 * an executor, result back at the publisher) through the registry node or Redis (issue
 * "Cluster II", item 5). One JVM: a publisher executor and a worker executor (task type "echo"),
 * {@code --in-flight} tasks outstanding (closed loop).
 */
@Command(name = "tasks", mixinStandardHelpOptions = true,
        description = {"Tasks dispatched per second, end to end, through the registry node or Redis."})
final class TasksBenchCommand implements Callable<Integer> {
    @Option(names = "--home", defaultValue = "node", description = "node, redis or in-process (default ${DEFAULT-VALUE})") String home;
    @Option(names = "--tasks", defaultValue = "5000", description = "tasks counted (default ${DEFAULT-VALUE})") int tasks;
    @Option(names = "--in-flight", defaultValue = "64", description = "tasks outstanding (default ${DEFAULT-VALUE})") int inFlight;
    @Option(names = "--slots", defaultValue = "16", description = "the worker's task slots (default ${DEFAULT-VALUE})") int slots;
    @Option(names = "--redis-server", defaultValue = "redis-server", description = "the redis-server to start for --home redis (default ${DEFAULT-VALUE})") String redisServer;

    @Override
    public Integer call() throws Exception {
        RedisBenchCommand.OwnRedis redis = null;
        RegistryServer server = null;
        Registry registry;
        SharedData data = InProcessSharedData.create("bench-tasks");
        switch (home) {
            case "node" -> {
                server = RegistryServer.builder().host("127.0.0.1").port(0).build().start();
                registry = RegistryClient.builder().address(server.address()).build();
            }
            case "redis" -> {
                redis = RedisBenchCommand.OwnRedis.start(RedisBenchCommand.executable(redisServer, "redis-server",
                        "install it (apt-get install redis-server) or name one with --redis-server"));
                Map<String, String> env = new HashMap<>();
                env.put("PAGUMA_REDIS_URI", redis.uri());
                registry = RedisRegistry.create(PagumaConfig.load(null, env, Map.of()));
            }
            case "in-process" -> registry = new InProcessRegistry();
            default -> throw new IllegalArgumentException("--home must be node, redis or in-process");
        }
        Path tmp = Files.createTempDirectory("paguma-bench-tasks");
        PagumaConfig cfg = PagumaConfig.builder().port(0).codec("paguma").ioThreads(1).workerPoolSize(1).build();
        Executor pub = Executor.builder().shareDir(Files.createDirectories(tmp.resolve("pub"))).build();
        Executor worker = Executor.builder().shareDir(Files.createDirectories(tmp.resolve("w"))).slots(slots)
                .handler("echo", ctx -> ctx.task().payload()).build();
        Daemon a = Daemon.builder().config(cfg).nodeId("pub").registry(registry).sharedData(data).gateway(false).component(pub).build().start();
        Daemon b = Daemon.builder().config(cfg).nodeId("worker").registry(registry).sharedData(data).gateway(false).component(worker).build().start();
        try {
            run(pub, Math.min(1000, tasks));   // warm-up
            long t0 = System.nanoTime();
            long failures = run(pub, tasks);
            double s = (System.nanoTime() - t0) / 1e9;
            System.out.printf(Locale.ROOT, "tasks via %s: %d tasks (echo, 16 B), %d in flight, worker %d slots, one JVM: %.0f tasks/s, %d failed%n",
                    home, tasks, inFlight, slots, tasks / s, failures);
        } finally {
            b.stop();
            a.stop();
            registry.close();
            data.close();
            if (server != null) server.close();
            if (redis != null) redis.close();
        }
        return 0;
    }

    private long run(Executor pub, int n) throws InterruptedException {
        CountDownLatch done = new CountDownLatch(n);
        AtomicInteger issued = new AtomicInteger();
        AtomicLong failed = new AtomicLong();
        byte[] payload = new byte[16];
        Runnable[] next = new Runnable[1];
        next[0] = () -> {
            if (issued.incrementAndGet() > n) return;
            pub.publish(Task.builder("echo").payload(payload).timeout(Duration.ofMinutes(1)).build()).result().whenComplete((r, e) -> {
                if (e != null) failed.incrementAndGet();
                done.countDown();
                next[0].run();
            });
        };
        for (int i = 0; i < inFlight; i++) next[0].run();
        if (!done.await(10, TimeUnit.MINUTES)) throw new IllegalStateException("tasks did not finish within 10 minutes");
        return failed.get();
    }
}
