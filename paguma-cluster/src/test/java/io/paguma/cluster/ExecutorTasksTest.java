package io.paguma.cluster;

import io.paguma.PagumaConfig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * Tasks between executors (SPEC X7; seed 002 §3.1.2), on the in-process task queue: nodes in one
 * JVM, each with an executor, links on real loopback sockets.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ExecutorTasksTest {
    final Nodes nodes = nodes();

    /** The nodes and their registry: here one in-process registry and its task queue. */
    Nodes nodes() {
        return new Nodes();
    }

    /** The tasks each executor holds now, as the queue sees it. */
    Map<String, Integer> load() {
        return ((InProcessTaskQueue) nodes.registry.tasks()).load();
    }
    @TempDir
    Path tmp;
    private final List<Daemon> daemons = new ArrayList<>();

    @AfterEach
    void stop() {
        nodes.close();
        closeRegistry();
    }

    void closeRegistry() {
    }

    Executor executor(String id, Consumer<Executor.Builder> setup) throws Exception {
        Executor.Builder b = Executor.builder().shareDir(Files.createDirectories(tmp.resolve(id)));
        setup.accept(b);
        Executor e = b.build();
        daemons.add(nodes.start(Daemon.builder().config(Nodes.config()).nodeId(id).registry(nodes.registry)
                .sharedData(nodes.data).gateway(false).component(e)));
        return e;
    }

    static byte[] sha256Hex(Path file) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file))).getBytes(StandardCharsets.UTF_8);
    }

    static String text(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }

    @Test
    void aTaskRunsOnAnExecutorOfItsTypeWithItsFilesAndTheResultComesBack() throws Exception {
        Executor pub = executor("pub", b -> {
        });
        List<String> ranOn = new CopyOnWriteArrayList<>();
        Executor worker = executor("worker", b -> b.handler("checksum", ctx -> {
            ranOn.add(ctx.executor().toString());
            return sha256Hex(ctx.file("in/photo.bin"));
        }));
        byte[] photo = new byte[300_000];
        new java.util.Random(1).nextBytes(photo);
        Files.createDirectories(pub.shareDir().resolve("in"));
        Files.write(pub.shareDir().resolve("in/photo.bin"), photo);
        List<TaskState> seen = new CopyOnWriteArrayList<>();
        TaskHandle h = pub.publish(Task.builder("checksum").file("in/photo.bin").build()).onChange(s -> seen.add(s.state()));
        assertThat(text(h.result().get(30, TimeUnit.SECONDS))).isEqualTo(text(sha256Hex(pub.shareDir().resolve("in/photo.bin"))));
        assertThat(ranOn).containsExactly("Executor[worker]");
        // The file was fetched into the worker's shared directory under its name.
        assertThat(Files.readAllBytes(worker.shareDir().resolve("in/photo.bin"))).isEqualTo(photo);
        await().atMost(Duration.ofSeconds(10)).until(() -> seen.contains(TaskState.DONE));
        // A listener added after publish hears the state then and every later one, in order, ending with DONE.
        assertThat(seen).last().isEqualTo(TaskState.DONE);
        assertThat(seen).doesNotHaveDuplicates();
        List<TaskState> order = List.of(TaskState.QUEUED, TaskState.ASSIGNED, TaskState.RUNNING, TaskState.DONE);
        assertThat(seen).isSortedAccordingTo(java.util.Comparator.comparingInt(order::indexOf));
        TaskStatus s = pub.taskStatus(h.id()).get(5, TimeUnit.SECONDS);
        assertThat(s.state()).isEqualTo(TaskState.DONE);
        assertThat(s.executor()).isEqualTo("worker");
        assertThat(s.attempts()).isEqualTo(1);
    }

    @Test
    void tasksGoToTheLeastLoadedExecutorThatRunsTheirType() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        TaskHandler slow = ctx -> {
            release.await(20, TimeUnit.SECONDS);
            return ctx.executor().toString().getBytes(StandardCharsets.UTF_8);
        };
        Executor pub = executor("pub", b -> {
        });
        executor("b", b -> b.handler("slow", slow).slots(4));
        executor("c", b -> b.handler("slow", slow).slots(4));
        executor("d", b -> b.handler("other", ctx -> new byte[0]).slots(4));
        List<TaskHandle> hs = new ArrayList<>();
        for (int i = 0; i < 6; i++) hs.add(pub.publish(Task.builder("slow").build()));
        await().atMost(Duration.ofSeconds(10)).until(() -> load().getOrDefault("b", 0) + load().getOrDefault("c", 0) == 6);
        assertThat(load()).containsEntry("b", 3).containsEntry("c", 3).containsEntry("d", 0);
        release.countDown();
        for (TaskHandle h : hs) assertThat(text(h.result().get(20, TimeUnit.SECONDS))).isIn("Executor[b]", "Executor[c]");
    }

    @Test
    void aTaskSurvivesTheCrashOfItsExecutorAndItsResultReachesThePublisherOnce() throws Exception {
        Executor pub = executor("pub", b -> {
        });
        CountDownLatch onB = new CountDownLatch(1);
        CountDownLatch never = new CountDownLatch(1);
        AtomicInteger runs = new AtomicInteger();
        executor("b", b -> b.handler("job", ctx -> {
            runs.incrementAndGet();
            onB.countDown();
            never.await(30, TimeUnit.SECONDS);   // b dies while it runs this
            return "from b".getBytes(StandardCharsets.UTF_8);
        }));
        TaskHandle h = pub.publish(Task.builder("job").key("order-42").build());
        List<TaskStatus> seen = new CopyOnWriteArrayList<>();
        h.onChange(seen::add);
        assertThat(onB.await(10, TimeUnit.SECONDS)).isTrue();
        executor("c", b -> b.handler("job", ctx -> {
            runs.incrementAndGet();
            return "from c".getBytes(StandardCharsets.UTF_8);
        }));
        daemons.get(1).stop();   // b goes away with the task unfinished
        assertThat(text(h.result().get(20, TimeUnit.SECONDS))).isEqualTo("from c");
        await().atMost(Duration.ofSeconds(10)).until(() -> h.status() != null && h.status().state() == TaskState.DONE);
        assertThat(h.status().attempts()).isEqualTo(2);
        assertThat(h.status().executor()).isEqualTo("c");
        assertThat(seen).extracting(TaskStatus::state).containsSubsequence(TaskState.RUNNING, TaskState.QUEUED, TaskState.ASSIGNED, TaskState.DONE);
        assertThat(runs.get()).isEqualTo(2);
        // Published again with its key: the same task, already done; its handler does not run again.
        TaskHandle again = pub.publish(Task.builder("job").key("order-42").build());
        await().atMost(Duration.ofSeconds(5)).until(() -> again.status() != null);
        assertThat(again.id()).isEqualTo(h.id());
        assertThat(again.status().state()).isEqualTo(TaskState.DONE);
        assertThat(runs.get()).isEqualTo(2);
        never.countDown();
    }

    @Test
    void aHandlerThatThrowsFailsTheTaskAndOneThatTakesTooLongTimesOut() throws Exception {
        Executor pub = executor("pub", b -> {
        });
        CountDownLatch release = new CountDownLatch(1);
        executor("w", b -> b.handler("bad", ctx -> {
            throw new IllegalStateException("cannot do " + text(ctx.task().payload()));
        }).handler("long", ctx -> {
            release.await(20, TimeUnit.SECONDS);
            return new byte[0];
        }));
        TaskHandle bad = pub.publish(Task.builder("bad").payload("this").build());
        assertThatThrownBy(() -> bad.result().get(10, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                .cause().isInstanceOf(TaskException.class).hasMessageContaining("cannot do this").hasMessageContaining("w");
        await().atMost(Duration.ofSeconds(5)).until(() -> bad.status() != null && bad.status().state() == TaskState.FAILED);
        TaskHandle slow = pub.publish(Task.builder("long").timeout(Duration.ofMillis(300)).build());
        assertThatThrownBy(() -> slow.result().get(10, TimeUnit.SECONDS)).cause().isInstanceOf(TaskException.class)
                .hasMessageContaining("TIMED_OUT").hasMessageContaining("300 ms");
        release.countDown();
        // A task nobody runs stays QUEUED (and fails only at its publisher's wish).
        TaskHandle orphan = pub.publish(Task.builder("nobody-runs-this").build());
        await().atMost(Duration.ofSeconds(5)).until(() -> orphan.status() != null);
        assertThat(orphan.status().state()).isEqualTo(TaskState.QUEUED);
    }

    @Test
    void aTaskWhoseFileIsMissingFailsNamingIt() throws Exception {
        Executor pub = executor("pub", b -> {
        });
        executor("w", b -> b.handler("needs", ctx -> new byte[0]));
        TaskHandle h = pub.publish(Task.builder("needs").file("missing.bin").build());
        assertThatThrownBy(() -> h.result().get(20, TimeUnit.SECONDS)).cause().isInstanceOf(TaskException.class)
                .hasMessageContaining("missing.bin");
    }
}
