package io.paguma;

import io.paguma.internal.ChannelConnection;
import io.paguma.testing.Peer;
import io.paguma.testing.Servers;
import io.paguma.testing.Wire;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/** Request/response matched by sequence id (T6), from both sides, with timeouts and close. */
@org.junit.jupiter.params.ParameterizedClass
@org.junit.jupiter.params.provider.EnumSource(Wire.class)
class RequestTest {
    @org.junit.jupiter.params.Parameter
    Wire wire;

    private static final int ECHO = 1;
    private static final int SILENT = 2;

    private final List<Server> servers = new ArrayList<>();
    private final List<Client> clients = new ArrayList<>();

    @AfterEach
    void tearDown() {
        for (Client c : clients) c.close().orTimeout(10, TimeUnit.SECONDS).join();
        for (Server s : servers) s.stop();
    }

    private Server server(String codec, int workers, Server.Builder b) {
        Server s = b.config(wire.server(Servers.config()).codec(codec).workerPoolSize(workers).build()).build().start();
        servers.add(s);
        return s;
    }

    private Server echoServer(String codec, int workers) {
        return server(codec, workers, Server.builder()
                .route(ECHO, r -> r.reply(ECHO, r.data()))
                .route(SILENT, r -> { }));
    }

    private Client client(Server server, PagumaConfig.Builder config, Client.Builder b) {
        Client c = b.config(wire.client(config, server).codec(server.codec().name()).build()).build();
        clients.add(c);
        c.connect().orTimeout(10, TimeUnit.SECONDS).join();
        return c;
    }

    private Client client(Server server) {
        return client(server, PagumaConfig.builder().name("test-client"), Client.builder());
    }

