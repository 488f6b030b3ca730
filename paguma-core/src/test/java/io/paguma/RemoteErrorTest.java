package io.paguma;

import io.paguma.testing.Servers;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * B12, T6: a request that fails on the far side fails its caller at once with a RemoteException,
 * in both directions, instead of after its timeout; expired requests are skipped and counted;
 * size limits hold both ways.
 */
class RemoteErrorTest {
    private static final int THROWS = 1;
    private static final int FAILS = 2;
    private static final int SLOW = 3;
    private static final int ECHO = 4;
    private static final Duration LONG = Duration.ofSeconds(30);

    private final List<Server> servers = new ArrayList<>();
    private final List<Client> clients = new ArrayList<>();

    @AfterEach
    void tearDown() {
        for (Client c : clients) c.close().orTimeout(10, TimeUnit.SECONDS).join();
        for (Server s : servers) s.stop();
    }

    private static <B extends EndpointBuilder<B>> B failingRoutes(B b) {
        return b.route(THROWS, r -> {
                    throw new IllegalStateException("secret detail that must not travel");
                })
                .route(FAILS, r -> r.fail(4711, "out of stock"))
                .route(ECHO, r -> r.reply(ECHO, r.data()));
    }

    private Server server(PagumaConfig.Builder config, Server.Builder b) {
        Server s = b.config(config.codec("paguma").build()).build().start();
        servers.add(s);
        return s;
    }

    private Client client(Server server, Client.Builder b) {
        Client c = b.config(PagumaConfig.builder().host("127.0.0.1").port(server.port()).codec("paguma").build()).build();
        clients.add(c);
        c.connect().orTimeout(10, TimeUnit.SECONDS).join();
        return c;
    }

