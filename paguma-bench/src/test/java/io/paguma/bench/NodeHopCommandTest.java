package io.paguma.bench;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code ./paguma bench node-hop}: both phases run, every request is answered, in both setups. */
class NodeHopCommandTest {

    private static String run(String... args) {
        PrintStream old = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        int code;
        System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            code = new CommandLine(new BenchMain()).execute(args);
        } finally {
            System.setOut(old);
        }
        String out = captured.toString(StandardCharsets.UTF_8);
        assertThat(code).as(out).isZero();
        assertThat(out.lines().filter(l -> l.startsWith("round 1 ")))
                .hasSize(2)
                .allSatisfy(l -> assertThat(l).endsWith("failures 0").doesNotContain("         0 req/s"));
        assertThat(out).contains("round 1 local").contains("round 1 hop").contains("throughput ratio");
        return out;
    }

    @Test
    void nodesInThisJvm() {
        assertThat(run("node-hop", "--rounds", "1", "--warmup", "1", "--duration", "1", "--clients", "2", "--depth", "4"))
                .contains("nodes and clients in one JVM");
    }

    @Test
    void nodesInProcessesOfTheirOwn() {
        // Node b (with the registry node) and node a are started as JVMs of their own and stop when
        // this one closes their input; the requests cross real processes.
        assertThat(run("node-hop", "--processes", "--rounds", "1", "--warmup", "1", "--duration", "1", "--clients", "2", "--depth", "4"))
                .contains("nodes a and b in processes of their own (cpus a any, b any)");
    }
}
