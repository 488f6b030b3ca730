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
 * frameTimeout (issue 16, slowloris): a frame, once begun, must be whole within it. A peer that
 * trickles a frame a byte at a time used to keep heartbeatMax from firing and hold a connection
 * slot forever (605 such peers refused every legitimate client for 36 s); it is now closed with
 * one line and a frameRejected event, and the others carry on.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class FrameTimeoutTest {

    private static Server server(Duration frameTimeout, List<String> rejected) {
        return Server.builder().config(Servers.config().frameTimeout(frameTimeout).heartbeatMax(Duration.ofSeconds(5)).build())
                .route(1, r -> r.reply(1, r.data()))
                .eventListener(new EndpointListener() {
                    @Override
                    public void frameRejected(Connection connection, String reason) {
                        rejected.add(reason);
                    }
                })
                .build().start();
    }

    /** Sends the frame's bytes one at a time, {@code gapMillis} apart, until the peer closes or all are sent; returns how many went. */
    private static int trickle(FrameSocket peer, byte[] frame, long gapMillis) throws InterruptedException {
        int sent = 0;
        for (byte b : frame) {
            try {
                peer.sendRaw(new byte[] {b});
            } catch (IOException closed) {
                return sent;
            }
            sent++;
            TimeUnit.MILLISECONDS.sleep(gapMillis);   // the attack's pace, not a synchronisation
        }
        return sent;
    }

    @Test
    void aFrameTrickledAByteAtATimeIsCutOffAtTheTimeoutWhileOthersCarryOn() throws Exception {
        List<String> rejected = new CopyOnWriteArrayList<>();
        Server server = server(Duration.ofMillis(500), rejected);
        try (LogCapture logs = LogCapture.start();
             FrameSocket attacker = FrameSocket.connect(server.port());
             FrameSocket honest = FrameSocket.connect(server.port())) {
            byte[] frame = attacker.encode(new Message(1, new byte[200]));
            Thread t = new Thread(() -> {
                try {
                    trickle(attacker, frame, 20);
                } catch (InterruptedException ignored) {
                    // done
                }
            });
            long t0 = System.nanoTime();
            t.start();
            // Meanwhile an honest peer's echoes go on.
            for (int i = 0; i < 20; i++) {
                honest.send(1, "ok " + i);
                assertThat(honest.read().text()).isEqualTo("ok " + i);
            }
            await().atMost(Duration.ofSeconds(10)).until(attacker::closedByPeer);
            long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            t.join(10_000);
            assertThat(tookMs).isBetween(400L, 5000L);
            assertThat(rejected).singleElement().asString().contains("still not whole").contains("frameTimeout 500 ms");
            String address = "127.0.0.1:" + attacker.socket().getLocalPort();
            assertThat(logs.at("WARN", address)).singleElement().asString().contains("closed: a frame begun");
            honest.send(1, "after");
            assertThat(honest.read().text()).isEqualTo("after");
        } finally {
            server.stop();
        }
    }

    @Test
    void framesThatEachCompleteInTimeAreNeverCutEvenIfTheConnectionIsSlow() throws Exception {
        List<String> rejected = new CopyOnWriteArrayList<>();
        Server server = server(Duration.ofMillis(600), rejected);
        try (FrameSocket slow = FrameSocket.connect(server.port())) {
            // 6 frames, each sent in two halves 200 ms apart: 1.2 s in all, each frame whole within 600 ms.
            for (int i = 0; i < 6; i++) {
                byte[] frame = slow.encode(new Message(1, ("frame " + i).getBytes()));
                int half = frame.length / 2;
                slow.sendRaw(frame, 0, half);
                TimeUnit.MILLISECONDS.sleep(200);   // the peer's pace
                slow.sendRaw(frame, half, frame.length - half);
                assertThat(slow.read().text()).isEqualTo("frame " + i);
            }
            assertThat(rejected).isEmpty();
        } finally {
            server.stop();
        }
    }

    @Test
    void withFrameTimeoutOffOnlyHeartbeatMaxCouldEndItAndATrickleKeepsThatAway() throws Exception {
        List<String> rejected = new CopyOnWriteArrayList<>();
        Server server = server(Duration.ZERO, rejected);
        try (FrameSocket attacker = FrameSocket.connect(server.port())) {
            byte[] frame = attacker.encode(new Message(1, new byte[100]));
            // 1.5 s of trickle, past what a 500 ms frameTimeout would allow: still open.
            int sent = trickle(attacker, java.util.Arrays.copyOf(frame, 30), 50);
            assertThat(sent).isEqualTo(30);
            assertThat(server.connections().count()).isEqualTo(1);
            assertThat(rejected).isEmpty();
        } finally {
            server.stop();
        }
    }
}
