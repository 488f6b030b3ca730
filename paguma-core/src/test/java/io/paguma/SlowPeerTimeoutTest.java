package io.paguma;

import io.paguma.testing.FrameSocket;
import io.paguma.testing.LogCapture;
import io.paguma.testing.Servers;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * slowPeerTimeout (issue 16, B2): a client that sends requests and never reads its replies used to
 * be paused forever (its replies held below maxPendingWriteBytes, the kernel's buffers pinned:
 * 7-9 MiB each, measured). It is now cut off once it has left more than the high water mark
 * unread for slowPeerTimeout, with one line and a slowPeerCut event; others carry on.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class SlowPeerTimeoutTest {

    private static Server server(Duration slowPeerTimeout, List<Long> cuts) {
        return Server.builder().config(Servers.config().slowPeerTimeout(slowPeerTimeout).build())
                .route(1, r -> r.reply(1, r.data()))
                .eventListener(new EndpointListener() {
                    @Override
                    public void slowPeerCut(Connection connection, long pendingBytes) {
                        cuts.add(pendingBytes);
                    }
                })
                .build().start();
    }

    /** Sends echo requests of 8 KiB without ever reading, until the server stops taking them or cuts the connection. */
    private static Thread flood(FrameSocket greedy) {
        Thread t = new Thread(() -> {
            byte[] payload = new byte[8192];
            try {
                for (int i = 0; i < 5000; i++) greedy.send(1, payload);
            } catch (IOException cut) {
                // the server cut it off
            }
        });
        t.setDaemon(true);
        t.start();
        return t;
    }

    @Test
    void aPeerThatNeverReadsIsCutOffAfterTheTimeoutWhileOthersCarryOn() throws Exception {
        List<Long> cuts = new CopyOnWriteArrayList<>();
        Server server = server(Duration.ofMillis(500), cuts);
        try (LogCapture logs = LogCapture.start();
             FrameSocket greedy = FrameSocket.connect(server.port());
             FrameSocket honest = FrameSocket.connect(server.port())) {
            greedy.socket().setReceiveBufferSize(4096);
            flood(greedy);
            for (int i = 0; i < 20; i++) {
                honest.send(1, "ok " + i);
                assertThat(honest.read().text()).isEqualTo("ok " + i);
            }
            await().atMost(Duration.ofSeconds(15)).until(() -> cuts.size() == 1);
            assertThat(cuts.get(0)).isGreaterThan(0);
            await().atMost(Duration.ofSeconds(10)).until(() -> server.connections().count() == 1);
            String address = "127.0.0.1:" + greedy.socket().getLocalPort();
            assertThat(logs.at("WARN", address)).singleElement().asString().contains("slowPeerTimeout");
            honest.send(1, "after");
            assertThat(honest.read().text()).isEqualTo("after");
        } finally {
            server.stop();
        }
    }

    @Test
    void withTheTimeoutOffAPausedPeerStays() throws Exception {
        List<Long> cuts = new CopyOnWriteArrayList<>();
        Server server = server(Duration.ZERO, cuts);
        try (FrameSocket greedy = FrameSocket.connect(server.port())) {
            greedy.socket().setReceiveBufferSize(4096);
            flood(greedy);
            await().atMost(Duration.ofSeconds(10)).until(() -> server.stats().readPauses() >= 1);
            // Well past what a 500 ms timeout would allow, and it is still there, paused: the old behaviour.
            long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(1500);
            await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(100)).until(() -> System.nanoTime() > until);
            assertThat(server.connections().count()).isEqualTo(1);
            assertThat(cuts).isEmpty();
        } finally {
            server.stop();
        }
    }
}
