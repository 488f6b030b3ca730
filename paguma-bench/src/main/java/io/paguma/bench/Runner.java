package io.paguma.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.paguma.bench.load.LoadResult;
import io.paguma.bench.server.MemoryReport;
import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.PrintStream;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Starts servers and load clients as separate JVMs, pinned to different CPUs with {@code taskset}
 * where it exists, and collects the JSON each client writes.
 */
final class Runner {
    private final ObjectMapper json = new ObjectMapper();
    private final PrintStream out;
    private final String serverCpus;
    private final String clientCpus;
    private final List<String> serverJvm;
    private final List<String> clientJvm;
    private final Path outDir;
    private final boolean pin;
    private int runs;

    Runner(PrintStream out, String serverCpus, String clientCpus, String serverJvmOpts, String clientJvmOpts, Path outDir)
            throws IOException {
        this.out = out;
        this.serverCpus = serverCpus;
        this.clientCpus = clientCpus;
        this.serverJvm = split(serverJvmOpts);
        this.clientJvm = split(clientJvmOpts);
        this.outDir = outDir;
        this.pin = !serverCpus.equals("none") && tasksetAvailable();
        Files.createDirectories(outDir);
        if (!pin) out.println("note: not pinning server and client to CPUs (taskset missing or --server-cpus none)");
    }

    boolean pinned() {
        return pin;
    }

    String pinning() {
        return pin ? "server on CPU " + serverCpus + ", client on CPU " + clientCpus : "not pinned";
    }

