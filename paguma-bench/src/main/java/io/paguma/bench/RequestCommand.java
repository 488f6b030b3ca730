package io.paguma.bench;

import io.paguma.Client;
import io.paguma.Connection;
import io.paguma.Message;
import io.paguma.PagumaConfig;
import io.paguma.Server;
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
 * {@code ./paguma bench rr}: what request/response costs over plain messages (T6), measured side
 * by side with Paguma's own client and server in one JVM. Both modes run the same closed loop —
 * {@code depth} messages in flight per client, each answer sends the next — once with
 * {@code request()} (sequence id, waiter table, timer, future per message) and once with
 * {@code send()} and a route for the answer. The ratio is the price of the request machinery.
 */
@Command(name = "rr", mixinStandardHelpOptions = true,
        description = {"Request/response through Paguma's client: request() against send() + route, same server, same JVM.",
                "Prints messages per second for each and the ratio (rounds alternate the order)."})
final class RequestCommand implements Callable<Integer> {
    private static final int ECHO = 1;

    @Option(names = {"-c", "--clients"}, defaultValue = "4", description = "clients (default ${DEFAULT-VALUE})") int clients;
    @Option(names = {"-d", "--depth"}, defaultValue = "32", description = "messages in flight per client (default ${DEFAULT-VALUE})") int depth;
    @Option(names = {"-s", "--size"}, defaultValue = "128", description = "payload bytes (default ${DEFAULT-VALUE})") int size;
    @Option(names = "--duration", defaultValue = "10", description = "seconds measured per run (default ${DEFAULT-VALUE})") int duration;
    @Option(names = "--warmup", defaultValue = "3", description = "seconds of warm-up per run (default ${DEFAULT-VALUE})") int warmup;
    @Option(names = "--rounds", defaultValue = "3", description = "rounds of both modes (default ${DEFAULT-VALUE})") int rounds;

    @Override
    public Integer call() throws Exception {
        PrintStream out = System.out;
        Server server = Server.builder()
                .config(PagumaConfig.builder().name("rr").host("127.0.0.1").port(0).codec("paguma")
                        .workerPoolSize(0).ioThreads(1).build())
                .route(ECHO, r -> r.reply(ECHO, r.data()))
                .build().start();
        double[] send = new double[rounds];
        double[] request = new double[rounds];
        long failures = 0;
        try {
            for (int round = 0; round < rounds; round++) {
                boolean requestFirst = round % 2 == 1;
                for (int k = 0; k < 2; k++) {
                    boolean useRequest = (k == 0) == requestFirst;
                    Result r = run(server.port(), useRequest);
                    failures += r.failures;
                    (useRequest ? request : send)[round] = r.perSecond;
                    out.printf("round %d %-8s %,12.0f msg/s  failures %d%n", round + 1, useRequest ? "request" : "send",
                            r.perSecond, r.failures);
                }
            }
        } finally {
            server.stop();
        }
        double[] ratios = new double[rounds];
        for (int i = 0; i < rounds; i++) ratios[i] = request[i] / send[i];
        out.printf("%nrr: %d clients x %d in flight, %d B, paguma codec, server and clients in one JVM%n", clients, depth, size);
        out.printf("send + route   %,12.0f msg/s (median)%n", Comparison.median(send));
        out.printf("request()      %,12.0f msg/s (median)%n", Comparison.median(request));
        out.printf("ratio          %12.2f (median of per-round ratios: %s)%n", Comparison.median(ratios), Arrays.toString(Comparison.round2(ratios)));
        return failures == 0 ? 0 : 1;
    }

    private record Result(double perSecond, long failures) {
    }

    private Result run(int port, boolean useRequest) throws Exception {
        byte[] payload = new byte[size];
        LongAdder done = new LongAdder();
        AtomicLong failures = new AtomicLong();
        Loop loop = new Loop(payload, done, failures);
        List<Client> list = new ArrayList<>();
        try {
            for (int i = 0; i < clients; i++) {
                Client c = Client.builder()
                        .config(PagumaConfig.builder().name("rr-" + i).host("127.0.0.1").port(port).codec("paguma")
                                .workerPoolSize(0).reconnect(false).build())
                        .route(ECHO, r -> loop.answered(r.connection()))
                        .build();
                list.add(c);
                Connection conn = c.connect().get(10, TimeUnit.SECONDS);
                for (int k = 0; k < depth; k++) {
                    if (useRequest) loop.request(conn);
                    else loop.send(conn);
                }
            }
            Comparison.measureFor(warmup);
            long before = done.sum();
            long start = System.nanoTime();
            Comparison.measureFor(duration);
            long count = done.sum() - before;
            double seconds = (System.nanoTime() - start) / 1e9;
            loop.running = false;
            return new Result(count / seconds, failures.get());
        } finally {
            loop.running = false;
            CountDownLatch closed = new CountDownLatch(list.size());
            for (Client c : list) c.close().whenComplete((v, e) -> closed.countDown());
            closed.await(10, TimeUnit.SECONDS);
        }
    }

    /** The closed loop of both modes: each answer sends the next message on the same connection. */
    private static final class Loop {
        private final byte[] payload;
        private final LongAdder done;
        private final AtomicLong failures;
        volatile boolean running = true;

        Loop(byte[] payload, LongAdder done, AtomicLong failures) {
            this.payload = payload;
            this.done = done;
            this.failures = failures;
        }

        void request(Connection c) {
            c.request(new Message(ECHO, payload)).whenComplete((m, e) -> {
                if (e != null) {
                    if (running) failures.incrementAndGet();
                    return;
                }
                done.increment();
                if (running) request(c);
            });
        }

        void send(Connection c) {
            c.send(ECHO, payload);
        }

        void answered(Connection c) {
            done.increment();
            if (running) send(c);
        }
    }
}
