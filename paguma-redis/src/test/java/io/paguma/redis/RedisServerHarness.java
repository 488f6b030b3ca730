package io.paguma.redis;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.awaitility.Awaitility.await;

/**
 * A real {@code redis-server} for tests: its own process on a free loopback port, in a temporary
 * directory, with nothing saved ({@code --save "" --appendonly no}). {@link #start} returns once it
 * answers PING; {@link #stop}, {@link #kill} and {@link #restart} let failure tests take it away and
 * bring it back on the same port; {@link #close} ends it and deletes the directory.
 *
 * <p>The binary is the system's {@code redis-server} when one is on the PATH, otherwise the Redis
 * 6.2 that the embedded-redis jar (test scope) carries, copied into the directory: tests never
 * skip for want of Redis. System property {@value #BINARY_PROPERTY} chooses: {@code system},
 * {@code embedded}, or a path. The binary and its version are logged, and readable with
 * {@link #binary()} and {@link #version()}.
 */
public final class RedisServerHarness implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(RedisServerHarness.class);
    /** {@code system}, {@code embedded} (the jar's binary, even if redis-server is on the PATH) or a path. */
    public static final String BINARY_PROPERTY = "paguma.redis.test.binary";
    private static final Duration START_WAIT = Duration.ofSeconds(15);
    private static final Pattern VERSION = Pattern.compile("v=([0-9][0-9.]*)");

    private final Path dir;
    private final Path binary;
    private final String version;
    private final String origin;
    private final List<String> extraArgs;
    private final int port;
    private Process process;

    private RedisServerHarness(Path dir, Path binary, String origin, int port, List<String> extraArgs) throws IOException {
        this.dir = dir;
        this.binary = binary;
        this.origin = origin;
        this.port = port;
        this.extraArgs = extraArgs;
        this.version = versionOf(binary);
    }

    /** A server chosen by {@value #BINARY_PROPERTY} (default: the system's if any, else the jar's), started. */
    public static RedisServerHarness start() {
        return startBinary(System.getProperty(BINARY_PROPERTY, ""));
    }

    /** As {@link #start()}, with {@code extraArgs} added to its command line ({@code "--rename-command", "CONFIG", ""}). */
    public static RedisServerHarness startWithArgs(String... extraArgs) {
        return startBinary(System.getProperty(BINARY_PROPERTY, ""), extraArgs);
    }

    /**
     * A server from {@code which} ({@code system}, {@code embedded}, a path, or empty for the
     * default), started with {@code extraArgs} added to its command line.
     */
    public static RedisServerHarness startBinary(String which, String... extraArgs) {
        Path dir = null;
        try {
            dir = Files.createTempDirectory("paguma-redis-");
            Path systemBinary = onPath("redis-server");
            Path binary;
            String origin;
            if (which.equals("embedded") || which.isEmpty() && systemBinary == null) {
                binary = extractEmbedded(dir);
                origin = "embedded-redis jar";
            } else if (which.equals("system") || which.isEmpty()) {
                if (systemBinary == null) throw new IllegalStateException("no redis-server on the PATH (" + BINARY_PROPERTY + "=system)");
                binary = systemBinary;
                origin = "system";
            } else {
                binary = Path.of(which);
                origin = "given";
            }
            RedisServerHarness h = new RedisServerHarness(dir, binary, origin, freePort(), List.of(extraArgs));
            h.launch();
            log.info("redis-server {} ({}, {}) answers on 127.0.0.1:{}", h.version, origin, binary, h.port);
            return h;
        } catch (IOException e) {
            deleteQuietly(dir);
            throw new IllegalStateException("could not start redis-server: " + e, e);
        } catch (RuntimeException | Error e) {
            deleteQuietly(dir);
            throw e;
        }
    }

    public int port() {
        return port;
    }

    /** {@code redis://127.0.0.1:<port>}. */
    public String uri() {
        return "redis://127.0.0.1:" + port;
    }

    public Path binary() {
        return binary;
    }

    /** What the binary says it is: {@code 7.0.15}, {@code 6.2.11}. */
    public String version() {
        return version;
    }

    /** {@code system}, {@code embedded-redis jar} or {@code given}. */
    public String origin() {
        return origin;
    }

    public synchronized boolean isRunning() {
        return process != null && process.isAlive();
    }

    /** Stops the server as an operator would (SIGTERM); returns when its process has ended. */
    public synchronized void stop() {
        if (process != null) signalQuietly();
        end(false);
    }

    /** Kills the server (SIGKILL), as a crash would; returns when its process has ended. */
    public synchronized void kill() {
        end(true);
    }

    /** Freezes the server (SIGSTOP): its connections stay open but nothing is answered, as a server stuck or far away. */
    public synchronized void freeze() {
        signal("-STOP");
    }

    /** Lets a frozen server go on (SIGCONT). */
    public synchronized void thaw() {
        signal("-CONT");
    }

    private void signal(String signal) {
        if (process == null) throw new IllegalStateException("redis-server on port " + port + " is not running");
        try {
            Process kill = new ProcessBuilder("kill", signal, Long.toString(process.pid())).inheritIO().start();
            if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
                throw new IllegalStateException("kill " + signal + " " + process.pid() + " failed");
            }
        } catch (IOException e) {
            throw new IllegalStateException("could not signal redis-server: " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while signalling redis-server", e);
        }
    }

    /** Starts the server again on the same port, empty (nothing was saved); returns once it answers PING. */
    public synchronized void restart() {
        end(false);
        try {
            launch();
        } catch (IOException e) {
            throw new IllegalStateException("could not restart redis-server on port " + port + ": " + e, e);
        }
        log.info("redis-server {} restarted on 127.0.0.1:{}", version, port);
    }

    @Override
    public synchronized void close() {
        if (process != null) signalQuietly();
        end(true);
        deleteQuietly(dir);
    }

    @Override
    public String toString() {
        return "redis-server " + version + " (" + origin + ") on port " + port;
    }

    // --- Process

    private synchronized void launch() throws IOException {
        List<String> cmd = new ArrayList<>(List.of(binary.toString(), "--port", Integer.toString(port),
                "--bind", "127.0.0.1", "--dir", dir.toString(), "--save", "", "--appendonly", "no",
                "--daemonize", "no", "--logfile", ""));
        cmd.addAll(extraArgs);
        Path out = dir.resolve("redis.log");
        process = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(out.toFile())).start();
        Process p = process;
        try {
            await().atMost(START_WAIT).pollInterval(Duration.ofMillis(20)).until(() -> {
                if (!p.isAlive()) return true;
                return answersPing();
            });
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            p.destroyForcibly();
            throw new IllegalStateException("redis-server on port " + port + " did not answer PING within " + START_WAIT
                    + "; its output:\n" + readQuietly(out), e);
        }
        if (!p.isAlive()) {
            throw new IllegalStateException("redis-server on port " + port + " ended at start (exit " + p.exitValue()
                    + "); its output:\n" + readQuietly(out));
        }
    }

    /** A frozen server must go on before it can end by SIGTERM; SIGKILL needs no such care. */
    private void signalQuietly() {
        try {
            new ProcessBuilder("kill", "-CONT", Long.toString(process.pid())).start().waitFor(10, TimeUnit.SECONDS);
        } catch (IOException e) {
            log.debug("could not SIGCONT redis-server", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void end(boolean forcibly) {
        Process p = process;
        if (p == null) return;
        process = null;
        if (forcibly) p.destroyForcibly();
        else p.destroy();
        try {
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                p.waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            p.destroyForcibly();
        }
    }

    private boolean answersPing() {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 500);
            s.setSoTimeout(1000);
            OutputStream o = s.getOutputStream();
            o.write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
            o.flush();
            InputStream in = s.getInputStream();
            byte[] reply = new byte[7];
            int n = 0;
            for (int r; n < reply.length && (r = in.read(reply, n, reply.length - n)) > 0; ) n += r;
            return new String(reply, 0, n, StandardCharsets.US_ASCII).startsWith("+PONG");
        } catch (IOException e) {
            return false;
        }
    }

    // --- Binary

    private static Path onPath(String name) {
        String path = System.getenv("PATH");
        if (path == null) return null;
        for (String d : path.split(java.io.File.pathSeparator)) {
            if (d.isEmpty()) continue;
            Path p = Path.of(d, name);
            if (Files.isRegularFile(p) && Files.isExecutable(p)) return p;
        }
        return null;
    }

    /** The jar's binary for this machine, copied into {@code dir} and made executable. */
    static Path extractEmbedded(Path dir) throws IOException {
        String resource = embeddedResource();
        Path target = dir.resolve("redis-server");
        try (InputStream in = RedisServerHarness.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("resource " + resource + " not found: is com.github.codemonstur:embedded-redis"
                        + " on the test classpath?");
            }
            Files.copy(in, target, StandardCopyOption.REPLACE_EXISTING);
        }
        if (!target.toFile().setExecutable(true, true)) throw new IOException("could not make " + target + " executable");
        return target;
    }

    private static String embeddedResource() {
        String os = System.getProperty("os.name").toLowerCase(Locale.ROOT);
        String arch = System.getProperty("os.arch").toLowerCase(Locale.ROOT);
        boolean arm = arch.contains("aarch64") || arch.contains("arm64");
        if (os.contains("linux")) {
            if (arm) return "redis-server-6.2.7-linux-arm64";
            if (arch.contains("64")) return "redis-server-6.2.6-v5-linux-amd64";
            return "redis-server-6.2.7-linux-386";
        }
        if (os.contains("mac")) return arm ? "redis-server-6.2.6-v5-darwin-arm64" : "redis-server-6.2.6-v5-darwin-amd64";
        throw new IllegalStateException("embedded-redis carries no Redis 6.2 for " + os + "/" + arch + ": install redis-server");
    }

    private static String versionOf(Path binary) throws IOException {
        Process p = new ProcessBuilder(binary.toString(), "--version").redirectErrorStream(true).start();
        String out;
        try (InputStream in = p.getInputStream()) {
            out = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        try {
            p.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        Matcher m = VERSION.matcher(out);
        if (!m.find()) throw new IOException(binary + " --version said: " + out.strip());
        return m.group(1);
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private static String readQuietly(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            return "(unreadable: " + e + ")";
        }
    }

    private static void deleteQuietly(Path dir) {
        if (dir == null) return;
        try (Stream<Path> all = Files.walk(dir)) {
            all.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            log.debug("could not delete {}", dir, e);
        }
    }
}