    /** The caller's failure, and how long it took: it must be prompt, far below the 30 s timeout. */
    private static RemoteException remoteFailure(CompletableFuture<Message> f) {
        long begin = System.nanoTime();
        Throwable t = f.handle((m, e) -> e).orTimeout(10, TimeUnit.SECONDS).join();
        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - begin);
        assertThat(t).as("the request must fail").isNotNull();
        Throwable cause = t instanceof java.util.concurrent.CompletionException ? t.getCause() : t;
        assertThat(cause).isInstanceOf(RemoteException.class);
        assertThat(millis).as("ms until the caller knew").isLessThan(2000);
        System.out.printf("RemoteErrorTest: status %d known to the caller after %d ms (its timeout: 30 s)%n",
                ((RemoteException) cause).status(), millis);
        return (RemoteException) cause;
    }

    @Test
    void clientToServerEachRemoteFailureFailsTheCallerAtOnce() {
        Server server = server(Servers.config(), failingRoutes(Server.builder()));
        Client client = client(server, Client.builder());
        RemoteException threw = remoteFailure(client.request(THROWS, "x".getBytes(), LONG));
        assertThat(threw.status()).isEqualTo(RemoteException.ROUTER_FAILED);
        assertThat(threw.remoteMessage()).contains("IllegalStateException").doesNotContain("secret");
        RemoteException failed = remoteFailure(client.request(FAILS, "x".getBytes(), LONG));
        assertThat(failed.status()).isEqualTo(4711);
        assertThat(failed.remoteMessage()).isEqualTo("out of stock");
        RemoteException noRoute = remoteFailure(client.request(99, "x".getBytes(), LONG));
        assertThat(noRoute.status()).isEqualTo(RemoteException.NO_ROUTE);
        // The connection carries on.
        assertThat(client.request(ECHO, "still here".getBytes(), LONG).orTimeout(10, TimeUnit.SECONDS).join().text()).isEqualTo("still here");
    }

    @Test
    void serverToClientTheSame() {
        Server server = server(Servers.config(), Server.builder());
        Client client = client(server, failingRoutes(Client.builder()));
        await().atMost(Duration.ofSeconds(5)).until(() -> server.connections().count() == 1);
        Connection toClient = server.connections().all().iterator().next();
        assertThat(remoteFailure(toClient.request(new Message(THROWS, "x".getBytes()), LONG)).status())
                .isEqualTo(RemoteException.ROUTER_FAILED);
        assertThat(remoteFailure(toClient.request(new Message(FAILS, "x".getBytes()), LONG)).status()).isEqualTo(4711);
        assertThat(remoteFailure(toClient.request(new Message(99, "x".getBytes()), LONG)).status())
                .isEqualTo(RemoteException.NO_ROUTE);
        assertThat(client.connection().isOpen()).isTrue();
    }

    @Test
    void aStoppingServerTellsCallersItWillNotRunTheirRequests() throws Exception {
        CountDownLatch inSlow = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        Server server = server(Servers.config().workerPoolSize(1).stopGracePeriod(Duration.ofSeconds(5)),
                Server.builder().route(SLOW, r -> {
                    inSlow.countDown();
                    release.await(10, TimeUnit.SECONDS);
                    r.reply(SLOW, "done");
                }).route(ECHO, r -> r.reply(ECHO, r.data())));
        Client client = client(server, Client.builder());
        CompletableFuture<Message> slow = client.request(SLOW, "x".getBytes(), LONG);
        assertThat(inSlow.await(10, TimeUnit.SECONDS)).isTrue();
        CompletableFuture<StopReport> stopping = CompletableFuture.supplyAsync(server::stop);
        // Sent after the stop began: read and discarded, and the caller is told so.
        await().atMost(Duration.ofSeconds(5)).until(() -> !server.isRunning());
        CompletableFuture<Message> late = client.request(ECHO, "too late".getBytes(), LONG);
        RemoteException unavailable = remoteFailure(late);
        assertThat(unavailable.status()).isEqualTo(RemoteException.UNAVAILABLE);
        release.countDown();
        assertThat(slow.orTimeout(10, TimeUnit.SECONDS).join().text()).isEqualTo("done");
        stopping.get(10, TimeUnit.SECONDS);
    }

    @Test
    void aRequestWhoseTimeLimitPassedWhileQueuedIsSkippedAndCounted() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        List<String> ran = new java.util.concurrent.CopyOnWriteArrayList<>();
        List<Request> expired = new java.util.concurrent.CopyOnWriteArrayList<>();
        Server server = server(Servers.config().workerPoolSize(1), Server.builder()
                .eventListener(new EndpointListener() {
                    @Override
                    public void requestExpired(Request request) {
                        expired.add(new Request(request.connection(), request.message().copy()));   // kept past the event
                    }
                })
                .route(SLOW, r -> release.await(10, TimeUnit.SECONDS))
                .route(ECHO, r -> {
                    ran.add(r.text());
                    r.reply(ECHO, r.data());
                }));
        Client client = client(server, Client.builder());
        client.send(SLOW, "block the worker");
        CompletableFuture<Message> hurried = client.request(ECHO, "hurried".getBytes(), Duration.ofMillis(100));
        // The caller gives up at its own limit; the server must not run it afterwards.
        assertThatThrownBy(() -> hurried.orTimeout(10, TimeUnit.SECONDS).join())
                .hasCauseInstanceOf(java.util.concurrent.TimeoutException.class);
        // The server's limit runs from when it read the request (the time the caller has left is
        // what travels), so under load it can end later than the caller's: let it pass too.
        await().atMost(Duration.ofSeconds(10)).until(() -> server.traffic().messagesIn() >= 2);
        long readBy = System.nanoTime();
        await().atMost(Duration.ofSeconds(10)).until(() -> System.nanoTime() - readBy > TimeUnit.MILLISECONDS.toNanos(150));
        release.countDown();
        await().atMost(Duration.ofSeconds(10)).until(() -> server.stats().requestsExpired() == 1);
        assertThat(expired).singleElement().satisfies(r -> assertThat(r.text()).isEqualTo("hurried"));
        assertThat(ran).isEmpty();
        // A request in time still runs.
        assertThat(client.request(ECHO, "in time".getBytes(), LONG).orTimeout(10, TimeUnit.SECONDS).join().text()).isEqualTo("in time");
    }

    @Test
    void sizeLimitsHoldBothWays() {
        Server server = server(Servers.config().maxPacketSize(1024), Server.builder().route(ECHO, r -> r.reply(ECHO, r.data())));
        // A client configured for the same limit: a larger send fails alone, the connection stays.
        Client same = Client.builder().config(PagumaConfig.builder().host("127.0.0.1").port(server.port()).codec("paguma")
                .maxPacketSize(1024).build()).build();
        clients.add(same);
        same.connect().orTimeout(10, TimeUnit.SECONDS).join();
        assertThatThrownBy(() -> same.request(ECHO, new byte[2000], LONG).orTimeout(10, TimeUnit.SECONDS).join())
                .hasMessageContaining("exceeds maxPacketSize 1024");
        assertThat(same.request(ECHO, new byte[1000], LONG).orTimeout(10, TimeUnit.SECONDS).join().length()).isEqualTo(1000);
        // A client that thinks the server takes more: the server says why before it closes.
        Client bigger = Client.builder().config(PagumaConfig.builder().host("127.0.0.1").port(server.port()).codec("paguma")
                .maxPacketSize(1 << 20).reconnect(false).build()).build();
        clients.add(bigger);
        bigger.connect().orTimeout(10, TimeUnit.SECONDS).join();
        RemoteException tooLarge = remoteFailure(bigger.request(ECHO, new byte[5000], LONG));
        assertThat(tooLarge.status()).isEqualTo(RemoteException.TOO_LARGE);
        assertThat(tooLarge.remoteMessage()).contains("exceeds maxPacketSize 1024");
    }

    @Test
    void withACodecWithoutAStatusFailIsRefusedAndNothingIsSent() {
        Server server = Server.builder().config(Servers.config().codec("tron").build())
                .route(FAILS, r -> {
                    Throwable t = r.fail(4711, "nope").handle((v, e) -> e).join();
                    r.reply(FAILS, t == null ? "sent" : "refused: " + t.getMessage());
                }).build().start();
        servers.add(server);
        Client client = Client.builder().config(PagumaConfig.builder().host("127.0.0.1").port(server.port()).codec("tron")
                .build()).build();
        clients.add(client);
        client.connect().orTimeout(10, TimeUnit.SECONDS).join();
        assertThat(client.request(FAILS, "x".getBytes(), LONG).orTimeout(10, TimeUnit.SECONDS).join().text())
                .startsWith("refused: ").contains("has no status field");
    }
}
