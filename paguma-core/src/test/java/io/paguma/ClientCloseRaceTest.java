package io.paguma;

import io.paguma.internal.ChannelConnection;
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

/**
 * No orphaned waiters: sends and requests from several threads race with the client's close, the
 * server's close of the connection and the client's own reconnects, at random moments. Every
 * future must complete, and no connection may keep a waiter.
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
        Queue<ChannelConnection> connections = new ConcurrentLinkedQueue<>();
        Client client = Client.builder()
                .config(PagumaConfig.builder().host("127.0.0.1").port(server.port()).codec("paguma")
                        .reconnectBase(Duration.ofMillis(5)).reconnectJitter(0)
                        .offlineQueueSize(random.nextInt(3) * 20).build())
                .listener(new ClientListener() {
                    @Override
                    public void connected(Connection connection) {
                        connections.add((ChannelConnection) connection);
                    }
                })
                .build();
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
                            case 1 -> futures.add(client.request(1, new byte[r.nextInt(64)], Duration.ofSeconds(5)));
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
        for (ChannelConnection c : connections) {
            assertThat(c.pendingRequests()).as("waiters left on %s, seed %d round %d", c, seed, round).isZero();
        }
    }
}
