package io.paguma;

import io.paguma.testing.Servers;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/** The client (T3): connect, reconnect with backoff, offline queue, close, graceful server stop (T4). */
class ClientTest {
    private static final int ECHO = 1;

    private final List<Server> servers = new ArrayList<>();
    private final List<Client> clients = new ArrayList<>();

    @AfterEach
    void tearDown() {
        for (Client c : clients) c.close().orTimeout(10, TimeUnit.SECONDS).join();
        for (Server s : servers) s.stop();
    }

    private Server echoServer(int port) {
        Server s = Server.builder()
                .config(Servers.config().port(port).codec("paguma").build())
                .route(ECHO, r -> r.reply(ECHO, r.data()))
                .build().start();
        servers.add(s);
        return s;
    }

    private Client client(int port, PagumaConfig.Builder config, ClientListener listener) {
        Client c = Client.builder()
                .config(config.name("test-client").host("127.0.0.1").port(port).codec("paguma").reconnectJitter(0).build())
                .listener(listener)
                .build();
        clients.add(c);
        return c;
    }

    /** A port nothing listens on right now. */
    private static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    /** Records what the client reports, with the time of each event. */
    static final class Events implements ClientListener {
        record Retry(int attempt, Duration delay, long atNanos) {
        }

        final List<Retry> retries = new CopyOnWriteArrayList<>();
        final List<Connection> connected = new CopyOnWriteArrayList<>();
        final List<Connection> disconnected = new CopyOnWriteArrayList<>();
        final CountDownLatch gaveUp = new CountDownLatch(1);
        volatile int gaveUpAfter = -1;
        final CountDownLatch closed = new CountDownLatch(1);

        @Override
        public void connected(Connection connection) {
            connected.add(connection);
        }

        @Override
        public void disconnected(Connection connection) {
            disconnected.add(connection);
        }

        @Override
        public void reconnecting(int attempt, Duration delay, Throwable cause) {
            retries.add(new Retry(attempt, delay, System.nanoTime()));
        }

        @Override
        public void gaveUp(int attempts, Throwable lastCause) {
            gaveUpAfter = attempts;
            gaveUp.countDown();
        }

        @Override
        public void closed() {
            closed.countDown();
        }
    }

    @Test
    void reconnectsWithExponentialBackoffAfterTheServerRestartsOnTheSamePort() {
        Server first = echoServer(0);
        int port = first.port();
        Events events = new Events();
        Client client = client(port, PagumaConfig.builder()
                .reconnectBase(Duration.ofMillis(200)).reconnectMaxDelay(Duration.ofMillis(800)), events);
        Connection c1 = client.connect().orTimeout(10, TimeUnit.SECONDS).join();
        assertThat(client.request(ECHO, "before").orTimeout(10, TimeUnit.SECONDS).join().text()).isEqualTo("before");

        first.stop();
        servers.remove(first);
        // 200, 400, 800, then capped at 800 ms; each retry is refused while the server is down.
        await().atMost(Duration.ofSeconds(15)).until(() -> events.retries.size() >= 5);
        assertThat(events.disconnected).containsExactly(c1);
        assertThat(client.isConnected()).isFalse();
        List<Events.Retry> r = new ArrayList<>(events.retries);
        assertThat(r.subList(0, 5)).extracting(Events.Retry::attempt).containsExactly(1, 2, 3, 4, 5);
        assertThat(r.subList(0, 5)).extracting(Events.Retry::delay).containsExactly(
                Duration.ofMillis(200), Duration.ofMillis(400), Duration.ofMillis(800), Duration.ofMillis(800), Duration.ofMillis(800));
        // Measured: attempt n+1 is reported once attempt n (made after its delay) was refused.
        for (int i = 0; i + 1 < 5; i++) {
            long gapMillis = TimeUnit.NANOSECONDS.toMillis(r.get(i + 1).atNanos() - r.get(i).atNanos());
            long delay = r.get(i).delay().toMillis();
            assertThat(gapMillis).as("gap after retry %d", i + 1).isBetween(delay - 50, delay + 1000);
        }

        echoServer(port);
        await().atMost(Duration.ofSeconds(10)).until(() -> events.connected.size() == 2);
        Connection c2 = events.connected.get(1);
        assertThat(c2).isNotSameAs(c1);
        assertThat(client.connection()).isSameAs(c2);
        assertThat(client.state()).isEqualTo(Client.State.CONNECTED);
        assertThat(client.request(ECHO, "after").orTimeout(10, TimeUnit.SECONDS).join().text()).isEqualTo("after");
    }