    /** Requests not completed, and (asked on the IO thread) entries in the table of waiters: both must agree. */
    private static int pending(Client c) {
        ChannelConnection conn = (ChannelConnection) c.connection();
        try {
            int table = conn.waitingForReplies();
            int count = conn.pendingRequests();
            assertThat(table).as("waiter table vs pending count").isEqualTo(count);
            return count;
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    @ParameterizedTest(name = "{0}, workerPoolSize {1}")
    @org.junit.jupiter.params.provider.CsvSource({"paguma,0", "paguma,2", "tron,0", "tron,2"})
    void thousandsInFlightAnsweredInRandomOrderEachGetTheirOwnReply(String codec, int workers) {
        ConcurrentLinkedQueue<Request> held = new ConcurrentLinkedQueue<>();
        // Kept past the router: retained (a no-op for array payloads, needed with zeroCopy), released once answered.
        Server server = server(codec, workers, Server.builder().route(ECHO, r -> {
            r.message().retain();
            held.add(r);
        }));
        Client client = client(server);
        int n = 5000;
        // From several threads at once, so sequence ids are handed out concurrently.
        List<Thread> threads = new ArrayList<>();
        List<List<CompletableFuture<Message>>> perThread = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            int base = t * (n / 4);
            List<CompletableFuture<Message>> mine = new ArrayList<>();
            perThread.add(mine);
            threads.add(new Thread(() -> {
                for (int i = base; i < base + n / 4; i++) {
                    mine.add(client.request(ECHO, ("req-" + i).getBytes(StandardCharsets.UTF_8), Duration.ofMinutes(1)));
                }
            }));
        }
        threads.forEach(Thread::start);
        threads.forEach(t -> {
            try {
                t.join();
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        });
        // Every request has reached the server and none is answered yet: all are in flight at once.
        await().atMost(Duration.ofSeconds(20)).until(() -> held.size() == n);
        assertThat(pending(client)).isEqualTo(n);
        List<Request> answerOrder = new ArrayList<>(held);
        long seed = System.nanoTime();
        java.util.Collections.shuffle(answerOrder, new Random(seed));
        for (Request r : answerOrder) {
            r.reply(ECHO, r.data());
            r.message().release();
        }
        List<CompletableFuture<Message>> replies = new ArrayList<>(n);
        perThread.forEach(replies::addAll);
        CompletableFuture.allOf(replies.toArray(new CompletableFuture[0])).orTimeout(30, TimeUnit.SECONDS).join();
        for (int t = 0; t < 4; t++) {
            List<CompletableFuture<Message>> mine = perThread.get(t);
            for (int i = 0; i < mine.size(); i++) {
                assertThat(mine.get(i).join().text()).as("seed %d", seed).isEqualTo("req-" + (t * (n / 4) + i));
            }
        }
        assertThat(pending(client)).isZero();
    }

    @Test
    void timeoutsFailExactlyTheUnansweredRequestsAndLeaveNoWaiter() {
        Server server = echoServer("paguma", 2);
        AtomicInteger routedOnClient = new AtomicInteger();
        Client client = client(server, PagumaConfig.builder(), Client.builder()
                .route(ECHO, r -> routedOnClient.incrementAndGet()));
        Random random = new Random(42);
        List<Boolean> answered = new ArrayList<>();
        List<CompletableFuture<Message>> futures = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            boolean answer = random.nextBoolean();
            answered.add(answer);
            futures.add(client.request(answer ? ECHO : SILENT, ("r" + i).getBytes(StandardCharsets.UTF_8),
                    Duration.ofMillis(400)));
        }
        for (int i = 0; i < futures.size(); i++) {
            CompletableFuture<Message> f = futures.get(i);
            if (answered.get(i)) {
                assertThat(f.orTimeout(10, TimeUnit.SECONDS).join().text()).as("request %d (seed 42)", i).isEqualTo("r" + i);
            } else {
                assertThatThrownBy(() -> f.orTimeout(10, TimeUnit.SECONDS).join()).as("request %d (seed 42)", i)
                        .isInstanceOf(CompletionException.class).hasCauseInstanceOf(TimeoutException.class)
                        .hasMessageContaining("got no reply within 400 ms");
            }
        }
        assertThat(pending(client)).isZero();
        // Replies are never routed as messages.
        assertThat(routedOnClient).hasValue(0);
    }

    @Test
    void aShortTimeoutBehindLongOnesStillFiresOnTime() {
        Server server = echoServer("paguma", 0);
        Client client = client(server);
        List<CompletableFuture<Message>> slow = new ArrayList<>();
        for (int i = 0; i < 10; i++) slow.add(client.request(SILENT, new byte[0], Duration.ofSeconds(30)));
        // Many answered requests behind the silent ones: they complete, and are not held back.
        List<CompletableFuture<Message>> answered = new ArrayList<>();
        for (int i = 0; i < 2000; i++) answered.add(client.request(ECHO, new byte[]{(byte) i}, Duration.ofSeconds(30)));
        CompletableFuture.allOf(answered.toArray(new CompletableFuture[0])).orTimeout(20, TimeUnit.SECONDS).join();
        long start = System.nanoTime();
        CompletableFuture<Message> quick = client.request(SILENT, new byte[0], Duration.ofMillis(200));
        assertThatThrownBy(() -> quick.orTimeout(10, TimeUnit.SECONDS).join()).hasCauseInstanceOf(TimeoutException.class);
        long tookMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertThat(tookMillis).isBetween(190L, 5000L);
        assertThat(slow).allMatch(f -> !f.isDone());
        assertThat(pending(client)).isEqualTo(10);
        slow.forEach(f -> f.cancel(false));
        assertThat(pending(client)).isZero();
    }

    @Test
    void anEndlessTimeoutIsHeldToAYearAndStillWorks() {
        Server server = echoServer("paguma", 0);
        Client client = client(server);
        CompletableFuture<Message> forever = client.request(SILENT, new byte[0], java.time.temporal.ChronoUnit.FOREVER.getDuration());
        assertThat(client.request(ECHO, "next".getBytes(), Duration.ofSeconds(10)).orTimeout(10, TimeUnit.SECONDS).join().text()).isEqualTo("next");
        assertThat(forever).isNotDone();
        assertThat(pending(client)).isEqualTo(1);
    }

    @Test
    void aLateReplyIsDroppedNotRouted() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        Server server = server("paguma", 2, Server.builder().route(ECHO, r -> {
            try {
                release.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            r.reply(ECHO, r.data());
        }));
        AtomicInteger routedOnClient = new AtomicInteger();
        Client client = client(server, PagumaConfig.builder(), Client.builder()
                .route(ECHO, r -> routedOnClient.incrementAndGet()));
        CompletableFuture<Message> late = client.request(ECHO, "slow".getBytes(), Duration.ofMillis(100));
        assertThatThrownBy(() -> late.orTimeout(5, TimeUnit.SECONDS).join()).hasCauseInstanceOf(TimeoutException.class);
        release.countDown();
        // The late reply arrives and is dropped; the next request still works and gets its own reply.
        assertThat(client.request(ECHO, "next".getBytes()).orTimeout(10, TimeUnit.SECONDS).join().text()).isEqualTo("next");
        assertThat(routedOnClient).hasValue(0);
        assertThat(pending(client)).isZero();
    }

    @Test
    void clientCloseFailsEveryPendingRequest() {
        Server server = echoServer("paguma", 2);
        Client client = client(server);
        ChannelConnection conn = (ChannelConnection) client.connection();
        List<CompletableFuture<Message>> futures = new ArrayList<>();
        for (int i = 0; i < 200; i++) futures.add(client.request(SILENT, new byte[]{(byte) i}, Duration.ofMinutes(5)));
        await().atMost(Duration.ofSeconds(10)).until(() -> conn.traffic().messagesOut() == 200);
        client.close().orTimeout(10, TimeUnit.SECONDS).join();
        for (CompletableFuture<Message> f : futures) {
            assertThat(f).isCompletedExceptionally();
            assertThatThrownBy(f::join).hasCauseInstanceOf(ConnectionClosedException.class);
        }
        assertThat(conn.pendingRequests()).isZero();
        // A request after close fails at once, too.
        assertThat(client.request(ECHO, "x")).isCompletedExceptionally();
    }

    @Test
    void serverClosingTheConnectionFailsTheClientsPendingRequests() {
        Server server = echoServer("tron", 0);
        Client client = client(server, PagumaConfig.builder().reconnect(false), Client.builder());
        ChannelConnection conn = (ChannelConnection) client.connection();
        List<CompletableFuture<Message>> futures = new ArrayList<>();
        for (int i = 0; i < 50; i++) futures.add(client.request(SILENT, new byte[] {0}, Duration.ofMinutes(5))); // tron refuses empty packets
        await().atMost(Duration.ofSeconds(10)).until(() -> server.traffic().messagesIn() == 50);
        server.connections().all().forEach(Connection::close);
        CompletableFuture.allOf(futures.toArray(new CompletableFuture[0])).handle((v, e) -> null)
                .orTimeout(10, TimeUnit.SECONDS).join();
        for (CompletableFuture<Message> f : futures) {
            assertThatThrownBy(f::join).hasCauseInstanceOf(ConnectionClosedException.class);
        }
        assertThat(conn.pendingRequests()).isZero();
    }

    @Test
    void theServerCanRequestFromTheClient() {
        ConcurrentLinkedQueue<CompletableFuture<Message>> fromServer = new ConcurrentLinkedQueue<>();
        Server server = server("paguma", 2, Server.builder()
                .onConnStart(c -> fromServer.add(c.request(7, "who are you?"))));
        client(server, PagumaConfig.builder(), Client.builder().route(7, r -> r.reply(7, "client " + r.text())));
        await().atMost(Duration.ofSeconds(10)).until(() -> !fromServer.isEmpty());
        assertThat(fromServer.peek().orTimeout(10, TimeUnit.SECONDS).join().text()).isEqualTo("client who are you?");
    }

    @Test
    void withACodecWithoutSequenceIdsARequestFailsAtOnce() {
        Server server = echoServer("ltv-le", 0);
        Client client = client(server);
        CompletableFuture<Message> f = client.request(ECHO, "x");
        assertThat(f).isCompletedExceptionally();
        assertThatThrownBy(f::join).hasCauseInstanceOf(IllegalStateException.class)
                .hasMessageContaining("codec ltv-le carries no sequence id");
        assertThat(pending(client)).isZero();
    }

    @Test
    void maxPendingRequestsBoundsTheWaiters() {
        Server server = echoServer("paguma", 0);
        Client client = client(server, PagumaConfig.builder().maxPendingRequests(10), Client.builder());
        List<CompletableFuture<Message>> waiting = new ArrayList<>();
        for (int i = 0; i < 10; i++) waiting.add(client.request(SILENT, new byte[0], Duration.ofMinutes(1)));
        CompletableFuture<Message> eleventh = client.request(SILENT, new byte[0]);
        assertThat(eleventh).isCompletedExceptionally();
        assertThatThrownBy(eleventh::join).hasCauseInstanceOf(IllegalStateException.class)
                .hasMessageContaining("10 requests waiting for replies");
        waiting.get(0).cancel(false);
        // A cancelled request gives its place back.
        CompletableFuture<Message> again = client.request(ECHO, "ok");
        assertThat(again.orTimeout(10, TimeUnit.SECONDS).join().text()).isEqualTo("ok");
    }

    @ParameterizedTest
    @ValueSource(strings = {"paguma", "tron"})
    void aRawPeerSeesItsSequenceIdInTheReplyAndServerParityMessagesAreNotRouted(String codecName) throws Exception {
        AtomicInteger routed = new AtomicInteger();
        Server server = server(codecName, 0, Server.builder().route(ECHO, r -> {
            routed.incrementAndGet();
            r.reply(ECHO, r.data());
        }));
        Codec codec = Codecs.byName(codecName);
        try (Peer peer = wire.connect(server, codec)) {
            // Odd sequence ids are the client's: a request.
            peer.sendRaw(peer.encode(new Message(ECHO, 0x7fff_ffff, "a".getBytes())));
            Message reply = peer.read();
            assertThat(reply.seq()).isEqualTo(0x7fff_ffff);
            assertThat(reply.text()).isEqualTo("a");
            // The server has made no request on this connection: an even seq is a request too
            // (a client numbering 1, 2, 3 ... works).
            peer.sendRaw(peer.encode(new Message(ECHO, 4, "even".getBytes())));
            Message even = peer.read();
            assertThat(even.seq()).isEqualTo(4);
            assertThat(even.text()).isEqualTo("even");
            // Once the server has made a request, even seqs are its replies; nobody waits for 6, so it is dropped.
            CompletableFuture<Message> fromServer = server.connections().all().iterator().next()
                    .request(9, "ping?".getBytes(), Duration.ofSeconds(10));
            Message request = peer.read();
            assertThat(request.id()).isEqualTo(9);
            assertThat(request.seq() % 2).isZero();
            peer.sendRaw(peer.encode(new Message(ECHO, request.seq() + 2, "stray".getBytes())));
            peer.sendRaw(peer.encode(new Message(9, request.seq(), "pong!".getBytes())));
            assertThat(fromServer.orTimeout(10, TimeUnit.SECONDS).join().text()).isEqualTo("pong!");
            // Sequence id 0: a plain message, routed, replied with seq 0.
            peer.sendRaw(peer.encode(new Message(ECHO, 0, "b".getBytes())));
            Message plain = peer.read();
            assertThat(plain.text()).isEqualTo("b");
            assertThat(plain.seq()).isZero();
        }
        assertThat(routed).hasValue(3);
    }
}
