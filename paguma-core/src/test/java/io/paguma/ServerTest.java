package io.paguma;

import io.paguma.testing.FrameSocket;
import io.paguma.testing.Peer;
import io.paguma.testing.Servers;
import io.paguma.testing.Wire;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

class ServerTest {
    private final List<Server> servers = new ArrayList<>();

    private Server start(Server.Builder builder) {
        Server s = builder.build().start();
        servers.add(s);
        return s;
    }

    @AfterEach
    void stopServers() {
        for (Server s : servers) s.stop();
    }

    private static Server.Builder echo(PagumaConfig config) {
        return Server.builder().config(config).route(1, r -> r.reply(1, r.data()));
    }

    @ParameterizedTest
    @EnumSource(Wire.class)
    void echoRoundTrip(Wire wire) throws IOException {
        Server server = start(echo(wire.server(Servers.config()).build()));
        assertThat(wire.port(server)).isPositive();
        try (Peer s = wire.connect(server)) {
            s.send(1, "hello paguma");
            Message m = s.read();
            assertThat(m.id()).isEqualTo(1);
            assertThat(m.text()).isEqualTo("hello paguma");
        }
    }

    @ParameterizedTest
    @EnumSource(Wire.class)
    void echoRoundTripOnTheIoThreads(Wire wire) throws IOException {
        Server server = start(echo(wire.server(Servers.config()).workerPoolSize(0).build()));
        try (Peer s = wire.connect(server)) {
            for (int i = 0; i < 100; i++) s.send(1, "m" + i);
            for (int i = 0; i < 100; i++) assertThat(s.read().text()).isEqualTo("m" + i);
        }
    }

    @ParameterizedTest
    @EnumSource(Wire.class)
    void emptyPayloadAndMaximumPayloadRoundTrip(Wire wire) throws IOException {
        Server server = start(echo(wire.server(Servers.config()).maxPacketSize(64 * 1024).build()));
        byte[] big = new byte[64 * 1024];
        new java.util.Random(7).nextBytes(big);
        try (Peer s = wire.connect(server)) {
            s.send(1, new byte[0]);
            s.send(1, big);
            assertThat(s.read().data()).isEmpty();
            assertThat(s.read().data()).isEqualTo(big);
        }
    }

    @ParameterizedTest
    @EnumSource(Wire.class)
    void ordersOfOneConnectionAreKeptUnderTheWorkerPool(Wire wire) throws Exception {
        Map<Long, List<Integer>> seen = new ConcurrentHashMap<>();
        Server server = start(Server.builder()
                .config(wire.server(Servers.config()).workerPoolSize(3).maxWorkerTaskLen(8).build())
                .route(7, r -> {
                    int n = Integer.parseInt(r.text());
                    seen.computeIfAbsent(r.connection().id(), k -> new CopyOnWriteArrayList<>()).add(n);
                    r.reply(7, r.data());
                }));
        int clients = 12;
        int perClient = 400;
        List<Thread> threads = new ArrayList<>();
        List<Throwable> failures = new CopyOnWriteArrayList<>();
        for (int c = 0; c < clients; c++) {
            Thread t = new Thread(() -> {
                try (Peer s = wire.connect(server)) {
                    for (int i = 0; i < perClient; i++) s.send(7, Integer.toString(i));
                    for (int i = 0; i < perClient; i++) assertThat(s.read().text()).isEqualTo(Integer.toString(i));
                } catch (Throwable e) {
                    failures.add(e);
                }
            });
            threads.add(t);
            t.start();
        }
        for (Thread t : threads) t.join(30_000);
        assertThat(failures).isEmpty();
        assertThat(seen).hasSize(clients);
        List<Integer> expected = new ArrayList<>();
        for (int i = 0; i < perClient; i++) expected.add(i);
        seen.values().forEach(list -> assertThat(list).isEqualTo(expected));
    }

