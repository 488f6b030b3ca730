package io.paguma;

import io.netty.channel.EventLoop;
import io.paguma.internal.ChannelConnection;
import io.paguma.testing.EventLoops;
import io.paguma.testing.Servers;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The timers behind request timeouts (T6): one sweep per connection over a deadline queue, plus a
 * timer of its own for a request whose deadline comes before an earlier request's. Each test
 * looks at the timers left on the event loop, not only at the futures.
 */
class RequestTimerTest {
    private static final int ECHO = 1;
    private static final int SILENT = 2;

    private Server server;
    private Client client;

    @AfterEach
    void tearDown() {
        if (client != null) client.close().orTimeout(10, TimeUnit.SECONDS).join();
        if (server != null) server.stop();
    }

    private Client connect(int clientWorkers) {
        server = Server.builder().config(Servers.config().codec("paguma").build())
                .route(ECHO, r -> r.reply(ECHO, r.data()))
                .route(SILENT, r -> { })
                .build().start();
        client = Client.builder().config(PagumaConfig.builder().name("timer-client").host("127.0.0.1")
                .port(server.port()).codec("paguma").workerPoolSize(clientWorkers).build()).build();
        client.connect().orTimeout(10, TimeUnit.SECONDS).join();
        return client;
    }

    private EventLoop clientLoop() {
        return ((ChannelConnection) client.connection()).channel().eventLoop();
    }

    @Test
    void shortTimeoutAfterAnsweredLongOneFiresOnTime() {
        connect(0);
        // Answered: the deadline queue empties, but the sweep was set for this 8 s deadline.
        client.request(ECHO, new byte[]{1}, Duration.ofSeconds(8)).orTimeout(10, TimeUnit.SECONDS).join();
        long start = System.nanoTime();
        AtomicLong failedAfter = new AtomicLong(-1);
        CompletableFuture<Message> shortOne = client.request(SILENT, new byte[0], Duration.ofMillis(300));
        shortOne.whenComplete((m, e) -> failedAfter.set(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)));
        await().atMost(Duration.ofSeconds(20)).until(shortOne::isDone);
        assertThat(shortOne).failsWithin(Duration.ZERO).withThrowableOfType(java.util.concurrent.ExecutionException.class)
                .withCauseInstanceOf(TimeoutException.class);
        assertThat(failedAfter.get()).as("ms until the 300 ms timeout fired").isBetween(290L, 3000L);
        assertThat(((ChannelConnection) client.connection()).pendingRequests()).isZero();
    }

    @Test
    void timeoutCallbacksThatRetryLeaveOneSweepTimer() throws Exception {
        connect(0);
        int retries = 30;
        CountDownLatch lastRetryMade = new CountDownLatch(1);
        AtomicInteger timeouts = new AtomicInteger();
        List<CompletableFuture<Message>> last = new ArrayList<>();
        // Each timeout (on the IO thread, inside the sweep) makes the next request; the last one waits long.
        class Retry {
            void request(int n) {
                Duration timeout = n < retries ? Duration.ofMillis(20) : Duration.ofMinutes(2);
                CompletableFuture<Message> f = client.request(SILENT, new byte[0], timeout);
                if (n == retries) {
                    last.add(f);
                    lastRetryMade.countDown();
                    return;
                }
                f.whenComplete((m, e) -> {
                    if (e instanceof TimeoutException) {
                        timeouts.incrementAndGet();
                        request(n + 1);
                    }
                });
            }
        }
        new Retry().request(0);
        assertThat(lastRetryMade.await(20, TimeUnit.SECONDS)).isTrue();
        assertThat(timeouts.get()).isEqualTo(retries);
        // One request waits: exactly one timer (the sweep for its deadline) may be scheduled.
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() ->
                assertThat(EventLoops.scheduledTasks(clientLoop())).as("timers on the client's IO thread").isEqualTo(1));
        assertThat(last.get(0)).isNotDone();
    }

    @Test
    void cancelRacingRegistrationLeavesNoTimer() {
        connect(0);
        long seed = System.nanoTime();
        Random random = new Random(seed);
        // A long request first, so every later (shorter) one is out of order and gets a timer of its own.
        CompletableFuture<Message> anchor = client.request(SILENT, new byte[0], Duration.ofMinutes(10));
        int n = 100_000;
        List<CompletableFuture<Message>> cancelled = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            cancelled.add(client.request(SILENT, new byte[0], Duration.ofMinutes(5)));
            // Cancel one made a little earlier, which the IO thread may be registering right now.
            int lag = random.nextInt(4096);
            if (i >= lag) cancelled.get(i - lag).cancel(false);
            if (random.nextInt(256) == 0) {
                for (int spin = random.nextInt(20_000); spin > 0; spin--) Thread.onSpinWait();
            }
        }
        cancelled.forEach(f -> f.cancel(false));
        assertThat(cancelled).allMatch(CompletableFuture::isCancelled);
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                assertThat(((ChannelConnection) client.connection()).pendingRequests()).isEqualTo(1));
        // Only the anchor's sweep may remain; a leaked per-request timer would wait 5 minutes.
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                assertThat(EventLoops.scheduledTasks(clientLoop())).as("timers left, seed %d", seed).isEqualTo(1));
        assertThat(anchor).isNotDone();
    }
}