    private static boolean tasksetAvailable() {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(File.pathSeparator)) {
            if (Files.isExecutable(Path.of(dir, "taskset"))) return true;
        }
        return false;
    }

    private static List<String> split(String opts) {
        return opts == null || opts.isBlank() ? List.of() : Arrays.asList(opts.trim().split("\\s+"));
    }

    /** The command line of a bench JVM pinned like a server ({@code serverSide}) or like a load client. */
    List<String> command(boolean serverSide, String... args) {
        return serverSide ? java(serverCpus, serverJvm, args) : java(clientCpus, clientJvm, args);
    }

    private List<String> java(String cpus, List<String> jvm, String... args) {
        return benchJvm(pin ? cpus : null, jvm, args);
    }

    /**
     * The command line of another bench JVM ({@link BenchMain} with {@code args}) on this JVM's
     * java and class path, with {@code jvm} options, pinned to {@code cpus} with taskset unless null.
     */
    static List<String> benchJvm(String cpus, List<String> jvm, String... args) {
        List<String> cmd = new ArrayList<>();
        if (cpus != null) {
            cmd.add("taskset");
            cmd.add("-c");
            cmd.add(cpus);
        }
        cmd.add(ProcessHandle.current().info().command().orElse("java"));
        cmd.addAll(jvm);
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(BenchMain.class.getName());
        cmd.addAll(Arrays.asList(args));
        return cmd;
    }

    /** A server JVM under test, alive until {@link #close()}. */
    final class ServerProcess implements AutoCloseable {
        final Process process;
        final int port;
        final String description;
        private final BufferedReader stdout;
        private final Writer stdin;

        ServerProcess(Target target) throws IOException {
            List<String> args = new ArrayList<>(List.of("server", "--impl", target.impl()));
            if (target.pool() != null) args.addAll(List.of("--pool", target.pool().toString()));
            if (target.admin()) args.add("--admin");
            if (target.zeroCopy()) args.add("--zero-copy");
            process = new ProcessBuilder(java(serverCpus, serverJvm, args.toArray(String[]::new)))
                    .redirectError(ProcessBuilder.Redirect.INHERIT)
                    .start();
            stdout = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
            stdin = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
            String line = stdout.readLine();
            if (line == null || !line.startsWith("READY ")) {
                process.destroyForcibly();
                throw new IllegalStateException("server " + target + " did not start: " + line);
            }
            String[] parts = line.split(" ", 3);
            port = Integer.parseInt(parts[1]);
            description = parts.length > 2 ? parts[2] : target.toString();
        }

        int connections() throws IOException {
            stdin.write("conns\n");
            stdin.flush();
            String line = stdout.readLine();
            if (line == null || !line.startsWith("CONNS ")) throw new IllegalStateException("server answered " + line);
            return Integer.parseInt(line.substring(6).trim());
        }

        MemoryReport memory() throws IOException {
            stdin.write("mem\n");
            stdin.flush();
            String line = stdout.readLine();
            if (line == null || !line.startsWith("MEM ")) throw new IllegalStateException("server answered " + line);
            return json.readValue(line.substring(4), MemoryReport.class);
        }

        @Override
        public void close() throws IOException, InterruptedException {
            try {
                stdin.write("quit\n");
                stdin.close();
            } catch (IOException e) {
                // Already gone.
            }
            if (!process.waitFor(20, TimeUnit.SECONDS)) {
                out.println("warning: server did not stop within 20 s; killing it");
                process.destroyForcibly().waitFor();
            }
        }
    }

    ServerProcess server(Target target) throws IOException {
        return new ServerProcess(target);
    }

    /** Runs a load client against {@code port} and returns its result. */
    LoadResult load(String label, int port, List<String> loadArgs) throws IOException, InterruptedException {
        Path file = outDir.resolve(String.format("run-%03d-%s.json", ++runs, label.replaceAll("[^A-Za-z0-9=.-]+", "_")));
        List<String> args = new ArrayList<>(List.of("load", "--port", Integer.toString(port), "--label", label,
                "--out", file.toString()));
        args.addAll(loadArgs);
        Process client = new ProcessBuilder(java(clientCpus, clientJvm, args.toArray(String[]::new)))
                .redirectOutput(ProcessBuilder.Redirect.INHERIT)
                .redirectError(ProcessBuilder.Redirect.INHERIT)
                .start();
        int code = client.waitFor();
        if (!Files.exists(file)) throw new IllegalStateException("load client failed (exit " + code + ") for " + label);
        return json.readValue(file.toFile(), LoadResult.class);
    }

    /** Opens {@code connections} idle connections and measures the server before and after. */
    MemoryReport[] idleMemory(ServerProcess server, int connections) throws IOException, InterruptedException {
        MemoryReport before = server.memory();
        List<String> args = List.of("load", "--port", Integer.toString(server.port), "--scenario", "idle",
                "--connections", Integer.toString(connections), "--duration", "600", "--quiet");
        Process client = new ProcessBuilder(java(clientCpus, clientJvm, args.toArray(String[]::new)))
                .redirectError(ProcessBuilder.Redirect.INHERIT)
                .start();
        try {
            BufferedReader cout = new BufferedReader(new InputStreamReader(client.getInputStream(), StandardCharsets.UTF_8));
            String line = cout.readLine();
            if (line == null || !line.startsWith("CONNECTED ")) throw new IllegalStateException("idle client said " + line);
            // The client saw its connects complete; wait until the server has registered them all.
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            int open = server.connections();
            while (open < connections && System.nanoTime() < deadline) {
                Thread.sleep(50);
                open = server.connections();
            }
            if (open < connections) throw new IllegalStateException("server holds " + open + " of " + connections + " connections");
            MemoryReport after = server.memory();
            return new MemoryReport[] {before, after};
        } finally {
            client.destroy();
            client.waitFor(20, TimeUnit.SECONDS);
        }
    }

    /** One server configuration to compare. */
    /** A server under test: netty, or paguma with an optional workerPoolSize and the admin endpoint on or off. */
    record Target(String impl, Integer pool, boolean admin, boolean zeroCopy) {
        Target(String impl, Integer pool) {
            this(impl, pool, false, false);
        }

        Target(String impl, Integer pool, boolean admin) {
            this(impl, pool, admin, false);
        }

        static Target parse(String spec) {
            String s = spec.trim();
            boolean admin = false;
            boolean zeroCopy = false;
            while (s.endsWith("+admin") || s.endsWith("+zc")) {
                if (s.endsWith("+admin")) {
                    admin = true;
                    s = s.substring(0, s.length() - "+admin".length());
                } else {
                    zeroCopy = true;
                    s = s.substring(0, s.length() - "+zc".length());
                }
            }
            if (s.equals("netty") && !admin && !zeroCopy) return new Target("netty", null);
            if (s.equals("paguma")) return new Target("paguma", null, admin, zeroCopy);
            if (s.startsWith("paguma:pool=")) {
                return new Target("paguma", Integer.parseInt(s.substring("paguma:pool=".length())), admin, zeroCopy);
            }
            throw new IllegalArgumentException("target must be netty, paguma or paguma:pool=N, each paguma one optionally"
                    + " +admin and/or +zc (zeroCopy), not " + spec);
        }

        boolean baseline() {
            return impl.equals("netty");
        }

        @Override
        public String toString() {
            return (pool == null ? impl : impl + ":pool=" + pool) + (zeroCopy ? "+zc" : "") + (admin ? "+admin" : "");
        }
    }
}
