package io.paguma;

import io.paguma.testing.FrameSocket;
import io.paguma.testing.Servers;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Every request that got no reply because of a stop is accounted for in the stop report. */
class StopDiscardTest {

    /** True once the stop thread waits for the workers to drain: it has already stopped reading every connection. */
    private static boolean stopIsDraining(String name) {
        return Thread.getAllStackTraces().entrySet().stream()
                .filter(e -> e.getKey().getName().equals("paguma-" + name + "-stop"))
                .anyMatch(e -> Arrays.stream(e.getValue()).anyMatch(f -> f.getMethodName().equals("drainWorkers")));
    }

    @Test
    void requestsArrivingAfterTheStopBeganAreCountedAsDiscarded() throws Exception {
        String name = "discarding";
        CountDownLatch entered = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        Server server = Server.builder()
                .config(Servers.config().name(name).workerPoolSize(1).stopGracePeriod(Duration.ofSeconds(30)).build())
                .route(1, r -> {
                    if (r.text().equals("block")) {
                        entered.countDown();
                        release.await();
                    }
                    r.reply(1, r.data());
                })
                .build().start();
        int late = 64;
        try (FrameSocket s = FrameSocket.connect(server.port())) {
            s.send(1, "block");
            assertThat(entered.await(10, SECONDS)).isTrue();
            CompletableFuture<StopReport> stopping = server.stopAsync();
            await().atMost(20, SECONDS).until(() -> stopIsDraining(name));
            // Sent after the server stopped reading requests: none of these is answered.
            ByteArrayOutputStream batch = new ByteArrayOutputStream();
            for (int i = 0; i < late; i++) batch.write(s.encode(new Message(1, ("late " + i).getBytes())));
            byte[] partial = s.encode(new Message(1, "cut".getBytes()));
            batch.write(partial, 0, 5);
            s.sendRaw(batch.toByteArray());
            release.countDown();
            int replies = 0;
            try {
                for (;;) {
                    s.read();
                    replies++;
                }
            } catch (EOFException end) {
                // the server closed after the last reply
            }
            StopReport report = stopping.get(30, SECONDS);
            assertThat(replies).isEqualTo(1);
            assertThat(replies + report.requestsDropped() + report.requestsDiscarded())
                    .as("replies + reported dropped + discarded (%s)", report).isEqualTo(1 + late);
            assertThat(report.requestsDiscarded()).isEqualTo(late);
            assertThat(report.bytesDiscarded()).isEqualTo(5);
            assertThat(report.toString()).contains("discarded " + late + " request(s)");
        }
    }

    @Test
    void everyRequestInFlightAtAStopIsAnsweredOrReported() throws Exception {
        CountDownLatch go = new CountDownLatch(1);
        Server server = Server.builder()
                .config(Servers.config().name("inflight").workerPoolSize(2).maxWorkerTaskLen(256)
                        .stopGracePeriod(Duration.ofSeconds(30)).build())
                .route(1, r -> {
                    go.await();
                    r.reply(1, r.data());
                })
                .build().start();
        int conns = 20;
        int each = 64;
        FrameSocket[] clients = new FrameSocket[conns];
        try {
            for (int c = 0; c < conns; c++) {
                clients[c] = FrameSocket.connect(server.port());
                ByteArrayOutputStream batch = new ByteArrayOutputStream();
                for (int i = 0; i < each; i++) batch.write(clients[c].encode(new Message(1, ("r" + i).getBytes())));
                clients[c].sendRaw(batch.toByteArray());
            }
            // Every socket accepted: one still in the kernel's accept queue when the listener closes is reset by the kernel.
            await().atMost(20, SECONDS).until(() -> server.connections().count() == conns);
            CompletableFuture<StopReport> stopping = server.stopAsync();
            go.countDown();
            CompletableFuture<?>[] readers = new CompletableFuture<?>[conns];
            for (int c = 0; c < conns; c++) {
                FrameSocket s = clients[c];
                readers[c] = CompletableFuture.supplyAsync(() -> {
                    int n = 0;
                    try {
                        for (;;) {
                            s.read();
                            n++;
                        }
                    } catch (EOFException end) {
                        return n;
                    } catch (java.io.IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                });
            }
            long replies = 0;
            for (CompletableFuture<?> r : readers) replies += (Integer) r.get(60, SECONDS);
            StopReport report = stopping.get(60, SECONDS);
            assertThat(replies + report.requestsUnanswered()).as("%d replies; %s", replies, report)
                    .isEqualTo((long) conns * each);
        } finally {
            for (FrameSocket s : clients) if (s != null) s.close();
            server.stop();
        }
    }
}
