package io.paguma.bench;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

class HubCommandTest {

    @Test
    void bothScenariosDeliverAndEveryReplyMatches() {
        PrintStream old = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        int code;
        System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            code = new CommandLine(new BenchMain()).execute("hub", "--in-process", "--rounds", "1", "--warmup", "0.5",
                    "--duration", "1", "--window", "16");
        } finally {
            System.setOut(old);
        }
        String out = captured.toString(StandardCharsets.UTF_8);
        assertThat(code).as(out).isZero();
        assertThat(out).contains("round 1 core").contains("round 1 hub").contains("| median |")
                .contains("failures (mismatched or unanswered replies): 0");
        assertThat(out.lines().filter(l -> l.startsWith("round 1 ")))
                .hasSize(2)
                .allSatisfy(l -> assertThat(l).contains("mismatched 0, unanswered 0").doesNotContain(" 0 msgs/s"));
    }
}