    @Test
    void aServerThatDropsEveryConnectionAtOnceGetsEverLongerDelays() {
        Server server = Server.builder().config(Servers.config().codec("paguma").build())
                .onConnStart(Connection::close).build().start();
        servers.add(server);
        Events events = new Events();
        Client client = client(server.port(), PagumaConfig.builder().reconnectBase(Duration.ofMillis(100))
                .reconnectMaxDelay(Duration.ofSeconds(5)).reconnectAttempts(4), events);
        client.connect();
        await().atMost(Duration.ofSeconds(15)).until(() -> events.gaveUpAfter == 4);
        assertThat(events.retries).extracting(Events.Retry::delay).containsExactly(
                Duration.ofMillis(100), Duration.ofMillis(200), Duration.ofMillis(400), Duration.ofMillis(800));
        // Each attempt reached the server; a drop may beat the client's own set-up, so not every one is reported connected.
        assertThat(events.connected.size()).isBetween(1, 5);
    }

    @Test
    void closeStopsReconnectingForGood() throws Exception {
        Events events = new Events();
        Client client = client(freePort(), PagumaConfig.builder().reconnectBase(Duration.ofMillis(50)), events);
        CompletableFuture<Connection> connect = client.connect();
        await().atMost(Duration.ofSeconds(10)).until(() -> events.retries.size() >= 2);
        client.close().orTimeout(10, TimeUnit.SECONDS).join();
        assertThat(events.closed.await(5, TimeUnit.SECONDS)).isTrue();
        int seen = events.retries.size();
        assertThat(client.state()).isEqualTo(Client.State.CLOSED);
        assertThat(connect).isCompletedExceptionally();
        // Well past the next delay (at most 200 ms by now): nothing more happens.
        await().during(Duration.ofMillis(600)).atMost(Duration.ofSeconds(2)).until(() -> events.retries.size() == seen);
        assertThat(client.send(ECHO, "x")).isCompletedExceptionally();
    }

    @Test
    void givesUpAfterTheConfiguredNumberOfAttempts() throws Exception {
        Events events = new Events();
        Client client = client(freePort(), PagumaConfig.builder().reconnectBase(Duration.ofMillis(20)).reconnectAttempts(3)
                .offlineQueueSize(10), events);
        CompletableFuture<Void> queued = client.send(ECHO, "never");
        CompletableFuture<Connection> connect = client.connect();
        assertThat(events.gaveUp.await(10, TimeUnit.SECONDS)).isTrue();
        assertThat(events.gaveUpAfter).isEqualTo(3);
        assertThat(events.retries).extracting(Events.Retry::attempt).containsExactly(1, 2, 3);
        assertThat(connect).isCompletedExceptionally();
        assertThatThrownBy(queued::join).hasCauseInstanceOf(ConnectionClosedException.class).hasMessageContaining("gave up");
        assertThat(client.state()).isEqualTo(Client.State.CLOSED);
        assertThat(events.closed.await(5, TimeUnit.SECONDS)).isTrue();
    }

    @Test
    void whileDisconnectedSendsFailFastByDefault() throws Exception {
        Client client = client(freePort(), PagumaConfig.builder(), new Events());
        client.connect();
        CompletableFuture<Void> f = client.send(ECHO, "x");
        assertThat(f).isCompletedExceptionally();
        assertThatThrownBy(f::join).hasCauseInstanceOf(ConnectionClosedException.class)
                .hasMessageContaining("not connected");
    }

