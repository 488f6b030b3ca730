package io.paguma.cli;

import io.paguma.cluster.NodeInfo;
import io.paguma.cluster.Registry.Membership;
import io.paguma.cluster.RegistryClient;
import io.paguma.testing.LogCapture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** {@code paguma registry}: the registry node runs until stopped, and a member that joins it is seen. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RegistryCommandTest {

    @Test
    void aMemberJoinsTheRegistryNodeAndIsSeenThenLeaves() throws Exception {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cli = new CommandLine(new Main());
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        RegistryCommand command = cli.getSubcommands().get("registry").getCommand();
        try (LogCapture logs = LogCapture.start()) {
            CompletableFuture<Integer> run = CompletableFuture.supplyAsync(() -> Main.run(cli, "registry", "--port", "0"));
            await().atMost(Duration.ofSeconds(10)).until(() -> command.server != null || run.isDone());
            assertThat(run).as(err.toString()).isNotDone();
            String address = command.server.address();
            await().atMost(Duration.ofSeconds(2)).until(() -> out.toString().contains("registry node listening on " + address));

            try (RegistryClient view = RegistryClient.builder().address(address).build();
                 RegistryClient other = RegistryClient.builder().address(address).build()) {
                NodeInfo info = NodeInfo.of("cli-member", "127.0.0.1", 7001).withLoad(2);
                Membership m = view.join(info).get(10, TimeUnit.SECONDS);
                await().atMost(Duration.ofSeconds(2)).until(() -> info.equals(other.members().get("cli-member")));
                assertThat(command.server.members()).containsEntry("cli-member", info);
                m.leave().get(10, TimeUnit.SECONDS);
                await().atMost(Duration.ofSeconds(2)).until(() -> !other.members().containsKey("cli-member"));
            }
            assertThat(logs.lines("registry", "JOINED node cli-member")).hasSize(1);
            assertThat(logs.lines("registry", "LEFT cli-member (left)")).hasSize(1);

            command.server.stop();
            assertThat(run.get(10, TimeUnit.SECONDS)).as(err.toString()).isZero();
            assertThat(out.toString()).contains("registry node stopped");
        }
    }

    @Test
    void aBadPortIsRefused() {
        StringWriter err = new StringWriter();
        CommandLine cli = new CommandLine(new Main());
        cli.setErr(new PrintWriter(err, true));
        assertThat(Main.run(cli, "registry", "--port", "70000")).isEqualTo(2);
        assertThat(err.toString()).contains("--port: must be 0..65535, got 70000");
    }
}
