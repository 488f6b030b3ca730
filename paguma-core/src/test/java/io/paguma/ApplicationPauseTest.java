package io.paguma;

import io.paguma.testing.FrameSocket;
import io.paguma.testing.Servers;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Connection.pauseReading()/resumeReading(): the application's own backpressure reaches the sender through TCP. */
class ApplicationPauseTest {
    private static final int FRAMES = 50_000;   // 50 MB: more than loopback's socket buffers hold

    @Test
    void aPausedConnectionStopsReadingUntilResumedAndLosesNothing() throws Exception {
        AtomicInteger handled = new AtomicInteger();
        AtomicReference<Connection> serverSide = new AtomicReference<>();
        List<EndpointListener.PauseCause> causes = new CopyOnWriteArrayList<>();
        Server server = Server.builder().config(Servers.config().workerPoolSize(0).build())
                .route(1, r -> {
                    if (handled.incrementAndGet() == 10) {
                        serverSide.set(r.connection());
                        r.connection().pauseReading();
                        r.connection().pauseReading();          // twice is once
                    }
                })
                .eventListener(new EndpointListener() {
                    @Override
                    public void readingPaused(Connection connection, PauseCause cause) {
                        causes.add(cause);
                    }
                })
                .build().start();
        AtomicInteger written = new AtomicInteger();
        AtomicReference<Throwable> writeFailure = new AtomicReference<>();
        try (FrameSocket peer = FrameSocket.connect(server.port())) {
            byte[] frame = peer.encode(new Message(1, new byte[1000]));
            // A blocking writer: it stops once the server no longer reads and the kernel's buffers are full.
            Thread writer = new Thread(() -> {
                try {
                    for (int i = 0; i < FRAMES; i++) {
                        peer.sendRaw(frame);
                        written.incrementAndGet();
                    }
                } catch (IOException e) {
                    writeFailure.set(e);
                }
            }, "pause-test-writer");
            writer.start();
            await().atMost(Duration.ofSeconds(10)).until(() -> causes.contains(EndpointListener.PauseCause.APPLICATION));
            // Paused: nothing more is handled, and the writer is held back by TCP.
            int atPause = handled.get();
            await().during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(5)).until(() -> handled.get() == atPause
                    && written.get() < FRAMES);
            assertThat(atPause).isLessThan(FRAMES);
            serverSide.get().resumeReading();
            await().atMost(Duration.ofSeconds(30)).until(() -> handled.get() == FRAMES);
            writer.join(10_000);
            assertThat(writeFailure.get()).isNull();
            assertThat(written.get()).isEqualTo(FRAMES);
        } finally {
            server.stop();
        }
    }
}
