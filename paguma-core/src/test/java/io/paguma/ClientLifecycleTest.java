package io.paguma;

import io.paguma.internal.ChannelConnection;
import io.paguma.testing.ClientEvents;
import io.paguma.testing.Servers;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The client's life cycle from the outside: on which thread its futures and listeners run, in
 * what order, and that none of them runs while the client holds its lock.
 */
class ClientLifecycleTest {
    private static final int ECHO = 1;
    private static final int SILENT = 2;

    private final List<Server> servers = new ArrayList<>();
    private final List<Client> clients = new ArrayList<>();

    @AfterEach
    void tearDown() {
        for (Client c : clients) c.close().orTimeout(15, TimeUnit.SECONDS).join();
        for (Server s : servers) s.stop();
    }

    private Server server(Server.Builder b) {
        Server s = b.config(Servers.config().codec("paguma").build())
                .route(ECHO, r -> r.reply(ECHO, r.data()))
                .route(SILENT, r -> { })
                .build().start();
        servers.add(s);
        return s;
    }

    private Client client(int port, PagumaConfig.Builder config, Client.Builder b) {
        Client c = b.config(config.host("127.0.0.1").port(port).codec("paguma").reconnectJitter(0).build()).build();
        clients.add(c);
        return c;
    }

    @ParameterizedTest(name = "workerPoolSize {0}")
    @ValueSource(ints = {0, 1})
    void connectFutureCompletesOffTheIoThreadSoAContinuationMayBlock(int workers) {
        Server server = server(Server.builder());
        Client client = client(server.port(), PagumaConfig.builder().name("blocking").workerPoolSize(workers), Client.builder());
        Set<String> threads = ConcurrentHashMap.newKeySet();
        // A continuation that waits for a request: on the IO thread this would wait for itself forever.
        String echoed = client.connect().thenApply(c -> {
            threads.add(Thread.currentThread().getName());
            return client.request(ECHO, "through".getBytes(), Duration.ofSeconds(3)).join().text();
        }).orTimeout(10, TimeUnit.SECONDS).join();
        assertThat(echoed).isEqualTo("through");
        assertThat(threads).noneMatch(t -> t.contains("-client-io"));
        assertThat(client.close()).succeedsWithin(Duration.ofSeconds(10));
    }

    @Test
    void aSlowOnConnStopDoesNotStopTheClientFromReconnecting() {
        Server server = server(Server.builder());
        CountDownLatch release = new CountDownLatch(1);
        AtomicInteger connects = new AtomicInteger();
        Client client = client(server.port(), PagumaConfig.builder().name("slow-stop").maxConn(1).workerPoolSize(1)
                        .reconnectBase(Duration.ofMillis(20)),
                Client.builder()
                        .onConnStop(c -> {
                            try {
                                release.await(20, TimeUnit.SECONDS);
                            } catch (InterruptedException e) {
                                Thread.currentThread().interrupt();
                            }
                        })
                        .listener(new ClientListener() {
                            @Override
                            public void connected(Connection connection) {
                                connects.incrementAndGet();
                            }
                        }));
        client.connect().orTimeout(10, TimeUnit.SECONDS).join();
        await().atMost(Duration.ofSeconds(10)).until(() -> server.connections().count() == 1);
        server.connections().all().forEach(Connection::close);
        // The old connection's onConnStop is still blocked while the client reconnects.
        await().atMost(Duration.ofSeconds(10)).until(() -> server.connections().count() == 1
                && server.connections().all().iterator().next().id() != 1);
        release.countDown();
        await().atMost(Duration.ofSeconds(10)).until(() -> connects.get() == 2);
        assertThat(client.state()).isEqualTo(Client.State.CONNECTED);
        assertThat(client.request(ECHO, "again".getBytes(), Duration.ofSeconds(3)).orTimeout(10, TimeUnit.SECONDS).join().text())
                .isEqualTo("again");
    }

    @ParameterizedTest(name = "workerPoolSize {0}")
    @ValueSource(ints = {0, 1})
    void listenersHearEveryEventInStateOrderOnOneThread(int workers) {
        // The server drops every connection at once: connected and disconnected come back to back.
        Server server = server(Server.builder().onConnStart(Connection::close));
        ClientEvents events = new ClientEvents();
        Client client = client(server.port(), PagumaConfig.builder().name("order").workerPoolSize(workers)
                        .reconnectBase(Duration.ofMillis(1)).reconnectMaxDelay(Duration.ofMillis(5)),
                Client.builder().listener(events));
        client.connect();
        await().atMost(Duration.ofSeconds(20)).until(() -> events.count("connected") >= 20);
        client.close().orTimeout(15, TimeUnit.SECONDS).join();
        events.assertInStateOrder("workerPoolSize " + workers);
    }

    @Test
    void callbacksOfFuturesTheClientFailsDoNotRunUnderItsLock() {
        // No server: the client waits offline; close() fails what waited.
        Client client = client(closedPort(), PagumaConfig.builder().name("locked").offlineQueueSize(10)
                .reconnectBase(Duration.ofSeconds(30)), Client.builder());
        List<String> seen = new CopyOnWriteArrayList<>();
        client.connect();
        CompletableFuture<Void> send = client.send(ECHO, "never");
        CompletableFuture<Void> checked = send.handle((v, e) -> {
            // Another thread asks for the state while this callback runs: it must not wait for us.
            seen.add(String.valueOf(CompletableFuture.supplyAsync(client::state).orTimeout(3, TimeUnit.SECONDS)
                    .handle((s, t) -> t == null ? s.name() : "blocked").join()));
            return null;
        });
        client.close();
        assertThat(checked).succeedsWithin(Duration.ofSeconds(10));
        assertThat(seen).containsExactly("CLOSED");
    }