    @ParameterizedTest
    @EnumSource(Wire.class)
    void connectionsBeyondMaxConnAreRefusedWithTheServerFullMessage(Wire wire) throws IOException {
        Server server = start(echo(wire.server(Servers.config()).maxConn(2).serverFullMsgId(99).serverFullMessage("server full").build()));
        try (Peer a = wire.connect(server); Peer b = wire.connect(server)) {
            a.send(1, "a");
            b.send(1, "b");
            assertThat(a.read().text()).isEqualTo("a");
            assertThat(b.read().text()).isEqualTo("b");
            if (wire == Wire.TCP) {
                try (FrameSocket c = FrameSocket.connect(server.port())) {
                    Message full = c.read();
                    assertThat(full.id()).isEqualTo(99);
                    assertThat(full.text()).isEqualTo("server full");
                    assertThat(c.closedByPeer()).isTrue();
                }
            } else {
                // Not a WebSocket yet: a browser is told in HTTP.
                assertThatThrownBy(() -> wire.connect(server))
                        .isInstanceOfSatisfying(io.paguma.testing.WsFrameSocket.UpgradeRefused.class,
                                e -> assertThat(e.status).isEqualTo(503));
            }
            assertThat(server.connections().count()).isEqualTo(2);
            assertThat(server.stats().refused()).isEqualTo(1);
            a.send(1, "still here");
            assertThat(a.read().text()).isEqualTo("still here");
        }
        // Places are given back when connections close.
        await().atMost(5, SECONDS).until(() -> server.connections().count() == 0);
        try (Peer d = wire.connect(server)) {
            d.send(1, "d");
            assertThat(d.read().text()).isEqualTo("d");
        }
    }

    @ParameterizedTest
    @EnumSource(Wire.class)
    void oversizedFrameClosesOnlyThatConnection(Wire wire) throws IOException {
        Server server = start(echo(wire.server(Servers.config()).maxPacketSize(1024).build()));
        try (Peer good = wire.connect(server); Peer bad = wire.connect(server)) {
            good.send(1, "before");
            assertThat(good.read().text()).isEqualTo("before");
            // Only the header of a 9 MB frame: the server must refuse it without waiting for the body.
            bad.sendRaw(new byte[] {0x40, 0x54, (byte) 0x89, 0x00, 1, 0, 0, 0});
            assertThat(bad.closedByPeer()).isTrue();
            good.send(1, "after");
            assertThat(good.read().text()).isEqualTo("after");
        }
    }

    @ParameterizedTest
    @EnumSource(Wire.class)
    void aFrameOfExactlyMaxPacketSizeIsAccepted(Wire wire) throws IOException {
        Server server = start(echo(wire.server(Servers.config()).maxPacketSize(100).build()));
        try (Peer s = wire.connect(server)) {
            s.send(1, new byte[100]);
            assertThat(s.read().length()).isEqualTo(100);
            s.send(1, new byte[101]);
            assertThat(s.closedByPeer()).isTrue();
        }
    }

    @Test
    void aRouterThatThrowsDoesNotKillTheConnectionOrTheWorker() throws IOException {
        Server server = start(Server.builder()
                .config(Servers.config().workerPoolSize(1).build())
                .route(1, r -> {
                    if (r.text().equals("boom")) throw new IllegalStateException("boom");
                    r.reply(1, r.data());
                })
                .route(2, new BaseRouter() {
                    @Override
                    public void preHandle(Request request) {
                        throw new IllegalArgumentException("pre fails");
                    }

                    @Override
                    public void handle(Request request) {
                        request.reply(2, "must not run");
                    }
                }));
        try (FrameSocket s = FrameSocket.connect(server.port())) {
            s.send(1, "boom");
            s.send(2, "x");
            s.send(1, "ok");
            Message m = s.read();
            assertThat(m.id()).isEqualTo(1);
            assertThat(m.text()).isEqualTo("ok");
        }
    }