    @Test
    void theOfflineQueueHoldsMessagesInOrderUntilConnectedAndIsBounded() throws Exception {
        int port = freePort();
        ConcurrentLinkedQueue<String> received = new ConcurrentLinkedQueue<>();
        Events events = new Events();
        Client client = client(port, PagumaConfig.builder().reconnectBase(Duration.ofMillis(50))
                .reconnectMaxDelay(Duration.ofMillis(100)).offlineQueueSize(100), events);
        client.connect();
        List<CompletableFuture<Void>> sends = new ArrayList<>();
        for (int i = 0; i < 99; i++) sends.add(client.send(2, "m" + i));
        CompletableFuture<Message> request = client.request(ECHO, "q".getBytes(), Duration.ofSeconds(30));
        CompletableFuture<Void> overflow = client.send(2, "too many");
        assertThat(overflow).isCompletedExceptionally();
        assertThatThrownBy(overflow::join).hasMessageContaining("offline queue of 100 is full");
        CompletableFuture<Message> expires = null;

        Server server = Server.builder()
                .config(Servers.config().port(port).codec("paguma").workerPoolSize(1).build())
                .route(2, r -> received.add(r.text()))
                .route(ECHO, r -> r.reply(ECHO, r.data()))
                .build().start();
        servers.add(server);
        CompletableFuture.allOf(sends.toArray(new CompletableFuture[0])).orTimeout(10, TimeUnit.SECONDS).join();
        assertThat(request.orTimeout(10, TimeUnit.SECONDS).join().text()).isEqualTo("q");
        await().atMost(Duration.ofSeconds(10)).until(() -> received.size() == 99);
        List<String> expected = new ArrayList<>();
        for (int i = 0; i < 99; i++) expected.add("m" + i);
        assertThat(received).containsExactlyElementsOf(expected);
        assertThat(expires).isNull();
    }

    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(ints = {0, 1})
    void onConnStartSendsGoOutBeforeWhatWaitedOffline(int workers) throws Exception {
        int port = freePort();
        ConcurrentLinkedQueue<String> received = new ConcurrentLinkedQueue<>();
        Client client = Client.builder()
                .config(PagumaConfig.builder().host("127.0.0.1").port(port).codec("paguma").workerPoolSize(workers)
                        .reconnectBase(Duration.ofMillis(20)).reconnectMaxDelay(Duration.ofMillis(50)).reconnectJitter(0)
                        .offlineQueueSize(10).build())
                .onConnStart(c -> c.send(2, "hello from the hook"))
                .build();
        clients.add(client);
        client.send(2, "queued 1");
        client.send(2, "queued 2");
        client.connect();
        Server server = Server.builder().config(Servers.config().port(port).codec("paguma").build())
                .route(2, r -> received.add(r.text())).build().start();
        servers.add(server);
        await().atMost(Duration.ofSeconds(10)).until(() -> received.size() == 3);
        assertThat(received).containsExactly("hello from the hook", "queued 1", "queued 2");
    }

    @Test
    void aQueuedRequestStillTimesOut() throws Exception {
        Client client = client(freePort(), PagumaConfig.builder().offlineQueueSize(10), new Events());
        // Made before connect(): its timer starts with the client.
        CompletableFuture<Message> early = client.request(ECHO, "x".getBytes(), Duration.ofMillis(150));
        client.connect();
        CompletableFuture<Message> f = client.request(ECHO, "x".getBytes(), Duration.ofMillis(150));
        for (CompletableFuture<Message> r : List.of(early, f)) {
            assertThatThrownBy(() -> r.orTimeout(5, TimeUnit.SECONDS).join()).hasCauseInstanceOf(TimeoutException.class)
                    .hasMessageContaining("to connect");
        }
    }

