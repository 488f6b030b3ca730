package io.paguma.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.paguma.bench.load.LoadResult;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The runner end to end: servers and clients in their own JVMs, results read back, ratios paired. */
class ComparisonTest {

    @Test
    void targetsParse() {
        assertThat(Runner.Target.parse("netty").baseline()).isTrue();
        assertThat(Runner.Target.parse("paguma:pool=0").pool()).isZero();
        assertThat(Runner.Target.parse("paguma").pool()).isNull();
        assertThatThrownBy(() -> Runner.Target.parse("zinx")).hasMessageContaining("netty, paguma or paguma:pool=N");
    }

    @Test
    void medianOfEvenAndOddCounts() {
        assertThat(Comparison.median(new double[] {3, 1, 2})).isEqualTo(2);
        assertThat(Comparison.median(new double[] {4, 1, 2, 3})).isEqualTo(2.5);
    }

    @Test
    void comparesBaselineAndPagumaInSeparateJvms(@TempDir Path dir) throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        Runner runner = new Runner(out, "none", "none", "-Xmx256m", "-Xmx256m", dir);
        Runner.Target netty = Runner.Target.parse("netty");
        Runner.Target paguma = Runner.Target.parse("paguma:pool=0");
        Comparison c = Comparison.run(runner, out, "test", List.of(netty, paguma), 2,
                List.of("-c", "4", "-d", "2", "-s", "32", "--warmup", "0.3", "--duration", "0.7", "--quiet"));
        for (Runner.Target t : List.of(netty, paguma)) {
            List<LoadResult> runs = c.results.get(t);
            assertThat(runs).hasSize(2);
            assertThat(runs).allSatisfy(r -> {
                assertThat(r.failures()).isZero();
                assertThat(r.messages()).isPositive();
            });
        }
        double expected = Comparison.median(new double[] {
                c.results.get(paguma).get(0).msgsPerSec() / c.results.get(netty).get(0).msgsPerSec(),
                c.results.get(paguma).get(1).msgsPerSec() / c.results.get(netty).get(1).msgsPerSec()});
        assertThat(c.ratio(paguma)).isEqualTo(expected);
        assertThat(c.ratio(netty)).isEqualTo(1.0);
        assertThat(bytes.toString()).contains("paguma:pool=0").contains("ratio");
        try (var files = Files.list(dir)) {
            assertThat(files.filter(f -> f.toString().endsWith(".json")).count()).isEqualTo(4);
        }
    }

    @Test
    void measuresServerMemoryWithIdleConnections(@TempDir Path dir) throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        Runner runner = new Runner(out, "none", "none", "-Xmx256m", "-Xmx256m", dir);
        try (Runner.ServerProcess server = runner.server(Runner.Target.parse("paguma"))) {
            var m = runner.idleMemory(server, 200);
            assertThat(m[0].connections()).isZero();
            assertThat(m[1].connections()).isEqualTo(200);
            assertThat(m[1].heapUsed()).isPositive();
            assertThat(m[1].heapUsed()).isGreaterThan(m[0].heapUsed());
        }
    }
}
