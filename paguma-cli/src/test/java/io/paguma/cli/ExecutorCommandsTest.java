package io.paguma.cli;

import io.paguma.cluster.RegistryServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * {@code ./paguma executor}, {@code ./paguma task publish} and {@code ./paguma fetch} against a
 * registry node, as docs/EXECUTORS.md walks through them (in one JVM, on loopback ports).
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class ExecutorCommandsTest {
    @TempDir
    Path tmp;

    private Path config(String name, String body) throws Exception {
        Path f = tmp.resolve(name + ".yaml");
        Files.writeString(f, body);
        return f;
    }

    @Test
    void anExecutorRunsAPublishedTaskOnAFileAndAFileIsFetchedWithProgress() throws Exception {
        try (RegistryServer registry = RegistryServer.builder().host("127.0.0.1").port(0).memberTtl(Duration.ofSeconds(2)).build().start()) {
            String cluster = "ioThreads: 1\nworkerPoolSize: 2\ncluster:\n  registry: node\n  registryAddress: " + registry.address()
                    + "\n  sharedData: service\n  memberTtl: 2s\n";
            Path aDir = Files.createDirectories(tmp.resolve("a"));
            Path bDir = Files.createDirectories(tmp.resolve("b"));
            byte[] photo = new byte[5_000_000];
            new Random(3).nextBytes(photo);
            Files.createDirectories(aDir.resolve("photos"));
            Files.write(aDir.resolve("photos/cat.bin"), photo);
            Files.write(bDir.resolve("report.txt"), "quarterly numbers".getBytes(StandardCharsets.UTF_8));
            String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(photo));

            ExecutorCommand b = new ExecutorCommand();
            b.config = config("exe-b", cluster + "  nodeId: b\nexecutor:\n  shareDir: " + bDir + "\n");
            b.types = java.util.List.of("checksum", "echo");
            CompletableFuture<Integer> running = CompletableFuture.supplyAsync(() -> {
                try {
                    return b.call();
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            });
            await().atMost(Duration.ofSeconds(30)).until(() -> b.started.getCount() == 0 || running.isDone());
            assertThat(running).as("the executor command is running").isNotDone();
            try {
                // The publisher's shared directory holds the task's file; b fetches it, checks it, answers.
                TaskCommand.Publish publish = new TaskCommand.Publish();
                publish.config = config("pub", cluster + "executor:\n  shareDir: " + aDir + "\n");
                publish.type = "checksum";
                publish.files = java.util.List.of("photos/cat.bin");
                publish.timeout = "30s";
                ByteArrayOutputStream out = new ByteArrayOutputStream();
                publish.out = new PrintStream(out, true, StandardCharsets.UTF_8);
                assertThat(publish.call()).isZero();
                String printed = out.toString(StandardCharsets.UTF_8);
                assertThat(printed).contains(sha + "  photos/cat.bin").contains("on b").contains("DONE");

                // Fetch from b, piped: plain progress lines, then the file and its SHA-256.
                FetchCommand fetch = new FetchCommand();
                fetch.config = config("fetch", cluster);
                fetch.from = "b";
                fetch.name = "report.txt";
                fetch.to = Files.createDirectories(tmp.resolve("downloads"));
                fetch.terminal = false;
                ByteArrayOutputStream fout = new ByteArrayOutputStream();
                fetch.out = new PrintStream(fout, true, StandardCharsets.UTF_8);
                assertThat(fetch.call()).isZero();
                assertThat(Files.readString(fetch.to.resolve("report.txt"))).isEqualTo("quarterly numbers");
                assertThat(fout.toString(StandardCharsets.UTF_8)).contains("fetching report.txt from b: 17 B").contains("100% 17 B of 17 B")
                        .contains("sha-256 ");
                // A name outside b's shared directory: refused, exit code 1, nothing written.
                fetch.name = "../a/photos/cat.bin";
                ByteArrayOutputStream refused = new ByteArrayOutputStream();
                fetch.out = new PrintStream(refused, true, StandardCharsets.UTF_8);
                assertThat(fetch.call()).isEqualTo(1);
                assertThat(refused.toString(StandardCharsets.UTF_8)).contains("failed").contains("leaves the shared directory");
            } finally {
                b.stop.countDown();
                assertThat(running.get(30, TimeUnit.SECONDS)).isZero();
            }
        }
    }
}