    @Test
    void aRouterThatOverflowsTheStackDoesNotKillTheWorker() throws IOException {
        Server server = start(Server.builder()
                .config(Servers.config().workerPoolSize(1).build())
                .route(1, r -> r.reply(1, r.data()))
                .route(9, new Router() {
                    @Override
                    public void handle(Request request) {
                        handle(request);
                    }
                }));
        try (FrameSocket s = FrameSocket.connect(server.port()); FrameSocket other = FrameSocket.connect(server.port())) {
            s.send(9, "recurse");
            // A StackOverflowError is a VirtualMachineError: logged at ERROR, its connection is closed
            // (its state is unknown), and the worker carries on for every other connection.
            assertThat(s.closedByPeer()).isTrue();
            other.send(1, "me too");
            assertThat(other.read().text()).isEqualTo("me too");
        }
    }

    @Test
    void aReplyGoesOutWhileTheNextRouterOnTheSameWorkerIsStillRunning() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        Server server = start(Server.builder()
                .config(Servers.config().workerPoolSize(1).build())
                .route(1, r -> r.reply(1, r.data()))
                .route(2, r -> release.await()));
        try (FrameSocket s = FrameSocket.connect(server.port())) {
            s.send(1, "quick");
            s.send(2, "slow");
            assertThat(s.read().text()).isEqualTo("quick");
        } finally {
            release.countDown();
        }
    }

    @Test
    void aRouterMayWaitForItsOwnSendAndWhatItSentGoesOutBeforeItReturns() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        Server server = start(Server.builder()
                .config(Servers.config().workerPoolSize(1).build())
                .route(1, r -> {
                    r.reply(1, "written").get(5, TimeUnit.SECONDS);
                    r.reply(1, "progress");
                    release.await();
                }));
        try (FrameSocket s = FrameSocket.connect(server.port())) {
            s.send(1, "go");
            assertThat(s.read().text()).isEqualTo("written");
            assertThat(s.read().text()).isEqualTo("progress");
        } finally {
            release.countDown();
        }
    }

    @Test
    void routerStepsRunInTemplateOrder() throws IOException {
        List<String> steps = new CopyOnWriteArrayList<>();
        Server server = start(Server.builder().config(Servers.config().build()).route(3, new BaseRouter() {
            @Override
            public void preHandle(Request request) {
                steps.add("pre");
            }

            @Override
            public void handle(Request request) {
                steps.add("handle");
            }

            @Override
            public void postHandle(Request request) {
                steps.add("post");
                request.reply(3, "done");
            }
        }));
        try (FrameSocket s = FrameSocket.connect(server.port())) {
            s.send(3, "x");
            assertThat(s.read().text()).isEqualTo("done");
        }
        assertThat(steps).containsExactly("pre", "handle", "post");
    }

    @ParameterizedTest
    @EnumSource(Wire.class)
    void aResponderAnswersByReturningAndNullSendsNothing(Wire wire) throws Exception {
        Server server = start(Server.builder().config(wire.server(Servers.config()).codec("paguma").build())
                .respond(5, r -> r.text().isEmpty() ? null : ("len " + r.data().length).getBytes(StandardCharsets.UTF_8)));
        Client client = Client.builder().config(wire.client(PagumaConfig.builder(), server).codec("paguma").build()).build();
        try {
            client.connect().orTimeout(10, TimeUnit.SECONDS).join();
            Message reply = client.request(5, "four").orTimeout(10, TimeUnit.SECONDS).join();
            assertThat(reply.id()).isEqualTo(5);
            assertThat(reply.text()).isEqualTo("len 4");
            // null: no reply, so the request times out rather than getting an empty answer.
            assertThatThrownBy(() -> client.request(5, new byte[0], java.time.Duration.ofMillis(200)).join())
                    .hasCauseInstanceOf(java.util.concurrent.TimeoutException.class);
        } finally {
            client.close().orTimeout(10, TimeUnit.SECONDS).join();
        }
    }

    @Test
    void registeringAnIdTwiceIsAnError() {
        Server.Builder b = Server.builder().route(1, r -> { });
        assertThatThrownBy(() -> b.route(1, r -> { }))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("message id 1 already has a router");
    }

    @ParameterizedTest
    @EnumSource(Wire.class)
    void unknownMessageIdsAreDroppedAndTheConnectionCarriesOn(Wire wire) throws IOException {
        Server server = start(echo(wire.server(Servers.config()).build()));
        try (Peer s = wire.connect(server)) {
            s.send(12345, "nobody home");
            s.send(1, "echo");
            Message m = s.read();
            assertThat(m.id()).isEqualTo(1);
            assertThat(m.text()).isEqualTo("echo");
        }
    }

    @Test
    void unknownMessageIdsCanBeAnsweredByAnErrorRoute() throws IOException {
        Server server = start(echo(Servers.config().build())
                .onUnknownMessage(r -> r.reply(0xFFFF, "no route for " + r.id())));
        try (FrameSocket s = FrameSocket.connect(server.port())) {
            s.send(42, "?");
            Message m = s.read();
            assertThat(m.id()).isEqualTo(0xFFFF);
            assertThat(m.text()).isEqualTo("no route for 42");
        }
    }

    @ParameterizedTest
    @EnumSource(Wire.class)
    void hooksFireOnceEachInOrderAroundTheRequests(Wire wire) throws Exception {
        Map<Long, List<String>> events = new ConcurrentHashMap<>();
        Server server = start(Server.builder()
                .config(wire.server(Servers.config()).workerPoolSize(2).build())
                .route(1, r -> {
                    events.get(r.connection().id()).add("request");
                    r.reply(1, r.data());
                })
                .onConnStart(c -> events.computeIfAbsent(c.id(), k -> new CopyOnWriteArrayList<>()).add("start"))
                .onConnStop(c -> events.get(c.id()).add("stop")));
        List<Long> ids = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            try (Peer s = wire.connect(server)) {
                s.send(1, "x");
                s.read();
            }
        }
        await().atMost(5, SECONDS).until(() -> events.size() == 5
                && events.values().stream().allMatch(l -> l.contains("stop")));
        events.forEach((id, list) -> {
            ids.add(id);
            assertThat(list).as("connection " + id).containsExactly("start", "request", "stop");
        });
        assertThat(Set.copyOf(ids)).hasSize(5);
    }

    @ParameterizedTest
    @EnumSource(Wire.class)
    void closeFutureCompletesAfterOnConnStopAndTheConnectionIsRemoved(Wire wire) throws Exception {
        AtomicInteger stops = new AtomicInteger();
        CountDownLatch started = new CountDownLatch(1);
        Server server = start(echo(wire.server(Servers.config()).build())
                .onConnStart(c -> started.countDown())
                .onConnStop(c -> stops.incrementAndGet()));
        Connection conn;
        try (Peer s = wire.connect(server)) {
            assertThat(started.await(5, SECONDS)).isTrue();
            conn = server.connections().all().iterator().next();
            assertThat(server.connections().get(conn.id())).isSameAs(conn);
            assertThat(conn.isOpen()).isTrue();
        }
        conn.closeFuture().get(5, SECONDS);
        assertThat(stops.get()).isEqualTo(1);
        assertThat(conn.isOpen()).isFalse();
        assertThat(server.connections().get(conn.id())).isNull();
    }

    @ParameterizedTest
    @EnumSource(Wire.class)
    void propertiesAreVisibleAcrossThreads(Wire wire) throws Exception {
        Server server = start(Server.builder()
                .config(wire.server(Servers.config()).workerPoolSize(2).build())
                .onConnStart(c -> c.property("name", "guest-" + c.id()))
                .route(1, r -> {
                    String name = r.connection().property("name");
                    r.connection().property("last", r.text());
                    r.reply(1, name);
                }));
        try (Peer s = wire.connect(server)) {
            s.send(1, "first");
            String name = s.read().text();
            Connection conn = server.connections().all().iterator().next();
            assertThat(name).isEqualTo("guest-" + conn.id());
            // Read from this test thread what the worker thread wrote.
            assertThat((String) conn.property("last")).isEqualTo("first");
            conn.property("name", "alice");
            s.send(1, "second");
            assertThat(s.read().text()).isEqualTo("alice");
            assertThat((String) conn.removeProperty("name")).isEqualTo("alice");
            assertThat((Object) conn.property("name")).isNull();
        }
    }

    @ParameterizedTest
    @EnumSource(Wire.class)
    void serverSideCloseFlushesWhatWasSentFirst(Wire wire) throws Exception {
        Server server = start(Server.builder().config(wire.server(Servers.config()).build()).route(1, r -> {
            for (int i = 0; i < 50; i++) r.reply(1, "bye " + i);
            r.connection().close();
        }));
        try (Peer s = wire.connect(server)) {
            s.send(1, "x");
            for (int i = 0; i < 50; i++) assertThat(s.read().text()).isEqualTo("bye " + i);
            assertThat(s.closedByPeer()).isTrue();
        }
    }

    @ParameterizedTest
    @EnumSource(Wire.class)
    void aServerSideCloseWhileThePeerIsStillSendingEndsCleanlyNotWithAReset(Wire wire) throws IOException {
        Server server = start(Server.builder().config(wire.server(Servers.config()).build()).route(1, r -> {
            r.reply(1, "last words");
            r.connection().close();
        }).route(2, r -> { }));
        try (Peer s = wire.connect(server)) {
            s.send(1, "close please");
            // The server stops reading requests but must drain these, or its close would be a reset.
            byte[] chatter = s.encode(new Message(2, new byte[100]));
            for (int i = 0; i < 2000; i++) s.sendRaw(chatter);
            assertThat(s.read().text()).isEqualTo("last words");
            assertThat(s.closedByPeer()).isTrue();
        }
    }

    @Test
    void twoServersInOneJvmKeepTheirOwnConfig() throws IOException {
        Server ltv = start(Server.builder().config(Servers.config().name("a").build())
                .route(1, r -> r.reply(1, "from a")));
        Server tlv = start(Server.builder().config(Servers.config().name("b").codec("tlv-be").maxPacketSize(10).build())
                .route(1, r -> r.reply(1, "from b")));
        try (FrameSocket a = FrameSocket.connect(ltv.port(), Codecs.LTV_LE);
             FrameSocket b = FrameSocket.connect(tlv.port(), Codecs.TLV_BE)) {
            a.send(1, "0123456789abcdef");
            b.send(1, "x");
            assertThat(a.read().text()).isEqualTo("from a");
            assertThat(b.read().text()).isEqualTo("from b");
            b.send(1, "0123456789abcdef");
            assertThat(b.closedByPeer()).isTrue();
        }
    }

    @Test
    void startTwiceAndBindConflictsAreClearErrors() {
        Server first = start(echo(Servers.config().build()));
        assertThatThrownBy(first::start).isInstanceOf(IllegalStateException.class).hasMessageContaining("already started");
        Server second = echo(Servers.config().port(first.port()).build()).build();
        assertThatThrownBy(second::start)
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("cannot listen on 127.0.0.1:" + first.port());
        assertThat(second.isRunning()).isFalse();
    }

    @Test
    void builderShortcutsApplyOnTopOfAConfigWhateverTheOrder() {
        PagumaConfig loaded = PagumaConfig.builder().name("from-config").port(1234).build();
        Server a = Server.builder().port(0).config(loaded).build();
        Server b = Server.builder().config(loaded).port(0).name("shortcut").build();
        assertThat(a.config().port()).isZero();
        assertThat(a.name()).isEqualTo("from-config");
        assertThat(b.config().port()).isZero();
        assertThat(b.name()).isEqualTo("shortcut");
    }

    @Test
    void anUnresolvableHostIsAClearError() {
        Server server = echo(Servers.config().host("no-such-host.invalid").build()).build();
        assertThatThrownBy(server::start)
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("cannot listen on no-such-host.invalid:0")
                .hasMessageContaining("check paguma.host")
                .hasMessageNotContaining("null");
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    static void awaitLatch(CountDownLatch latch) throws InterruptedException {
        assertThat(latch.await(10, TimeUnit.SECONDS)).isTrue();
    }
}
