package io.paguma.cluster;

import io.paguma.cluster.Registry.MembershipChange;
import io.paguma.cluster.Registry.MembershipChange.Type;
import io.paguma.testing.JavaSources;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** A member in another JVM, killed without a chance to leave, is dropped and seen to leave. */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class RegistryProcessTest {
    private static final Duration TTL = Duration.ofSeconds(1);

    @Test
    void aMemberProcessKilledWithoutLeavingIsDroppedWithinTheTtl() throws Exception {
        try (RegistryServer node = RegistryServer.builder().host("127.0.0.1").port(0).memberTtl(TTL).build().start();
             RegistryClient watcher = RegistryClient.builder().address(node.address()).memberTtl(TTL).build()) {
            List<MembershipChange> seen = new CopyOnWriteArrayList<>();
            List<Long> leftAt = new CopyOnWriteArrayList<>();
            watcher.watch(c -> {
                seen.add(c);
                if (c.type() == Type.LEFT) {
                    leftAt.add(System.nanoTime());
                }
            });
            String java = ProcessHandle.current().info().command().orElse("java");
            Path err = Files.createTempFile("registry-member", ".log");
            Process child = new ProcessBuilder(java, "-cp", JavaSources.testClassPath(),
                    RegistryMemberMain.class.getName(), node.address(), "child", String.valueOf(TTL.toMillis()))
                    .redirectError(err.toFile()).start();
            try {
                BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
                assertThat(out.readLine()).as("the child's first line (stderr in %s)", err).isEqualTo("JOINED child");
                await().atMost(Duration.ofSeconds(5)).until(() -> watcher.members().containsKey("child"));
                // Alive for several TTLs: its heartbeats keep it.
                await().during(TTL.multipliedBy(2)).atMost(TTL.multipliedBy(3)).until(() -> node.members().containsKey("child"));
                long killedAt = System.nanoTime();
                child.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                await().atMost(TTL.plusSeconds(2)).until(() -> !leftAt.isEmpty());
                long ms = TimeUnit.NANOSECONDS.toMillis(leftAt.get(0) - killedAt);
                System.out.println("killed member process seen to leave " + ms + " ms after the kill (memberTtl "
                        + TTL.toMillis() + " ms)");
                assertThat(ms).isLessThanOrEqualTo(TTL.plusMillis(700).toMillis());
                MembershipChange left = seen.stream().filter(c -> c.type() == Type.LEFT).findFirst().orElseThrow();
                assertThat(left.node().id()).isEqualTo("child");
                assertThat(left.reason()).contains("link", "closed");
                assertThat(watcher.members()).doesNotContainKey("child");
            } finally {
                child.destroyForcibly();
                Files.deleteIfExists(err);
            }
        }
    }
}
