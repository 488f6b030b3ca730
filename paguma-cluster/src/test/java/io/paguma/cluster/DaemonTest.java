package io.paguma.cluster;

import io.paguma.Message;
import io.paguma.RemoteException;
import io.paguma.Routes;
import io.paguma.cluster.ClientEvent.Type;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/** Several nodes in one JVM, on separate ports, sharing an in-process registry and shared data. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class DaemonTest {
    private final Nodes nodes = new Nodes();

    @AfterEach
    void stop() {
        nodes.close();
    }

    /** A service that only a node without the chat service runs: "store". */
    static final class Store implements Service {
        @Override
        public String name() {
            return "store";
        }

        @Override
        public void mount(ServiceContext context, Routes.Builder routes) {
            routes.respond(30, r -> ("stored " + r.text()).getBytes(StandardCharsets.UTF_8));
            routes.respond(31, r -> {
                throw new IllegalArgumentException("bad input");
            });
            routes.route(32, r -> {
                // never answers
            });
        }
    }

    @Test
    void aClientOnOneNodeReachesAServiceOnAnotherAndGetsTheAnswer() throws Exception {
        Daemon a = nodes.start("a", new Store());
        ChatService chat = new ChatService();
        Daemon b = nodes.start("b", chat);
        nodes.awaitMesh();
        Nodes.TestClient client = nodes.client(a);
        // chat runs only on b: the message crosses the link and the answer comes back.
        await().atMost(Duration.ofSeconds(5)).until(() -> a.context().nodes().get("b") != null);
        assertThat(client.ask(ChatService.ECHO, "hi")).isEqualTo("b:hi");
        String[] who = client.ask(ChatService.WHOAMI, "").split("\\|");
        assertThat(who[0]).matches("@a/[0-9a-f]+/\\d+");
        assertThat(who[2]).isEqualTo("a");
        assertThat(who[3]).isEqualTo("b");
        // A router that throws on b reaches the client as a remote error.
        assertThatThrownBy(() -> client.client.request(ChatService.FAIL, new byte[0]).join())
                .isInstanceOf(CompletionException.class).cause().isInstanceOf(RemoteException.class)
                .extracting(e -> ((RemoteException) e).status()).isEqualTo(RemoteException.ROUTER_FAILED);
        // An id no service owns fails at once.
        assertThatThrownBy(() -> client.client.request(99, new byte[0]).join())
                .cause().isInstanceOf(RemoteException.class)
                .extracting(e -> ((RemoteException) e).status()).isEqualTo(RemoteException.NO_ROUTE);
        assertThat(b.clientCount()).isZero();
        assertThat(a.clientCount()).isEqualTo(1);
    }

    /**
     * The serving node keeps the fields of a forwarded client's last messages and decodes them
     * again only when they change: a login (a new id and epoch) is seen at once, and clients of
     * one gateway are never taken for each other.
     */
    @Test
    void aForwardedClientIsSeenAsItsLatestLoginOnTheServingNode() throws Exception {
        Daemon a = nodes.start("a", new Store());
        Daemon b = nodes.start("b", new ChatService());
        nodes.awaitMesh();
        await().atMost(Duration.ofSeconds(5)).until(() -> a.context().nodes().get("b") != null);
        Nodes.TestClient one = nodes.client(a);
        Nodes.TestClient two = nodes.client(a);
        String anonymous = one.ask(ChatService.WHOAMI, "").split("\\|")[0];
        assertThat(anonymous).matches("@a/[0-9a-f]+/\\d+");
        long e1 = Long.parseLong(one.ask(ChatService.LOGIN, "alice"));
        assertThat(one.ask(ChatService.WHOAMI, "")).isEqualTo("alice|" + e1 + "|a|b");
        long e2 = Long.parseLong(two.ask(ChatService.LOGIN, "bob"));
        for (int i = 0; i < 3; i++) {
            assertThat(one.ask(ChatService.WHOAMI, "")).isEqualTo("alice|" + e1 + "|a|b");
            assertThat(two.ask(ChatService.WHOAMI, "")).isEqualTo("bob|" + e2 + "|a|b");
        }
        // A third client of the gateway, anonymous, between two known ones.
        Nodes.TestClient three = nodes.client(a);
        assertThat(three.ask(ChatService.WHOAMI, "").split("\\|")[0]).matches("@a/[0-9a-f]+/\\d+").isNotEqualTo(anonymous);
        assertThat(one.ask(ChatService.WHOAMI, "")).isEqualTo("alice|" + e1 + "|a|b");
    }

    @Test
    void aRoomBroadcastReachesClientsOnAllNodesExactlyOnce() throws Exception {
        ChatService chatA = new ChatService(), chatB = new ChatService(), chatC = new ChatService();
        Daemon a = nodes.start("a", chatA);
        Daemon b = nodes.start("b", chatB);
        Daemon c = nodes.start("c", chatC);
        nodes.awaitMesh();
        List<Nodes.TestClient> clients = List.of(nodes.client(a), nodes.client(a), nodes.client(b), nodes.client(c));
        Nodes.TestClient outsider = nodes.client(b);
        int i = 0;
        for (Nodes.TestClient t : clients) {
            assertThat(Long.parseLong(t.ask(ChatService.LOGIN, "user" + i++))).isPositive();
            assertThat(t.ask(ChatService.JOIN, "room1")).isEqualTo("true");
        }
        assertThat(clients.get(0).ask(ChatService.JOIN, "room1")).isEqualTo("false");
        // Said from a client on c; the chat service runs everywhere, so it is handled where the client's sticky choice falls.
        assertThat(clients.get(3).ask(ChatService.SAY, "room1:hello all")).isEqualTo("ok");
        for (Nodes.TestClient t : clients) {
            Message m = t.next();
            assertThat(m).isNotNull();
            assertThat(m.id()).isEqualTo(ChatService.HEARD);
            assertThat(m.text()).isEqualTo("hello all");
        }
        // Exactly once: a second message is the next thing each member hears.
        assertThat(clients.get(1).ask(ChatService.SAY, "room1:second")).isEqualTo("ok");
        for (Nodes.TestClient t : clients) {
            assertThat(t.next().text()).isEqualTo("second");
        }
        assertThat(outsider.heard).isEmpty();
    }

    @Test
    void aDisconnectReachesEveryNodeWithItsEpochAndALateOneDoesNotUndoANewerLogin() throws Exception {
        ChatService chatA = new ChatService(), chatB = new ChatService(), chatC = new ChatService();
        Daemon a = nodes.start("a", chatA);
        Daemon b = nodes.start("b", chatB);
        Daemon c = nodes.start("c", chatC);
        nodes.awaitMesh();
        Nodes.TestClient onA = nodes.client(a);
        long first = Long.parseLong(onA.ask(ChatService.LOGIN, "alice"));
        assertThat(onA.ask(ChatService.JOIN, "room")).isEqualTo("true");
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(chatB.clientEvents)
                .anySatisfy(e -> assertThat(e).extracting(ClientEvent::type, ClientEvent::clientId, ClientEvent::epoch)
                        .containsExactly(Type.LOGGED_IN, "alice", first)));
        // alice logs in again on c: the login on a is displaced (closed), with a larger epoch.
        Nodes.TestClient onC = nodes.client(c);
        long second = Long.parseLong(onC.ask(ChatService.LOGIN, "alice"));
        assertThat(second).isGreaterThan(first);
        assertThat(onC.ask(ChatService.JOIN, "room")).isEqualTo("true");
        await().atMost(Duration.ofSeconds(5)).until(() -> !onA.client.isConnected());
        // b hears a's disconnect of epoch `first`, abnormal or not, after the newer login.
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(chatB.clientEvents)
                .anySatisfy(e -> {
                    assertThat(e.type()).isEqualTo(Type.DISCONNECTED);
                    assertThat(e.clientId()).isEqualTo("alice");
                    assertThat(e.epoch()).isEqualTo(first);
                    assertThat(e.nodeId()).isEqualTo("a");
                    assertThat(e.reason()).isEqualTo("logged in elsewhere");
                }));
        // The late disconnect did not undo the login on c: alice is still reached, in her room too.
        b.context().send("alice", 77, "to alice".getBytes(StandardCharsets.UTF_8)).get(5, TimeUnit.SECONDS);
        assertThat(onC.next().text()).isEqualTo("to alice");
        b.context().sendToGroup("room", 78, "to room".getBytes(StandardCharsets.UTF_8)).get(5, TimeUnit.SECONDS);
        assertThat(onC.next().text()).isEqualTo("to room");
        assertThat(onC.heard).isEmpty();
        // Her store belongs to the login on c; a's late end did not clear it.
        ClientStore store = b.context().clientStore("alice");
        store.put("level", "7".getBytes(StandardCharsets.UTF_8)).get(5, TimeUnit.SECONDS);
        assertThat(a.context().clientStore("alice").get("level").get(5, TimeUnit.SECONDS)).asString(StandardCharsets.UTF_8).isEqualTo("7");
        // When c's client goes, everyone hears epoch `second`, and her store is cleared.
        onC.client.close().get(5, TimeUnit.SECONDS);
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(chatA.clientEvents)
                .anySatisfy(e -> assertThat(e).extracting(ClientEvent::type, ClientEvent::epoch, ClientEvent::nodeId)
                        .containsExactly(Type.DISCONNECTED, second, "c")));
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() ->
                assertThat(a.context().clientStore("alice").entries().get(5, TimeUnit.SECONDS)).isEmpty());
        assertThatThrownBy(() -> b.context().send("alice", 77, new byte[0]).get(5, TimeUnit.SECONDS))
                .cause().isInstanceOf(ClientGoneException.class);
    }

    @Test
    void serviceRequestsReachTheServiceAnywhereAndNeverHang() throws Exception {
        Daemon a = nodes.start("a", new ChatService());
        Daemon b = nodes.start("b", new Store());
        nodes.awaitMesh();
        await().atMost(Duration.ofSeconds(5)).until(() -> a.context().nodes().containsKey("b"));
        ServiceContext ctx = a.context();
        assertThat(ctx.request("store", 30, "x".getBytes()).get(5, TimeUnit.SECONDS).text()).isEqualTo("stored x");
        assertThat(ctx.call("store", 30, "y".getBytes(), Duration.ofSeconds(5)).text()).isEqualTo("stored y");
        // The local instance when there is one.
        assertThat(ctx.request("chat", ChatService.ECHO, "z".getBytes()).get(5, TimeUnit.SECONDS).text()).isEqualTo("a:z");
        // A failing router: a RemoteException, from far and near.
        assertThatThrownBy(() -> ctx.call("store", 31, new byte[0], Duration.ofSeconds(5)))
                .isInstanceOf(RemoteException.class).extracting(e -> ((RemoteException) e).status())
                .isEqualTo(RemoteException.ROUTER_FAILED);
        assertThatThrownBy(() -> ctx.call("chat", ChatService.FAIL, new byte[0], Duration.ofSeconds(5)))
                .isInstanceOf(RemoteException.class);
        // No live instance: fails at once.
        long t0 = System.nanoTime();
        assertThatThrownBy(() -> ctx.request("nowhere", 1, new byte[0]).get(5, TimeUnit.SECONDS))
                .cause().isInstanceOf(RemoteException.class).hasMessageContaining("nowhere");
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(1));
        // A deadline: 300 ms means about 300 ms, remote and local.
        for (String service : List.of("store", "chat")) {
            int id = service.equals("store") ? 32 : ChatService.SLOW;
            long start = System.nanoTime();
            CompletableFuture<Message> f = ctx.request(service, id, new byte[0], Duration.ofMillis(300));
            assertThatThrownBy(() -> f.get(5, TimeUnit.SECONDS)).cause().isInstanceOf(TimeoutException.class);
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isBetween(Duration.ofMillis(250), Duration.ofMillis(2000));
        }
        // A lost node fails what waits for it at once.
        CompletableFuture<Message> pending = ctx.request("store", 32, new byte[0], Duration.ofSeconds(30));
        long stopAt = System.nanoTime();
        b.stop();
        assertThatThrownBy(() -> pending.get(5, TimeUnit.SECONDS)).isInstanceOf(java.util.concurrent.ExecutionException.class);
        assertThat(Duration.ofNanos(System.nanoTime() - stopAt)).isLessThan(Duration.ofSeconds(5));
        await().atMost(Duration.ofSeconds(5)).until(() -> !a.context().nodes().containsKey("b"));
        assertThatThrownBy(() -> ctx.request("store", 30, new byte[0]).get(5, TimeUnit.SECONDS))
                .cause().isInstanceOf(RemoteException.class);
    }

    @Test
    void callIsRefusedOnAnIoThread() throws Exception {
        Service caller = new Service() {
            @Override
            public String name() {
                return "caller";
            }

            @Override
            public void mount(ServiceContext context, Routes.Builder routes) {
                routes.respond(40, r -> {
                    try {
                        context.call("store", 30, new byte[0], Duration.ofSeconds(1));
                        return "called".getBytes(StandardCharsets.UTF_8);
                    } catch (IllegalStateException e) {
                        return e.getMessage().getBytes(StandardCharsets.UTF_8);
                    }
                });
            }
        };
        // workerPoolSize 0: routers run on the IO threads.
        Daemon a = nodes.start(Daemon.builder().nodeId("a").registry(nodes.registry).sharedData(nodes.data)
                .config(Nodes.config().toBuilder().workerPoolSize(0).build()).service(caller).service(new Store()));
        assertThat(nodes.client(a).ask(40, "")).contains("IO thread");
        // On a worker it works (a cluster of its own, so that the call stays on b).
        try (Nodes others = new Nodes()) {
            Daemon b = others.start("b", caller, new Store());
            assertThat(others.client(b).ask(40, "")).isEqualTo("called");
        }
    }

    @Test
    void servicesHearTheClusterAndStopTellsClientsDisconnects() throws Exception {
        ChatService chatA = new ChatService(), chatB = new ChatService();
        Daemon a = nodes.start("a", chatA);
        await().atMost(Duration.ofSeconds(5)).until(() -> chatA.clusterEvents.contains("mounted chat on a"));
        Daemon b = nodes.start("b", chatB, new Store());
        nodes.awaitMesh();
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(chatA.clusterEvents)
                .contains("joined b", "mounted chat on b", "mounted store on b"));
        Nodes.TestClient onB = nodes.client(b);
        onB.ask(ChatService.LOGIN, "bob");
        b.stop();
        assertThat(chatB.unmounted).isTrue();
        // b's own services heard bob's disconnect before they were unmounted; a heard it too, and that b left.
        assertThat(chatB.clientEvents).anySatisfy(e -> assertThat(e).extracting(ClientEvent::type, ClientEvent::reason)
                .containsExactly(Type.DISCONNECTED, "node stopping"));
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
            assertThat(chatA.clientEvents).anySatisfy(e -> assertThat(e).extracting(ClientEvent::type, ClientEvent::clientId)
                    .containsExactly(Type.DISCONNECTED, "bob"));
            assertThat(chatA.clusterEvents).contains("unmounted store on b", "left b");
        });
    }

    @Test
    void withASecretOnlyNodesThatShareItLink() {
        java.util.function.BiFunction<String, String, Daemon> node = (id, secret) -> nodes.start(Daemon.builder().nodeId(id)
                .registry(nodes.registry).sharedData(nodes.data).service(new ChatService())
                .config(Nodes.config().toBuilder().set(new ClusterConfig(), ClusterConfig.SECRET, secret).build()));
        Daemon a = node.apply("a", "s3cret");
        Daemon b = node.apply("b", "s3cret");
        Daemon c = node.apply("c", "guess");
        await().atMost(Duration.ofSeconds(10)).until(() -> a.linkedNodes().contains("b") && b.linkedNodes().contains("a"));
        // a and b dial c with a HELLO c cannot verify (and c's to them fail likewise): no link, ever.
        await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(3)).until(() -> !c.linkedNodes().contains("a")
                && !c.linkedNodes().contains("b") && !a.linkedNodes().contains("c") && !b.linkedNodes().contains("c"));
    }

    @Test
    void aServiceOnSeveralNodesIsChosenStickyRoundRobinOrByKey() throws Exception {
        // chat runs on a and b; clients connect to c, which does not run it.
        nodes.start("a", new ChatService());
        nodes.start("b", new ChatService());
        Daemon sticky = nodes.start("c");
        Daemon roundRobin = nodes.start(Daemon.builder().nodeId("d").registry(nodes.registry).sharedData(nodes.data)
                .config(Nodes.config()).balance("chat", Balance.ROUND_ROBIN));
        Daemon byKey = nodes.start(Daemon.builder().nodeId("e").registry(nodes.registry).sharedData(nodes.data)
                .config(Nodes.config()).balance("chat", Balance.byKey(r -> r.text().split("/")[0])));
        nodes.awaitMesh();
        // Sticky: each client keeps to one node; over 20 clients both nodes serve some.
        java.util.Set<String> servedBy = new java.util.HashSet<>();
        for (int i = 0; i < 20; i++) {
            Nodes.TestClient t = nodes.client(sticky);
            java.util.Set<String> mine = new java.util.HashSet<>();
            for (int k = 0; k < 5; k++) mine.add(t.ask(ChatService.ECHO, "x").split(":")[0]);
            assertThat(mine).as("nodes that served one sticky client").hasSize(1);
            servedBy.addAll(mine);
        }
        assertThat(servedBy).containsExactlyInAnyOrder("a", "b");
        // Round robin: one client's messages alternate.
        Nodes.TestClient rr = nodes.client(roundRobin);
        List<String> order = new java.util.ArrayList<>();
        for (int k = 0; k < 6; k++) order.add(rr.ask(ChatService.ECHO, "x").split(":")[0]);
        for (int k = 1; k < 6; k++) assertThat(order.get(k)).isNotEqualTo(order.get(k - 1));
        // By key: one key, one node, whoever sends it; both nodes get keys.
        java.util.Map<String, java.util.Set<String>> nodesOfKey = new java.util.HashMap<>();
        for (int i = 0; i < 3; i++) {
            Nodes.TestClient t = nodes.client(byKey);
            for (int key = 0; key < 10; key++) {
                nodesOfKey.computeIfAbsent("room" + key, k -> new java.util.HashSet<>())
                        .add(t.ask(ChatService.ECHO, "room" + key + "/hi").split(":")[0]);
            }
        }
        assertThat(nodesOfKey.values()).allSatisfy(set -> assertThat(set).hasSize(1));
        assertThat(nodesOfKey.values().stream().flatMap(java.util.Set::stream).distinct()).containsExactlyInAnyOrder("a", "b");
    }

    @Test
    void aKeptClientStoreOutlivesItsLogin() throws Exception {
        Daemon a = nodes.start(Daemon.builder().nodeId("a").registry(nodes.registry).sharedData(nodes.data).service(new ChatService())
                .config(Nodes.config().toBuilder().set(new ClusterConfig(), ClusterConfig.KEEP_CLIENT_STORE, true).build()));
        Nodes.TestClient t = nodes.client(a);
        t.ask(ChatService.LOGIN, "zoe");
        a.context().clientStore("zoe").put("coins", "12".getBytes(StandardCharsets.UTF_8)).get(5, TimeUnit.SECONDS);
        t.client.close().get(5, TimeUnit.SECONDS);
        await().atMost(Duration.ofSeconds(5)).until(() -> a.clientCount() == 0);
        Nodes.TestClient again = nodes.client(a);
        again.ask(ChatService.LOGIN, "zoe");
        assertThat(a.context().clientStore("zoe").get("coins").get(5, TimeUnit.SECONDS)).asString(StandardCharsets.UTF_8).isEqualTo("12");
    }

    @Test
    void componentsStartBeforeTheGatewayOpensAndStopAfterItClosed() {
        List<String> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
        ChatService chat = new ChatService();
        Component probe = new Component() {
            Daemon daemon;

            @Override
            public String name() {
                return "probe";
            }

            @Override
            public void start(Daemon d) {
                daemon = d;
                seen.add("start: gateway " + (d.gateway() == null ? "closed" : "open") + ", services mounted " + (chat.ctx != null));
            }

            @Override
            public void stop() {
                seen.add("stop: clients " + daemon.clientCount() + ", disconnects heard " + chat.clientEvents.stream()
                        .filter(e -> e.type() == ClientEvent.Type.DISCONNECTED).count() + ", unmounted " + chat.unmounted);
            }
        };
        Daemon a = nodes.start(Daemon.builder().nodeId("a").registry(nodes.registry).sharedData(nodes.data)
                .config(Nodes.config()).service(chat).component(probe));
        nodes.client(a);
        await().atMost(Duration.ofSeconds(5)).until(() -> a.clientCount() == 1);
        a.stop();
        assertThat(seen).containsExactly("start: gateway closed, services mounted true",
                "stop: clients 0, disconnects heard 1, unmounted false");
    }

    @Test
    void twoServicesClaimingOneIdFailTheStart() {
        Service other = new Service() {
            @Override
            public String name() {
                return "other";
            }

            @Override
            public void mount(ServiceContext context, Routes.Builder routes) {
                routes.respond(ChatService.ECHO, r -> r.data());
            }
        };
        assertThatThrownBy(() -> nodes.start("a", new ChatService(), other))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("message id 20");
    }
}
