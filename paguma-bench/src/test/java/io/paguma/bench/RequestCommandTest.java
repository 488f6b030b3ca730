package io.paguma.bench;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

class RequestCommandTest {

    @Test
    void bothModesRunWithoutFailuresAndPrintTheRatio() {
        PrintStream old = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        int code;
        System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            code = new CommandLine(new BenchMain()).execute("rr", "-c", "2", "-d", "8", "--duration", "1", "--warmup", "0", "--rounds", "1");
        } finally {
            System.setOut(old);
        }
        String out = captured.toString(StandardCharsets.UTF_8);
        assertThat(code).as(out).isZero();
        assertThat(out).contains("round 1 send").contains("round 1 request").contains("failures 0").contains("ratio");
        assertThat(out).doesNotContain(" 0 msg/s");
    }
}
