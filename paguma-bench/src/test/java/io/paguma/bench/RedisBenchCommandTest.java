package io.paguma.bench;

import io.paguma.redis.RedisServerHarness;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code bench redis} with tiny runs against a real redis-server (RedisServerHarness, paguma-redis's test-jar). */
class RedisBenchCommandTest {
    private static RedisServerHarness redis;

    @BeforeAll
    static void start() {
        redis = RedisServerHarness.start();
    }

    @AfterAll
    static void stop() {
        redis.close();
    }

    @Test
    void everyOperationRunsOnBothSidesWithoutFailuresAndPrintsTheRatio() {
        boolean haveBenchmark = haveRedisBenchmark();
        List<String> args = new ArrayList<>(List.of("redis", "--uri", redis.uri(), "--in-flight", "8",
                "--duration", "1", "--warmup", "0", "--rounds", "1", "--keyspace", "100"));
        if (!haveBenchmark) {
            System.err.println("RedisBenchCommandTest: redis-benchmark is not on the PATH, so the test measures Paguma alone (--paguma-only)");
            args.add("--paguma-only");
        }
        Run run = run(args.toArray(String[]::new));
        assertThat(run.code).as(run.out + run.err).isZero();
        for (String op : List.of("SET ", "GET ", "INCR")) {
            assertThat(run.out).contains("round 1 " + op + " paguma");
            if (haveBenchmark) assertThat(run.out).contains("round 1 " + op + " redis-benchmark");
        }
        assertThat(run.out).contains("failures 0").doesNotContain(" 0 ops/s").contains("value 3 B");
        assertThat(run.out).doesNotContainPattern("failures [1-9]");
        if (haveBenchmark) assertThat(run.out).contains("ratio").contains("target >= 0.7");
    }

    @Test
    void aMissingRedisServerFailsNamingWhatToDo() {
        Run run = run("redis", "--redis-server", "/nonexistent/redis-server", "--paguma-only");
        assertThat(run.code).isNotZero();
        assertThat(run.err).contains("redis-server not found at /nonexistent/redis-server").contains("--uri");
    }

    @Test
    void aMissingRedisBenchmarkFailsNamingWhatToDo() {
        Run run = run("redis", "--uri", redis.uri(), "--redis-benchmark", "/nonexistent/redis-benchmark");
        assertThat(run.code).isNotZero();
        assertThat(run.err).contains("redis-benchmark not found at /nonexistent/redis-benchmark").contains("--paguma-only");
    }

    private record Run(int code, String out, String err) {
    }

    private static Run run(String... args) {
        PrintStream old = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        StringWriter err = new StringWriter();
        int code;
        System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            CommandLine cl = new CommandLine(new BenchMain());
            cl.setErr(new PrintWriter(err, true));
            code = cl.execute(args);
        } finally {
            System.setOut(old);
        }
        return new Run(code, captured.toString(StandardCharsets.UTF_8), err.toString());
    }

    private static boolean haveRedisBenchmark() {
        try {
            RedisBenchCommand.executable("redis-benchmark", "redis-benchmark", "");
            return true;
        } catch (IllegalStateException absent) {
            return false;
        }
    }
}
