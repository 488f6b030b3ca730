package io.paguma;

import io.paguma.testing.FrameSocket;
import io.paguma.testing.JavaSources;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Issue 11, item 6: a server that runs out of file descriptors cannot accept for a while, but
 * does not stop: once descriptors are free again it accepts and serves. Provoked for real, in a
 * child process with a low {@code ulimit -n}.
 */
class AcceptErrorTest {

    @Test
    void runningOutOfFileDescriptorsDoesNotStopTheServer() throws Exception {
        String java = ProcessHandle.current().info().command().orElse("java");
        Path log = Files.createTempFile("accept-error", ".log");
        ProcessBuilder pb = new ProcessBuilder("bash", "-c",
                "ulimit -n 256 && exec \"$0\" -cp \"$1\" io.paguma.testing.EchoMain", java, JavaSources.testClassPath())
                .redirectError(log.toFile());
        Process child = pb.start();
        List<Socket> flood = new ArrayList<>();
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
            String line = out.readLine();
            assertThat(line).as("child's first line (stderr: %s)", log).startsWith("PORT ");
            int port = Integer.parseInt(line.substring(5).trim());
            // More connections than the child has descriptors: the kernel completes them (backlog),
            // the child's accept fails with "too many open files" for the rest.
            for (int i = 0; i < 400; i++) {
                Socket s = new Socket(InetAddress.getLoopbackAddress(), port);
                flood.add(s);
            }
            // One clear line (rate-limited), not a stack trace per failed accept.
            await().atMost(Duration.ofSeconds(20)).until(() -> Files.readString(log).contains("cannot accept a connection"));
            assertThat(Files.readString(log)).contains("out of file descriptors").doesNotContain("reached at the tail");
            for (Socket s : flood) s.close();
            flood.clear();
            // Descriptors are free again: the server accepts and answers as before.
            await().atMost(Duration.ofSeconds(30)).ignoreExceptions().untilAsserted(() -> {
                try (FrameSocket after = FrameSocket.connect(port)) {
                    after.send(1, "alive");
                    assertThat(after.read().text()).isEqualTo("alive");
                }
            });
            assertThat(child.isAlive()).isTrue();
        } finally {
            for (Socket s : flood) s.close();
            child.getOutputStream().close();
            if (!child.waitFor(20, TimeUnit.SECONDS)) child.destroyForcibly();
            Files.deleteIfExists(log);
        }
    }
}
