package io.paguma.cluster;

import io.paguma.PagumaConfig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * File transfer between executors (SPEC X8; seed 002 §3.1.2): two nodes in one JVM, each with an
 * executor and a shared directory of its own, on real loopback sockets.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ExecutorFilesTest {
    private final Nodes nodes = new Nodes();
    @TempDir
    Path tmp;

    @AfterEach
    void stop() {
        nodes.close();
    }

    private Executor executor(String id, Consumer<PagumaConfig.Builder> settings) throws IOException {
        Path dir = Files.createDirectories(tmp.resolve(id));
        Executor e = Executor.builder().shareDir(dir).build();
        PagumaConfig.Builder cfg = Nodes.config().toBuilder();
        settings.accept(cfg);
        nodes.start(Daemon.builder().config(cfg.build()).nodeId(id).registry(nodes.registry).sharedData(nodes.data)
                .gateway(false).component(e));
        return e;
    }

    private Executor executor(String id) throws IOException {
        return executor(id, c -> {
        });
    }

    /** A file of {@code size} random bytes (seeded), its directories made. */
    static Path write(Path file, long size, long seed) throws IOException {
        Files.createDirectories(file.getParent());
        Random r = new Random(seed);
        byte[] block = new byte[1 << 20];
        try (OutputStream out = Files.newOutputStream(file)) {
            long left = size;
            while (left > 0) {
                r.nextBytes(block);
                int n = (int) Math.min(block.length, left);
                out.write(block, 0, n);
                left -= n;
            }
        }
        return file;
    }

    static String sha256(Path file) throws Exception {
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        byte[] buf = new byte[1 << 20];
        try (var in = Files.newInputStream(file)) {
            for (int n; (n = in.read(buf)) > 0; ) md.update(buf, 0, n);
        }
        return HexFormat.of().formatHex(md.digest());
    }

    private static <T> Throwable failure(CompletableFuture<T> f) {
        try {
            f.get(60, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
            return e.getCause();
        } catch (Exception e) {
            throw new AssertionError("the future did not fail in time", e);
        }
        throw new AssertionError("the future did not fail");
    }

    @Test
    void aFileIsFetchedIntoTheSharedDirectoryUnderItsNameWithMatchingSha256() throws Exception {
        Executor a = executor("a");
        Executor b = executor("b");
        Path src = write(a.shareDir().resolve("in/data.bin"), 3 * 1024 * 1024 + 17, 1);
        Files.write(a.shareDir().resolve("empty.txt"), new byte[0]);
        Path got = b.requestFile("a", "in/data.bin").get(30, TimeUnit.SECONDS);
        assertThat(got).isEqualTo(b.shareDir().toRealPath().resolve("in/data.bin"));
        assertThat(sha256(got)).isEqualTo(sha256(src));
        assertThat(Files.exists(got.resolveSibling("data.bin.part"))).isFalse();
        assertThat(Files.size(b.requestFile("a", "empty.txt").get(30, TimeUnit.SECONDS))).isZero();
        // The seed's form: a callback registered under an id, called by it.
        CompletableFuture<String> called = new CompletableFuture<>();
        b.onFile(77, (id, file, error) -> called.complete(id + ":" + (file == null ? error.getMessage() : file.getFileName())));
        b.requestFile("a", "empty.txt", 77);
        assertThat(called.get(30, TimeUnit.SECONDS)).isEqualTo("77:empty.txt");
        CompletableFuture<Throwable> missing = new CompletableFuture<>();
        b.onFile(78, (id, file, error) -> missing.complete(error));
        b.requestFile("a", "nope.txt", 78);
        assertThat(missing.get(30, TimeUnit.SECONDS)).isInstanceOf(FileTransferException.class)
                .hasMessageContaining("nope.txt").hasMessageContaining("no file");
        assertThat(Files.exists(b.shareDir().resolve("nope.txt"))).isFalse();
        assertThat(Files.exists(b.shareDir().resolve("nope.txt.part"))).isFalse();
    }

    @Test
    void pathsThatLeaveTheSharedDirectoryAreRefusedWithAClearError() throws Exception {
        Executor a = executor("a");
        Executor b = executor("b");
        Path secret = write(tmp.resolve("secret.txt"), 100, 2);
        Files.createSymbolicLink(a.shareDir().resolve("link.txt"), secret);
        Files.createDirectories(a.shareDir().resolve("sub"));
        Files.createSymbolicLink(a.shareDir().resolve("sub/up"), tmp);
        for (String name : List.of("../secret.txt", "sub/../../secret.txt", secret.toString(), "/etc/passwd", "link.txt",
                "sub/up/secret.txt", "a\\..\\..\\secret.txt", "", "sub//x", "./x")) {
            Throwable t = failure(b.requestFile("a", name));
            assertThat(t).as("'%s'", name).isInstanceOf(FileTransferException.class);
            assertThat(t.getMessage()).as("'%s'", name)
                    .containsAnyOf("leaves the shared directory", "leads outside", "is absolute", "backslashes", "empty", "'.' part");
        }
        assertThat(Files.list(b.shareDir())).isEmpty();
        // A name the requester would write outside its own directory is refused before anything is asked.
        Files.createSymbolicLink(b.shareDir().resolve("out"), tmp);
        write(a.shareDir().resolve("out/x.bin"), 10, 3);
        assertThat(failure(b.requestFile("a", "out/x.bin"))).hasMessageContaining("leads outside");
        assertThat(Files.exists(tmp.resolve("x.bin"))).isFalse();
    }

    @Test
    void aLargeFileTransfersWithBoundedMemoryOnBothSides() throws Exception {
        Executor a = executor("a");
        Executor b = executor("b");
        long size = 200L * 1024 * 1024;
        Path src = write(a.shareDir().resolve("big.bin"), size, 4);
        MemoryWatch watch = new MemoryWatch();
        watch.start();
        long started = System.nanoTime();
        Path got = b.requestFile("a", "big.bin").get(100, TimeUnit.SECONDS);
        double seconds = (System.nanoTime() - started) / 1e9;
        watch.stop();
        assertThat(Files.size(got)).isEqualTo(size);
        assertThat(sha256(got)).isEqualTo(sha256(src));
        // Without TLS the chunks went zero-copy (sendfile), none through memory.
        assertThat(a.chunksSent()[0]).isEqualTo(800);
        assertThat(a.chunksSent()[1]).isZero();
        System.out.printf("ExecutorFilesTest: 200 MiB in %.2f s (%.0f MiB/s); peak heap growth after GC %d MiB, peak direct %d MiB%n",
                seconds, 200 / seconds, watch.heapGrowth() >> 20, watch.peakDirect() >> 20);
        // Both sides in this JVM: what the transfer holds is the window (4 MiB) on each side and the chunks in hand.
        assertThat(watch.heapGrowth()).as("heap after GC grew by").isLessThan(64L << 20);
        assertThat(watch.peakDirect()).as("direct memory").isLessThan(64L << 20);
    }

    @Test
    void withZeroCopyOffChunksGoThroughMemoryAndArriveTheSame() throws Exception {
        Consumer<PagumaConfig.Builder> copy = c -> c.set(new ExecutorConfig(), ExecutorConfig.ZERO_COPY, false);
        Executor a = executor("a", copy);
        Executor b = executor("b", copy);
        Path src = write(a.shareDir().resolve("c.bin"), 5L * 1024 * 1024 + 3, 30);
        assertThat(sha256(b.requestFile("a", "c.bin").get(30, TimeUnit.SECONDS))).isEqualTo(sha256(src));
        assertThat(a.chunksSent()).containsExactly(0, 21);
    }

    @Test
    void aTransferCutMidwayResumesFromItsOffset() throws Exception {
        Executor a = executor("a");
        Executor b = executor("b");
        long size = 64L * 1024 * 1024;
        Path src = write(a.shareDir().resolve("cut.bin"), size, 5);
        List<Long> resumedAt = new java.util.concurrent.CopyOnWriteArrayList<>();
        AtomicBoolean cut = new AtomicBoolean();
        AtomicLong maxSeen = new AtomicLong();
        CompletableFuture<Path> f = b.requestFile("a", "cut.bin", new TransferListener() {
            @Override
            public void progress(long bytes, long total) {
                maxSeen.accumulateAndGet(bytes, Math::max);
                if (bytes > size / 3 && cut.compareAndSet(false, true)) {
                    // The owner's file link goes down mid-way, as a broken network would take it.
                    b.link("a").join().file.close();
                }
            }

            @Override
            public void resumed(long offset, String why) {
                resumedAt.add(offset);
            }
        });
        Path got = f.get(60, TimeUnit.SECONDS);
        assertThat(sha256(got)).isEqualTo(sha256(src));
        assertThat(resumedAt).isNotEmpty();
        assertThat(resumedAt.get(0)).isGreaterThan(size / 3).isLessThan(size);
    }

    /**
     * executor.digest: the requester names the whole-file digest (CRC32C by default, SHA-256 on
     * request), the owner computes it, whatever its own setting. Either catches a file that changed
     * between two attempts where every chunk passed its CRC32C: byte 0, already received, is
     * changed on the owner and the link cut; the resumed attempt's digest covers the new byte 0.
     */
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.EnumSource(ExecutorConfig.Digest.class)
    void theWholeFileDigestCatchesAFileThatChangedBetweenAttempts(ExecutorConfig.Digest digest) throws Exception {
        Executor a = executor("a", c -> c.set(new ExecutorConfig(), ExecutorConfig.DIGEST,
                digest == ExecutorConfig.Digest.SHA256 ? ExecutorConfig.Digest.CRC32C : ExecutorConfig.Digest.SHA256));
        Executor b = executor("b", c -> c.set(new ExecutorConfig(), ExecutorConfig.DIGEST, digest));
        long size = 32L * 1024 * 1024;
        Path src = write(a.shareDir().resolve("d.bin"), size, 12);
        assertThat(sha256(b.requestFile("a", "d.bin").get(60, TimeUnit.SECONDS))).isEqualTo(sha256(src));
        Files.delete(b.shareDir().resolve("d.bin"));
        AtomicBoolean cut = new AtomicBoolean();
        List<Long> resumedAt = new java.util.concurrent.CopyOnWriteArrayList<>();
        CompletableFuture<Path> f = b.requestFile("a", "d.bin", new TransferListener() {
            @Override
            public void progress(long bytes, long total) {
                if (bytes > size / 3 && cut.compareAndSet(false, true)) {
                    try (var ch = java.nio.channels.FileChannel.open(src, java.nio.file.StandardOpenOption.WRITE)) {
                        byte[] first = new byte[1];
                        try (var in = Files.newInputStream(src)) {
                            first[0] = (byte) (in.read() ^ 0x5A);
                        }
                        ch.write(java.nio.ByteBuffer.wrap(first), 0);
                    } catch (IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                    b.link("a").join().file.close();
                }
            }

            @Override
            public void resumed(long offset, String why) {
                resumedAt.add(offset);
            }
        });
        assertThat(failure(f)).isInstanceOf(FileTransferException.class)
                .hasMessageContaining((digest == ExecutorConfig.Digest.SHA256 ? "SHA-256" : "CRC32C") + " does not match the owner's");
        assertThat(resumedAt).isNotEmpty();
        assertThat(Files.exists(b.shareDir().resolve("d.bin"))).isFalse();
        // The writer deletes the part as it takes the failure (the future may complete first).
        await().atMost(Duration.ofSeconds(10)).until(() -> !Files.exists(b.shareDir().resolve("d.bin.part")));
    }

    @Test
    void aStalledOwnerTripsTheNoProgressTimeoutAndTheOverallDeadlineFiresToo() throws Exception {
        Consumer<PagumaConfig.Builder> small = c -> c.set(new ExecutorConfig(), ExecutorConfig.NO_PROGRESS_TIMEOUT, Duration.ofMillis(400))
                .set(new ExecutorConfig(), ExecutorConfig.FILE_WINDOW, 65536)
                .set(new ExecutorConfig(), ExecutorConfig.CHUNK_SIZE, 16384);
        Executor a = executor("a", small);
        Executor b = executor("b", small);
        write(a.shareDir().resolve("slow.bin"), 32L * 1024 * 1024, 6);
        // The requester's disk "stalls": its listener blocks the writer, so the window fills, the
        // file link stops reading and the owner stops sending: no data arrives any more.
        CountDownLatch release = new CountDownLatch(1);
        AtomicLong progressed = new AtomicLong();
        CompletableFuture<Path> f = b.requestFile("a", "slow.bin", new TransferListener() {
            @Override
            public void progress(long bytes, long total) {
                progressed.set(bytes);
                try {
                    release.await(20, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        });
        long t0 = System.nanoTime();
        Throwable t = failure(f);
        release.countDown();
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertThat(t).isInstanceOf(FileTransferException.class).hasMessageContaining("no data for 400ms");
        assertThat(progressed.get()).as("data flowed before the stall").isPositive();
        assertThat(ms).isLessThan(10_000);
        await().atMost(Duration.ofSeconds(10)).until(() -> !Files.exists(b.shareDir().resolve("slow.bin.part")));
        assertThat(Files.exists(b.shareDir().resolve("slow.bin"))).isFalse();
    }

    @Test
    void theOverallDeadlineFiresWhileDataStillTrickles() throws Exception {
        Consumer<PagumaConfig.Builder> small = c -> c.set(new ExecutorConfig(), ExecutorConfig.TRANSFER_DEADLINE, Duration.ofMillis(700))
                .set(new ExecutorConfig(), ExecutorConfig.FILE_WINDOW, 65536)
                .set(new ExecutorConfig(), ExecutorConfig.CHUNK_SIZE, 4096);
        Executor a = executor("a", small);
        Executor b = executor("b", small);
        write(a.shareDir().resolve("trickle.bin"), 16L * 1024 * 1024, 7);
        // Progress never stops for long (a chunk every 20 ms), but the whole would take minutes.
        AtomicLong progressed = new AtomicLong();
        List<String> resumes = new java.util.concurrent.CopyOnWriteArrayList<>();
        CompletableFuture<Path> f = b.requestFile("a", "trickle.bin", new TransferListener() {
            @Override
            public void resumed(long offset, String why) {
                resumes.add(why);
            }

            @Override
            public void progress(long bytes, long total) {
                progressed.set(bytes);
                LockSupportPark.parkMillis(20);   // a slow disk, by design of this test
            }
        });
        Throwable t = failure(f);
        assertThat(t).isInstanceOf(FileTransferException.class).hasMessageContaining("not done within 700ms (executor.transferDeadline)");
        assertThat(progressed.get()).as("data flowed until the deadline").isPositive();
        assertThat(resumes).as("the link never broke").isEmpty();
        await().atMost(Duration.ofSeconds(10)).until(() -> !Files.exists(b.shareDir().resolve("trickle.bin.part")));
        assertThat(Files.exists(b.shareDir().resolve("trickle.bin"))).isFalse();
    }

    @Test
    void controlMessagesStayFastWhileFourTransfersRun() throws Exception {
        Executor a = executor("a");
        Executor b = executor("b");
        List<Path> sources = new ArrayList<>();
        for (int i = 0; i < 4; i++) sources.add(write(a.shareDir().resolve("f" + i + ".bin"), 48L * 1024 * 1024, 10 + i));
        b.ping("a").get(10, TimeUnit.SECONDS);
        List<CompletableFuture<Path>> transfers = new ArrayList<>();
        for (int i = 0; i < 4; i++) transfers.add(b.requestFile("a", "f" + i + ".bin"));
        List<Long> micros = new ArrayList<>();
        while (!CompletableFuture.allOf(transfers.toArray(CompletableFuture[]::new)).isDone()) {
            micros.add(b.ping("a").get(10, TimeUnit.SECONDS).toNanos() / 1000);
        }
        for (int i = 0; i < 4; i++) assertThat(sha256(transfers.get(i).get())).isEqualTo(sha256(sources.get(i)));
        micros.sort(null);
        long p50 = micros.get(micros.size() / 2);
        long p99 = micros.get(Math.min(micros.size() - 1, (int) Math.ceil(micros.size() * 0.99) - 1));
        System.out.printf("ExecutorFilesTest: control PING while 4 transfers ran: %d pings, p50 %d us, p99 %d us, max %d us%n",
                micros.size(), p50, p99, micros.get(micros.size() - 1));
        assertThat(micros.size()).isGreaterThan(5);
        // The file data has its own link: a PING never waits behind megabytes of it.
        assertThat(p99).isLessThan(200_000);
    }

    private static String pem(String name) throws Exception {
        return Path.of(ExecutorFilesTest.class.getResource("/tls/" + name).toURI()).toString();
    }

    @Test
    void overTlsAFileArrivesWholeAndAnExecutorWithoutTheRightTrustCannotLink() throws Exception {
        Consumer<PagumaConfig.Builder> tls = c -> {
            try {
                c.tlsCert(pem("cert.pem")).tlsKey(pem("key.pem")).tlsTrust(pem("cert.pem"))
                        .set(new ExecutorConfig(), ExecutorConfig.TLS, true);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        };
        Executor a = executor("a", tls);
        Executor b = executor("b", tls);
        Path src = write(a.shareDir().resolve("secret.bin"), 8L * 1024 * 1024 + 5, 21);
        assertThat(sha256(b.requestFile("a", "secret.bin").get(30, TimeUnit.SECONDS))).isEqualTo(sha256(src));
        // Under TLS the bytes must go through the encryption: read into memory, none zero-copy.
        assertThat(a.chunksSent()[0]).isZero();
        assertThat(a.chunksSent()[1]).isEqualTo(33);
        // Without TLS, or trusting another certificate: no link (tried again until noProgressTimeout), nothing written.
        Executor plain = executor("c", c -> c.set(new ExecutorConfig(), ExecutorConfig.NO_PROGRESS_TIMEOUT, Duration.ofSeconds(1)));
        assertThat(failure(plain.requestFile("a", "secret.bin"))).isInstanceOf(FileTransferException.class)
                .hasMessageContaining("secret.bin");
        Executor stranger = executor("d", c -> {
            try {
                c.tlsCert(pem("cert.pem")).tlsKey(pem("key.pem")).tlsTrust(pem("other-cert.pem"))
                        .set(new ExecutorConfig(), ExecutorConfig.TLS, true)
                        .set(new ExecutorConfig(), ExecutorConfig.NO_PROGRESS_TIMEOUT, Duration.ofSeconds(1));
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        assertThat(failure(stranger.requestFile("a", "secret.bin"))).isInstanceOf(FileTransferException.class)
                .hasMessageContaining("no data for 1s");
        assertThat(Files.exists(plain.shareDir().resolve("secret.bin"))).isFalse();
        assertThat(Files.exists(stranger.shareDir().resolve("secret.bin"))).isFalse();
    }

    /** Samples heap (after collections) and direct memory while a transfer runs. */
    private static final class MemoryWatch {
        private final AtomicBoolean running = new AtomicBoolean(true);
        private final AtomicLong peakHeapAfterGc = new AtomicLong();
        private final AtomicLong peakDirect = new AtomicLong();
        private long baseHeap;
        private Thread thread;

        void start() {
            System.gc();
            baseHeap = heapAfterGc();
            thread = new Thread(() -> {
                while (running.get()) {
                    peakHeapAfterGc.accumulateAndGet(heapAfterGc(), Math::max);
                    peakDirect.accumulateAndGet(direct(), Math::max);
                    LockSupportPark.parkMillis(5);
                }
            }, "memory-watch");
            thread.start();
        }

        void stop() throws InterruptedException {
            running.set(false);
            thread.join();
        }

        long heapGrowth() {
            return Math.max(0, peakHeapAfterGc.get() - baseHeap);
        }

        long peakDirect() {
            return peakDirect.get();
        }

        private static long heapAfterGc() {
            long sum = 0;
            for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) {
                if (p.getType() == MemoryType.HEAP && p.getCollectionUsage() != null) sum += p.getCollectionUsage().getUsed();
            }
            return sum;
        }

        private static long direct() {
            long used = io.netty.util.internal.PlatformDependent.usedDirectMemory();
            if (used >= 0) return used;
            for (var pool : ManagementFactory.getPlatformMXBeans(java.lang.management.BufferPoolMXBean.class)) {
                if (pool.getName().equals("direct")) return pool.getMemoryUsed();
            }
            return 0;
        }
    }

    private static final class LockSupportPark {
        static void parkMillis(long ms) {
            java.util.concurrent.locks.LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(ms));
        }
    }
}
