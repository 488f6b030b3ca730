package io.paguma.cluster;

import io.paguma.Message;
import io.paguma.PagumaConfig;
import io.paguma.RemoteException;
import io.paguma.cluster.internal.ExecProtocol;
import io.paguma.cluster.internal.Wire;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * Findings of a review of executors, each a test that failed before its fix: one file fetched
 * twice at once, the end of a small file before the answer to its request, a peer that stops
 * reading, a link planted where the part file goes, a key published again after its task ended or
 * by another node, strangers holding the ports.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ExecutorReviewTest {
    private final Nodes nodes = new Nodes();
    @TempDir
    Path tmp;

    @AfterEach
    void stop() {
        nodes.close();
    }

    private Executor executor(String id, Consumer<PagumaConfig.Builder> settings, Consumer<Executor.Builder> setup) throws Exception {
        Executor.Builder b = Executor.builder().shareDir(Files.createDirectories(tmp.resolve(id)));
        setup.accept(b);
        Executor e = b.build();
        PagumaConfig.Builder cfg = Nodes.config().toBuilder();
        settings.accept(cfg);
        nodes.start(Daemon.builder().config(cfg.build()).nodeId(id).registry(nodes.registry).sharedData(nodes.data)
                .gateway(false).component(e));
        return e;
    }

    private Executor executor(String id) throws Exception {
        return executor(id, c -> {
        }, b -> {
        });
    }

    private static Path write(Path file, long size, long seed) throws Exception {
        return ExecutorFilesTest.write(file, size, seed);
    }

    private static String sha(Path f) throws Exception {
        return ExecutorFilesTest.sha256(f);
    }

    @Test
    void aFileFetchedTwiceAtOnceIsFetchedOnceAndFromAnotherPeerIsRefused() throws Exception {
        Consumer<PagumaConfig.Builder> slow = c -> c.set(new ExecutorConfig(), ExecutorConfig.FILE_WINDOW, 1 << 20)
                .set(new ExecutorConfig(), ExecutorConfig.CHUNK_SIZE, 65536);
        Executor a = executor("a", slow, x -> {
        });
        Executor c = executor("c", slow, x -> {
        });
        Executor b = executor("b", slow, x -> {
        });
        long size = 32L << 20;
        Path src = write(a.shareDir().resolve("same.bin"), size, 1);
        write(c.shareDir().resolve("same.bin"), 1000, 2);
        CompletableFuture<Path> second = new CompletableFuture<>();
        CompletableFuture<Throwable> fromC = new CompletableFuture<>();
        AtomicBoolean once = new AtomicBoolean();
        CompletableFuture<Path> first = b.requestFile("a", "same.bin", new TransferListener() {
            @Override
            public void progress(long bytes, long total) {
                if (bytes > size / 2 && once.compareAndSet(false, true)) {
                    b.requestFile("a", "same.bin").whenComplete((p, e) -> {
                        if (e != null) second.completeExceptionally(e);
                        else second.complete(p);
                    });
                    b.requestFile("c", "same.bin").whenComplete((p, e) -> fromC.complete(e));
                }
            }
        });
        Path got = first.get(60, TimeUnit.SECONDS);
        assertThat(sha(got)).isEqualTo(sha(src));
        assertThat(second.get(60, TimeUnit.SECONDS)).isEqualTo(got);
        assertThat(fromC.get(10, TimeUnit.SECONDS)).isInstanceOf(FileTransferException.class).hasMessageContaining("being fetched from executor a");
        assertThat(sha(got)).isEqualTo(sha(src));
    }

    @Test
    void smallFilesNeedNoResumeWhenTheirEndComesBeforeTheAnswer() throws Exception {
        Executor a = executor("a");
        Executor b = executor("b");
        for (int i = 0; i < 150; i++) write(a.shareDir().resolve("s/" + i), i % 3 == 0 ? 0 : 100, i);
        List<String> resumes = new CopyOnWriteArrayList<>();
        for (int i = 0; i < 150; i++) {
            int n = i;
            b.requestFile("a", "s/" + i, new TransferListener() {
                @Override
                public void resumed(long offset, String why) {
                    resumes.add(n + "@" + offset + ": " + why);
                }
            }).get(30, TimeUnit.SECONDS);
        }
        assertThat(resumes).isEmpty();
    }

    @Test
    void aFileRequestNamingAnUnknownDigestIsRefusedAndTheLinkCarriesOn() throws Exception {
        Executor a = executor("a", c -> {
        }, x -> {
        });
        Executor b = executor("b", c -> {
        }, x -> {
        });
        write(a.shareDir().resolve("f.txt"), 100, 4);
        Executor.PeerLink l = b.link("a").get(10, TimeUnit.SECONDS);
        byte[] req = new Wire.Writer(128).i64(l.fileConnId).i64(l.token).i64(4242).i64(0).str("f.txt").u8(7).toBytes();
        assertThatThrownBy(() -> l.control.request(new Message(ExecProtocol.FILE_REQUEST, req), Duration.ofSeconds(5)).get(10, TimeUnit.SECONDS))
                .hasCauseInstanceOf(RemoteException.class).hasMessageContaining("unknown file digest 7");
        assertThat(b.requestFile("a", "f.txt").get(30, TimeUnit.SECONDS)).exists();
    }

    @Test
    void aPeerThatStopsReadingHoldsAtMostHalfTheSendersAndOthersGoOn() throws Exception {
        Consumer<PagumaConfig.Builder> s = c -> c.set(new ExecutorConfig(), ExecutorConfig.NO_PROGRESS_TIMEOUT, Duration.ofSeconds(20))
                .set(new ExecutorConfig(), ExecutorConfig.FILE_WINDOW, 65536)
                .set(new ExecutorConfig(), ExecutorConfig.CHUNK_SIZE, 16384);
        Executor a = executor("a", s, x -> {
        });
        Executor bad = executor("bad", s, x -> {
        });
        Executor good = executor("good", s, x -> {
        });
        write(a.shareDir().resolve("big.bin"), 8L << 20, 2);
        write(a.shareDir().resolve("small.txt"), 10, 3);
        Executor.PeerLink l = bad.link("a").get(10, TimeUnit.SECONDS);
        l.file.pauseReading();
        int accepted = 0, busy = 0;
        for (int i = 0; i < 16; i++) {
            byte[] req = new Wire.Writer(128).i64(l.fileConnId).i64(l.token).i64(1000 + i).i64(0).str("big.bin").toBytes();
            try {
                l.control.request(new Message(ExecProtocol.FILE_REQUEST, req), Duration.ofSeconds(5)).get(10, TimeUnit.SECONDS);
                accepted++;
            } catch (ExecutionException e) {
                assertThat(e.getCause()).isInstanceOf(RemoteException.class);
                assertThat(((RemoteException) e.getCause()).status()).isEqualTo(ExecProtocol.BUSY);
                busy++;
            }
        }
        assertThat(accepted).isEqualTo(4);   // half of maxTransfers (8)
        assertThat(busy).isEqualTo(12);
        long t0 = System.nanoTime();
        good.requestFile("a", "small.txt").get(30, TimeUnit.SECONDS);
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(5));
    }

    @Test
    void aLinkPlantedWhereThePartFileGoesIsNotWrittenThrough() throws Exception {
        Executor a = executor("a");
        Executor b = executor("b");
        write(a.shareDir().resolve("x.bin"), 1000, 9);
        Path outside = tmp.resolve("outside.txt");
        Files.writeString(outside, "precious");
        Files.createSymbolicLink(b.shareDir().resolve("x.bin.part"), outside);
        Path got = b.requestFile("a", "x.bin").get(30, TimeUnit.SECONDS);
        assertThat(Files.readString(outside)).isEqualTo("precious");
        assertThat(Files.isSymbolicLink(got)).isFalse();
        assertThat(sha(got)).isEqualTo(sha(a.shareDir().resolve("x.bin")));
    }

    @Test
    void aKeyPublishedAgainAfterItsTaskEndedGivesTheResultAndAnotherPublishersKeyIsRefused() throws Exception {
        Executor pub = executor("pub");
        Executor pub2 = executor("pub2");
        CountDownLatch go = new CountDownLatch(1);
        executor("w", c -> {
        }, x -> x.handler("job", ctx -> "R".getBytes(StandardCharsets.UTF_8)).handler("wait", ctx -> {
            go.await(20, TimeUnit.SECONDS);
            return "W".getBytes(StandardCharsets.UTF_8);
        }));
        TaskHandle h1 = pub.publish(Task.builder("job").key("k1").build());
        assertThat(new String(h1.result().get(20, TimeUnit.SECONDS), StandardCharsets.UTF_8)).isEqualTo("R");
        await().atMost(Duration.ofSeconds(10)).until(() -> h1.status() != null && h1.status().state() == TaskState.DONE);
        TaskHandle again = pub.publish(Task.builder("job").key("k1").build());
        assertThat(new String(again.result().get(20, TimeUnit.SECONDS), StandardCharsets.UTF_8)).isEqualTo("R");
        assertThat(again.id()).isEqualTo(h1.id());
        // Another node with the same key: told at once whose task it is.
        TaskHandle mine = pub.publish(Task.builder("wait").key("k2").build());
        await().atMost(Duration.ofSeconds(10)).until(() -> mine.status() != null && mine.status().state() == TaskState.RUNNING);
        TaskHandle theirs = pub2.publish(Task.builder("wait").key("k2").build());
        assertThatThrownBy(() -> theirs.result().get(10, TimeUnit.SECONDS)).cause().isInstanceOf(TaskException.class)
                .hasMessageContaining("published by pub");
        go.countDown();
        assertThat(new String(mine.result().get(20, TimeUnit.SECONDS), StandardCharsets.UTF_8)).isEqualTo("W");
    }

    @Test
    void strangersThatHoldThePortsWithoutSpeakingAreClosed() throws Exception {
        Consumer<PagumaConfig.Builder> quick = c -> c.set(new ClusterConfig(), ClusterConfig.REQUEST_TIMEOUT, Duration.ofMillis(500));
        Executor a = executor("a", quick, x -> {
        });
        for (int port : new int[] {a.port(), a.filePort()}) {
            try (Socket s = new Socket("127.0.0.1", port)) {
                s.setSoTimeout(10_000);
                InputStream in = s.getInputStream();
                long t0 = System.nanoTime();
                while (in.read() >= 0) {
                    // the file port greets first; then nothing until the close
                }
                assertThat(Duration.ofNanos(System.nanoTime() - t0)).as("port %d", port).isLessThan(Duration.ofSeconds(5));
            }
        }
    }
}
