package io.paguma.cluster;

import io.paguma.PagumaConfig;
import io.paguma.testing.JavaSources;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A task survives the crash of its executor (SPEC X7): the executor runs in a process of its own,
 * is killed ({@code kill -9}) while it runs the task, and the registry node gives the task to
 * another executor; the publisher gets the result once.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ExecutorProcessTest {
    private static final Duration TTL = Duration.ofSeconds(1);
    @TempDir
    Path tmp;

    private static PagumaConfig config(String registry) {
        return Nodes.config().toBuilder()
                .set(new ClusterConfig(), ClusterConfig.REGISTRY, ClusterConfig.RegistryKind.NODE)
                .set(new ClusterConfig(), ClusterConfig.REGISTRY_ADDRESS, registry)
                .set(new ClusterConfig(), ClusterConfig.MEMBER_TTL, TTL)
                .set(new ClusterConfig(), ClusterConfig.SHARED_DATA, ClusterConfig.SharedDataKind.SERVICE)
                .build();
    }

    @Test
    void aTaskWhoseExecutorIsKilledRunsOnAnotherAndItsResultArrivesOnce() throws Exception {
        try (RegistryServer registry = RegistryServer.builder().host("127.0.0.1").port(0).memberTtl(TTL).build().start()) {
            String java = ProcessHandle.current().info().command().orElse("java");
            Path err = Files.createTempFile("executor-b", ".log");
            Process b = new ProcessBuilder(java, "-cp", JavaSources.testClassPath(), ExecutorProcessMain.class.getName(),
                    registry.address(), "b", String.valueOf(TTL.toMillis())).redirectError(err.toFile()).start();
            Executor pub = Executor.builder().shareDir(Files.createDirectories(tmp.resolve("pub"))).build();
            Daemon a = Daemon.builder().config(config(registry.address())).nodeId("pub").gateway(false)
                    .service(new SharedDataService()).component(pub).build().start();
            Daemon c = null;
            try {
                BufferedReader out = new BufferedReader(new InputStreamReader(b.getInputStream(), StandardCharsets.UTF_8));
                assertThat(out.readLine()).as("executor b's first line (its log: %s)", err).isEqualTo("READY");
                TaskHandle h = pub.publish(Task.builder("job").key("invoice-7").build());
                List<TaskStatus> seen = new CopyOnWriteArrayList<>();
                h.onChange(seen::add);
                assertThat(out.readLine()).isEqualTo("RUNNING " + h.id());
                // b said RUNNING on its stdout; its report of it reaches the publisher through the registry a moment later.
                await().atMost(Duration.ofSeconds(10)).until(() -> seen.stream().anyMatch(st -> st.state() == TaskState.RUNNING));
                long killed = System.nanoTime();
                b.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                AtomicInteger runsOnC = new AtomicInteger();
                Executor other = Executor.builder().shareDir(Files.createDirectories(tmp.resolve("c"))).handler("job", ctx -> {
                    runsOnC.incrementAndGet();
                    return ("done by c, attempt for " + ctx.task().key()).getBytes(StandardCharsets.UTF_8);
                }).build();
                c = Daemon.builder().config(config(registry.address())).nodeId("c").gateway(false).component(other).build().start();
                assertThat(new String(h.result().get(30, TimeUnit.SECONDS), StandardCharsets.UTF_8)).isEqualTo("done by c, attempt for invoice-7");
                long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killed);
                await().atMost(Duration.ofSeconds(10)).until(() -> h.status() != null && h.status().state() == TaskState.DONE);
                assertThat(h.status().attempts()).isEqualTo(2);
                assertThat(h.status().executor()).isEqualTo("c");
                assertThat(runsOnC.get()).isEqualTo(1);
                assertThat(seen).extracting(TaskStatus::state).containsSubsequence(TaskState.RUNNING, TaskState.QUEUED, TaskState.ASSIGNED, TaskState.DONE);
                System.out.println("ExecutorProcessTest: executor b killed while running the task; the result came from c "
                        + ms + " ms later (memberTtl " + TTL.toMillis() + " ms)");
            } finally {
                b.destroyForcibly();
                if (c != null) c.stop();
                a.stop();
                Files.deleteIfExists(err);
            }
        }
    }
}
