package io.paguma;

import io.paguma.testing.FrameSocket;
import io.paguma.testing.LogCapture;
import io.paguma.testing.Servers;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Issue 9, item 16: a server's rate-limited warnings report what they held back by themselves. */
class WarningSummaryTest {
    private static final Pattern SUMMARY = Pattern.compile("(\\d+) similar warnings suppressed in the last \\d+ ms \\(last: ");
    private static final Pattern HELD = Pattern.compile("\\((\\d+) similar warnings suppressed\\)");

    @Test
    void refusalsHeldBackAreSummarisedWhenTheIntervalEndsWithoutAnotherRefusal() throws Exception {
        // An unusual maxConn tells this server's lines from any other test's.
        String reason = "maxConn 2 reached";
        Server server = Server.builder().config(Servers.config().maxConn(2).warnInterval(Duration.ofMillis(1500)).build())
                .route(2, r -> r.reply(2, r.data()))
                .build().start();
        try (LogCapture logs = LogCapture.start();
             FrameSocket a = FrameSocket.connect(server.port());
             FrameSocket b = FrameSocket.connect(server.port())) {
            a.send(2, "a");
            b.send(2, "b");
            assertThat(a.read().text()).isEqualTo("a");
            assertThat(b.read().text()).isEqualTo("b");
            for (int i = 0; i < 5; i++) {
                try (FrameSocket refused = FrameSocket.connect(server.port())) {
                    assertThat(refused.closedByPeer()).isTrue();
                }
            }
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                    assertThat(logs.lines(reason)).last().asString().containsPattern(SUMMARY));
            List<String> lines = logs.lines(reason);
            long accounted = 0;
            for (String line : lines) {
                Matcher summary = SUMMARY.matcher(line);
                if (summary.find()) {
                    accounted += Long.parseLong(summary.group(1));
                    continue;
                }
                accounted++;
                Matcher held = HELD.matcher(line);
                if (held.find()) accounted += Long.parseLong(held.group(1));
            }
            assertThat(accounted).as("every refusal reported exactly once: %s", lines).isEqualTo(5);
        } finally {
            server.stop();
        }
    }
}