    @Test
    void backoffDoublesFromTheBaseUpToTheCapWithJitterInBounds() {
        Duration base = Duration.ofSeconds(3);
        Duration cap = Duration.ofSeconds(60);
        long[] expected = {3, 6, 12, 24, 48, 60, 60};
        for (int i = 0; i < expected.length; i++) {
            assertThat(Client.backoffNanos(i + 1, base, cap, 0, 0.5)).isEqualTo(TimeUnit.SECONDS.toNanos(expected[i]));
        }
        assertThat(Client.backoffNanos(1000, base, cap, 0, 0.3)).isEqualTo(cap.toNanos());
        long seed = System.nanoTime();
        Random random = new Random(seed);
        for (int i = 0; i < 1000; i++) {
            int retry = 1 + random.nextInt(10);
            long plain = Client.backoffNanos(retry, base, cap, 0, 0);
            long varied = Client.backoffNanos(retry, base, cap, 0.2, random.nextDouble());
            assertThat(varied).as("seed %d", seed).isBetween(Math.round(plain * 0.8), Math.round(plain * 1.2));
        }
    }

    @Test
    void aStoppingServerFinishesTheRequestInFlightAndTheClientSeesACleanClose() throws Exception {
        CountDownLatch inRouter = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        Server server = Server.builder()
                .config(Servers.config().codec("paguma").build())
                .route(ECHO, r -> {
                    inRouter.countDown();
                    try {
                        release.await(10, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    r.reply(ECHO, r.data());
                })
                .build().start();
        servers.add(server);
        Events events = new Events();
        Client client = client(server.port(), PagumaConfig.builder().reconnect(false), events);
        client.connect().orTimeout(10, TimeUnit.SECONDS).join();
        CompletableFuture<Message> inFlight = client.request(ECHO, "finish me");
        assertThat(inRouter.await(10, TimeUnit.SECONDS)).isTrue();
        CompletableFuture<StopReport> stopping = server.stopAsync();
        release.countDown();
        assertThat(inFlight.orTimeout(10, TimeUnit.SECONDS).join().text()).isEqualTo("finish me");
        StopReport report = stopping.orTimeout(15, TimeUnit.SECONDS).join();
        assertThat(report.requestsDropped()).isZero();
        await().atMost(Duration.ofSeconds(10)).until(() -> events.disconnected.size() == 1);
        assertThat(events.gaveUp.await(5, TimeUnit.SECONDS)).isTrue();
    }

    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(ints = {0, 1})
    void aRouterOfTheClientCanCloseIt(int workers) {
        Server server = echoServer(0);
        java.util.concurrent.atomic.AtomicReference<Client> self = new java.util.concurrent.atomic.AtomicReference<>();
        Events events = new Events();
        Client client = Client.builder()
                .config(PagumaConfig.builder().host("127.0.0.1").port(server.port()).codec("paguma").workerPoolSize(workers).build())
                .route(ECHO, r -> self.get().close())
                .listener(events)
                .build();
        clients.add(client);
        self.set(client);
        client.connect().orTimeout(10, TimeUnit.SECONDS).join();
        client.send(ECHO, "close yourself");
        client.closeFuture().orTimeout(10, TimeUnit.SECONDS).join();
        assertThat(client.state()).isEqualTo(Client.State.CLOSED);
        assertThat(events.closed.getCount()).isZero();
        await().atMost(Duration.ofSeconds(10)).until(() -> server.connections().count() == 0);
    }

    @Test
    void twoClientsAndTwoServersInOneJvmDoNotInterfere() {
        Server a = echoServer(0);
        Server b = Server.builder().config(Servers.config().codec("paguma").build())
                .route(ECHO, r -> r.reply(ECHO, "b:" + r.text())).build().start();
        servers.add(b);
        Client ca = client(a.port(), PagumaConfig.builder(), new Events());
        Client cb = client(b.port(), PagumaConfig.builder(), new Events());
        ca.connect().orTimeout(10, TimeUnit.SECONDS).join();
        cb.connect().orTimeout(10, TimeUnit.SECONDS).join();
        assertThat(ca.request(ECHO, "x").orTimeout(10, TimeUnit.SECONDS).join().text()).isEqualTo("x");
        assertThat(cb.request(ECHO, "x").orTimeout(10, TimeUnit.SECONDS).join().text()).isEqualTo("b:x");
        ca.close().orTimeout(10, TimeUnit.SECONDS).join();
        assertThat(cb.request(ECHO, "y").orTimeout(10, TimeUnit.SECONDS).join().text()).isEqualTo("b:y");
    }
}