    @Test
    void cancellingARequestMadeOfflineFreesItsWaiter() {
        Server server = server(Server.builder());
        Client client = client(server.port(), PagumaConfig.builder().name("cancel").offlineQueueSize(10), Client.builder());
        // Made before connect(): it waits offline and goes out once connected.
        CompletableFuture<Message> request = client.request(SILENT, new byte[0], Duration.ofMinutes(5));
        client.connect().orTimeout(10, TimeUnit.SECONDS).join();
        ChannelConnection conn = (ChannelConnection) client.connection();
        await().atMost(Duration.ofSeconds(10)).until(() -> conn.pendingRequests() == 1);
        assertThat(request.cancel(false)).isTrue();
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            assertThat(conn.pendingRequests()).isZero();
            assertThat(conn.waitingForReplies()).isZero();
        });
    }

    @Test
    void cancellingARequestWhileOfflineFreesItsPlaceInTheQueue() {
        Client client = client(closedPort(), PagumaConfig.builder().name("cancel-offline").offlineQueueSize(1)
                .reconnectBase(Duration.ofSeconds(30)), Client.builder());
        client.connect();
        CompletableFuture<Message> first = client.request(SILENT, new byte[0], Duration.ofMinutes(5));
        assertThat(first.cancel(false)).isTrue();
        // The queue holds one: the cancelled request no longer takes it.
        CompletableFuture<Void> second = client.send(ECHO, "fits");
        assertThat(second).isNotDone();
    }

    @Test
    void aListenerThatThrowsAnErrorDoesNotStopTheOthers() {
        Server server = server(Server.builder());
        AtomicInteger heard = new AtomicInteger();
        Client client = client(server.port(), PagumaConfig.builder().name("throwing"), Client.builder()
                .listener(new ClientListener() {
                    @Override
                    public void connected(Connection connection) {
                        throw new AssertionError("listener bug");
                    }
                })
                .listener(new ClientListener() {
                    @Override
                    public void connected(Connection connection) {
                        heard.incrementAndGet();
                    }
                }));
        client.connect().orTimeout(10, TimeUnit.SECONDS).join();
        await().atMost(Duration.ofSeconds(10)).until(() -> heard.get() == 1);
        assertThat(client.state()).isEqualTo(Client.State.CONNECTED);
    }

    @Test
    void anUnknownHostIsAFailedAttemptThatIsRetried() {
        List<Throwable> causes = new CopyOnWriteArrayList<>();
        Client client = Client.builder().config(PagumaConfig.builder().name("unknown-host").host("no-such-host.invalid")
                        .port(9).codec("paguma").reconnectBase(Duration.ofMillis(20)).reconnectJitter(0).build())
                .listener(new ClientListener() {
                    @Override
                    public void reconnecting(int attempt, Duration delay, Throwable cause) {
                        causes.add(cause);
                    }
                })
                .build();
        clients.add(client);
        client.connect();
        await().atMost(Duration.ofSeconds(20)).until(() -> causes.size() >= 2);
        assertThat(causes).allMatch(c -> c instanceof java.net.UnknownHostException, "UnknownHostException");
        assertThat(client.state()).isIn(Client.State.WAITING, Client.State.CONNECTING);
    }

    @ParameterizedTest(name = "workerPoolSize {0}")
    @ValueSource(ints = {0, 1})
    void theClientsOwnRequestInsideOnConnStartGoesToTheNewConnection(int workers) {
        Server server = server(Server.builder());
        List<CompletableFuture<Message>> subscriptions = new CopyOnWriteArrayList<>();
        Client[] self = new Client[1];
        // Re-subscribing after every (re)connection, the natural way: through the client itself.
        Client client = client(server.port(), PagumaConfig.builder().name("resubscribe").workerPoolSize(workers)
                        .reconnectBase(Duration.ofMillis(20)),
                Client.builder().onConnStart(c -> subscriptions.add(
                        self[0].request(ECHO, "subscribe".getBytes(), Duration.ofSeconds(5)))));
        self[0] = client;
        client.connect().orTimeout(10, TimeUnit.SECONDS).join();
        await().atMost(Duration.ofSeconds(10)).until(() -> server.connections().count() == 1);
        server.connections().all().forEach(Connection::close);
        await().atMost(Duration.ofSeconds(10)).until(() -> subscriptions.size() == 2);
        for (CompletableFuture<Message> s : subscriptions) {
            assertThat(s.orTimeout(10, TimeUnit.SECONDS).join().text()).isEqualTo("subscribe");
        }
    }

    @Test
    void connectAfterCloseFails() {
        Server server = server(Server.builder());
        Client client = client(server.port(), PagumaConfig.builder().name("reuse"), Client.builder());
        client.connect().orTimeout(10, TimeUnit.SECONDS).join();
        client.close().orTimeout(10, TimeUnit.SECONDS).join();
        assertThat(client.connect()).failsWithin(Duration.ofSeconds(1))
                .withThrowableOfType(java.util.concurrent.ExecutionException.class)
                .withCauseInstanceOf(ConnectionClosedException.class)
                .withMessageContaining("build a new client");
    }

    private static int closedPort() {
        try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
    }
}
