package io.paguma;

import io.paguma.internal.ChannelConnection;
import io.paguma.testing.ClientEvents;
import io.paguma.testing.Servers;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * No orphaned waiters: sends and requests from several threads race with the client's close, the
 * server's close of the connection and the client's own reconnects, at random moments. Every
 * future must complete, and no connection may keep a waiter. Listeners and future callbacks call
 * back into the client (state, send, request, sometimes close): nothing may deadlock, and the
 * listener must hear its events on one thread, in an order the client's states allow.
 */
class ClientCloseRaceTest {

    @Test
    void everySendAndRequestCompletesWhateverCloses() throws Exception {
        long seed = System.nanoTime();
        Random random = new Random(seed);
        Server server = Server.builder().config(Servers.config().codec("paguma").build())
                .route(1, r -> r.reply(1, r.data()))
                .route(2, r -> { })
                .build().start();
        try {
            for (int round = 0; round < 40; round++) {
                runRound(server, new Random(random.nextLong()), seed, round);
            }
        } finally {
            server.stop();
        }
    }

    private static void runRound(Server server, Random random, long seed, int round) throws Exception {
        Queue<CompletableFuture<?>> futures = new ConcurrentLinkedQueue<>();
        Client[] self = new Client[1];
        long callbackSeed = random.nextLong();
        // Called from listeners and future callbacks: calls back into the client.
        java.util.function.Consumer<String> callBack = where -> {
            Client c = self[0];
            switch ((int) Math.floorMod(callbackSeed ^ where.hashCode() ^ System.nanoTime(), 5L)) {
                case 0 -> c.state();
                case 1 -> futures.add(c.send(1, new byte[1]));
                case 2 -> futures.add(c.request(1, new byte[1], Duration.ofSeconds(5)));
                case 3 -> c.isConnected();
                default -> c.traffic();
            }
        };
        ClientEvents events = new ClientEvents(callBack);
        Client client = Client.builder()
                .config(PagumaConfig.builder().host("127.0.0.1").port(server.port()).codec("paguma")
                        .reconnectBase(Duration.ofMillis(5)).reconnectJitter(0)
                        .offlineQueueSize(random.nextInt(3) * 20).build())
                .listener(events)
                .build();
        self[0] = client;
        client.connect();
        int threads = 3;
        CountDownLatch start = new CountDownLatch(1);
        CountDownLatch done = new CountDownLatch(threads);
        for (int t = 0; t < threads; t++) {
            long threadSeed = random.nextLong();
            new Thread(() -> {
                Random r = new Random(threadSeed);
                try {
                    start.await();
                    for (int i = 0; i < 300; i++) {
                        switch (r.nextInt(4)) {
                            case 0 -> futures.add(client.send(1, new byte[r.nextInt(64)]));
                            case 1 -> {
                                CompletableFuture<Message> f = client.request(1, new byte[r.nextInt(64)], Duration.ofSeconds(5));
                                futures.add(f);
                                // Its callback (IO thread, event thread or this one) calls back into the client.
                                if (r.nextInt(4) == 0) futures.add(f.handle((m, e) -> {
                                    callBack.accept("request callback");
                                    return null;
                                }));
                            }
                            // Unanswered: only a close or the timeout can end it.
                            case 2 -> futures.add(client.request(2, new byte[0], Duration.ofMillis(50 + r.nextInt(200))));
                            default -> {
                                CompletableFuture<Message> f = client.request(2, new byte[0], Duration.ofSeconds(5));
                                futures.add(f);
                                if (r.nextBoolean()) f.cancel(false);
                            }
                        }
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                } finally {
                    done.countDown();
                }
            }).start();
        }
        start.countDown();
        // At a random moment: the server drops the connection (the client reconnects), or the client closes.
        for (int i = random.nextInt(3); i > 0; i--) {
            server.connections().all().forEach(Connection::close);
        }
        if (random.nextBoolean()) client.close();
        assertThat(done.await(20, TimeUnit.SECONDS)).isTrue();
        client.close().orTimeout(15, TimeUnit.SECONDS).join();
        List<CompletableFuture<?>> all = new ArrayList<>(futures);
        CompletableFuture.allOf(all.stream().map(f -> f.handle((v, e) -> null)).toArray(CompletableFuture[]::new))
                .orTimeout(15, TimeUnit.SECONDS)
                .handle((v, e) -> {
                    long open = all.stream().filter(f -> !f.isDone()).count();
                    assertThat(open).as("futures left waiting, seed %d round %d", seed, round).isZero();
                    return null;
                }).join();
        for (Connection conn : events.connections()) {
            ChannelConnection c = (ChannelConnection) conn;
            assertThat(c.pendingRequests()).as("waiters left on %s, seed %d round %d", c, seed, round).isZero();
        }
        // The listener heard everything on one thread, in an order the states allow, ending with closed.
        await().atMost(Duration.ofSeconds(10)).until(() -> events.count("closed") == 1);
        events.assertInStateOrder("seed " + seed + " round " + round);
    }
}
