package io.paguma;

import io.paguma.testing.LogCapture;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 10, item 7: the first exception of each route is logged in full (line and stack trace),
 * even within the warn interval of another route's failure; later ones stay rate-limited.
 */
class RouterFailureLogTest {
    private static Router failing(String marker) {
        return r -> {
            throw new IllegalStateException(marker);
        };
    }

    private static Request request(int id) {
        return new Request(null, new Message(id, new byte[0]));
    }

    @Test
    void eachRoutesFirstFailureIsLoggedInFullLaterOnesAreRateLimited() {
        String run = UUID.randomUUID().toString();
        String one = "one-" + run, two = "two-" + run, unknown = "unknown-" + run;
        // An interval no test outlasts: every line after the first of an interval would be held back.
        MessageHandler handler = new MessageHandler(RouteTable.of(Map.of(1, failing(one), 2, failing(two)), failing(unknown)),
                Duration.ofHours(1), new io.paguma.internal.EventHub(java.util.List.of(), null));
        try (LogCapture logs = LogCapture.start()) {
            handler.handle(request(1));
            handler.handle(request(2));
            handler.handle(request(1));
            handler.handle(request(2));
            handler.handle(request(77));
            handler.handle(request(78));
            handler.handle(request(2));

            for (String marker : new String[] {one, two, unknown}) {
                assertThat(logs.at("WARN", marker)).as("lines of " + marker).hasSize(1);
            }
            for (String marker : new String[] {one, two, unknown}) {
                assertThat(logs.at("WARN", marker)).singleElement().asString()
                        .contains("threw in handle", "first failure of this route");
                assertThat(logs.traces("java.lang.IllegalStateException: " + marker))
                        .as("the stack trace of " + marker).hasSize(1);
            }
            assertThat(logs.at("WARN", "unknown-" + run)).singleElement().asString().contains("message id 77");
        }
    }

    @Test
    void aRouteThatAlwaysFailsIsStillRateLimited() {
        String marker = "flood-" + UUID.randomUUID();
        MessageHandler handler = new MessageHandler(RouteTable.of(Map.of(1, failing(marker)), null), Duration.ofHours(1),
                new io.paguma.internal.EventHub(java.util.List.of(), null));
        try (LogCapture logs = LogCapture.start()) {
            for (int i = 0; i < 50; i++) handler.handle(request(1));
            assertThat(logs.lines(marker)).hasSize(1);
        }
    }
}
