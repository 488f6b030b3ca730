package io.paguma.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.paguma.PagumaConfig;
import io.paguma.bench.server.BenchTarget;
import io.paguma.bench.server.MemoryReport;
import io.paguma.bench.server.NettyEchoServer;
import io.paguma.bench.server.PagumaEchoServer;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Runs one server under test until stdin closes. Prints {@code READY <port>} when it listens and
 * answers commands on stdin: {@code mem} prints {@code MEM <json>} (see {@link MemoryReport}),
 * {@code quit} stops it.
 */
@Command(name = "server", mixinStandardHelpOptions = true,
        description = "Run an echo server under test: the raw-Netty baseline or Paguma (ltv-le, echo on id 1).")
final class ServerCommand implements Callable<Integer> {
    @Option(names = "--impl", required = true, description = "netty (the baseline) or paguma")
    String impl;

    @Option(names = "--host", defaultValue = "127.0.0.1")
    String host;

    @Option(names = "--port", defaultValue = "0", description = "0 picks a free port")
    int port;

    @Option(names = "--pool", description = "Paguma workerPoolSize (default: Paguma's default)")
    Integer pool;

    @Option(names = "--io-threads", description = "IO threads (default: available processors, as Paguma)")
    Integer ioThreads;

    @Option(names = "--max-frame", defaultValue = "65536", description = "largest payload accepted")
    int maxFrame;

    @Option(names = "--admin", description = "paguma only: with the admin endpoint (paguma-admin) on the server's runtime, its /metrics scraped over HTTP once a second")
    boolean admin;

    @Option(names = "--zero-copy", description = "paguma only: zeroCopy on, the echo route replies with the request's own buffer")
    boolean zeroCopy;

    @Override
    public Integer call() throws Exception {
        int threads = ioThreads != null ? ioThreads : Runtime.getRuntime().availableProcessors();
        BenchTarget target = start(impl, host, port, pool, threads, maxFrame, admin, zeroCopy);
        System.out.println("READY " + target.port() + " " + target.describe());
        System.out.flush();
        ObjectMapper json = new ObjectMapper();
        try (BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
            String line;
            while ((line = in.readLine()) != null) {
                line = line.trim();
                if (line.equals("quit")) break;
                if (line.equals("mem")) {
                    System.out.println("MEM " + json.writeValueAsString(MemoryReport.measure(target.connections())));
                } else if (line.equals("alloc")) {
                    // Heap bytes allocated by every thread of this JVM so far (take two and divide
                    // the difference by the messages echoed in between).
                    System.out.println("ALLOC " + ((com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory
                            .getThreadMXBean()).getTotalThreadAllocatedBytes());
                } else if (line.equals("conns")) {
                    System.out.println("CONNS " + target.connections());
                } else if (!line.isEmpty()) {
                    System.out.println("ERR unknown command " + line);
                }
                System.out.flush();
            }
        } finally {
            target.close();
        }
        return 0;
    }

    static BenchTarget start(String impl, String host, int port, Integer pool, int ioThreads, int maxFrame) {
        return start(impl, host, port, pool, ioThreads, maxFrame, false);
    }

    static BenchTarget start(String impl, String host, int port, Integer pool, int ioThreads, int maxFrame, boolean admin) {
        return start(impl, host, port, pool, ioThreads, maxFrame, admin, false);
    }

    static BenchTarget start(String impl, String host, int port, Integer pool, int ioThreads, int maxFrame, boolean admin,
                             boolean zeroCopy) {
        if (admin && !impl.equals("paguma")) throw new IllegalArgumentException("--admin is for --impl paguma");
        if (zeroCopy && !impl.equals("paguma")) throw new IllegalArgumentException("--zero-copy is for --impl paguma");
        switch (impl) {
            case "netty":
                return new NettyEchoServer(host, port, ioThreads, maxFrame);
            case "paguma":
                PagumaConfig.Builder b = PagumaConfig.builder().host(host).port(port).ioThreads(ioThreads)
                        .maxPacketSize(maxFrame).zeroCopy(zeroCopy);
                if (pool != null) b.workerPoolSize(pool);
                return admin ? PagumaEchoServer.withAdmin(b.build()) : new PagumaEchoServer(b.build());
            default:
                throw new IllegalArgumentException("--impl must be netty or paguma, not " + impl);
        }
    }
}
