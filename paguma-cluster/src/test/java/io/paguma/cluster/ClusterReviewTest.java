package io.paguma.cluster;

import io.paguma.Client;
import io.paguma.Message;
import io.paguma.PagumaConfig;
import io.paguma.Routes;
import io.paguma.cluster.ClientEvent.Type;
import io.paguma.cluster.internal.NodeProtocol;
import io.paguma.cluster.internal.Wire;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.lang.reflect.Field;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** A review's findings (each failed before its fix): what the cluster promises against hostile sockets, races and stops. */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class ClusterReviewTest {
    private final Nodes nodes = new Nodes();

    @AfterEach
    void stop() {
        nodes.close();
    }

    private static Client raw(int port) {
        Client c = Client.builder().config(PagumaConfig.builder().port(port).codec("paguma")
                .reconnect(false).ioThreads(1).workerPoolSize(0).build()).build();
        c.connect().join();
        return c;
    }

    // ------------------------------------------------------------------ F1: node port trusts anyone

    /** A socket that never said HELLO must not be able to push to clients, kick them, or forge events. */
    @Test
    void anUnlinkedSocketOnTheNodePortCannotActAsANode() throws Exception {
        ChatService chat = new ChatService();
        Daemon a = nodes.start("a", chat);
        Nodes.TestClient victim = nodes.client(a);
        String anon = victim.ask(ChatService.WHOAMI, "").split("\\|")[0]; // "@a/<incarnation>/<conn>"
        long conn = Long.parseLong(anon.substring(anon.lastIndexOf('/') + 1));
        victim.ask(ChatService.LOGIN, "alice");

        Client attacker = raw(a.nodePort()); // no HELLO
        attacker.send(NodeProtocol.TO_ALL, new Wire.Writer(16).i32(ChatService.HEARD)
                .bytes("pwned".getBytes(StandardCharsets.UTF_8)).toBytes()).handle((v, e) -> v).join(); // the node may have closed us already
        attacker.send(NodeProtocol.EVENT, new Wire.Writer(64).u8(Type.DISCONNECTED.ordinal()).str("bob").i64(7)
                .str("a").i64(12345).str("1.2.3.4:5").str("forged").u8(0).toBytes()).handle((v, e) -> v).join(); // the node may have closed us already
        attacker.send(NodeProtocol.CLOSE, new Wire.Writer(32).i64(conn).str("kicked by a stranger").toBytes()).handle((v, e) -> v).join(); // the node may have closed us already
        try {
            Message heard = victim.heard.poll(2, TimeUnit.SECONDS);
            // Expected: nothing of this is acted upon.
            assertThat(heard).as("broadcast pushed by an unlinked socket").isNull();
            assertThat(chat.clientEvents).as("forged event delivered to services")
                    .noneSatisfy(e -> assertThat(e.clientId()).isEqualTo("bob"));
            assertThat(victim.client.connection() == null || victim.client.connection().isOpen())
                    .as("client closed by an unlinked socket").isTrue();
        } finally {
            attacker.close();
        }
    }

    // ------------------------------------------------------------------ F2: clients reach the shared-data service

    /** Gateway clients must not be able to read/write the cluster's hosted shared data (directory, epochs, stores). */
    @Test
    void aGatewayClientCannotWriteServiceHostedSharedData() throws Exception {
        Daemon host = nodes.start("host", new SharedDataService());
        Nodes.TestClient hostile = nodes.client(host);
        byte[] setFrame = new Wire.Writer(64).bytes("paguma:client:alice".getBytes(StandardCharsets.UTF_8))
                .bytes("evil/1/999".getBytes(StandardCharsets.UTF_8)).toBytes();
        // SharedDataService.SET is message id 2: any client of any gateway can send it.
        Message reply = hostile.client.request(2, setFrame).handle((m, e) -> m).get(5, TimeUnit.SECONDS);
        ServiceSharedData view = ServiceSharedData.of(host);
        try {
            byte[] v = view.get("paguma:client:alice").get(5, TimeUnit.SECONDS);
            assertThat(v).as("directory entry written by a gateway client (reply " + reply + ")").isNull();
        } finally {
            view.close();
        }
    }

    // ------------------------------------------------------------------ F3: login racing its own disconnect

    /** Shared data whose CAS of the directory entry (a login's claim) waits for {@link #release}. */
    static final class GatedData implements SharedData {
        final SharedData inner = InProcessSharedData.create("gated");
        final CompletableFuture<Void> release = new CompletableFuture<>();
        final CountDownLatch claimEntered = new CountDownLatch(1);
        volatile boolean armed = true;

        public CompletableFuture<byte[]> get(String key) { return inner.get(key); }
        public CompletableFuture<Void> set(String key, byte[] value) { return inner.set(key, value); }
        public CompletableFuture<Void> set(String key, byte[] value, Duration ttl) { return inner.set(key, value, ttl); }
        public CompletableFuture<Boolean> delete(String key) { return inner.delete(key); }
        public CompletableFuture<Long> increment(String key, long delta) { return inner.increment(key, delta); }
        public CompletableFuture<Boolean> expire(String key, Duration ttl) { return inner.expire(key, ttl); }
        public Subscription subscribe(String key, Consumer<Change> l) { return inner.subscribe(key, l); }
        public void close() { inner.close(); }

        public CompletableFuture<Boolean> compareAndSet(String key, byte[] expected, byte[] update) {
            if (armed && key.startsWith("paguma:client:") && update != null) {
                armed = false;
                claimEntered.countDown();
                return release.thenCompose(x -> inner.compareAndSet(key, expected, update));
            }
            return inner.compareAndSet(key, expected, update);
        }
    }

    /**
     * A client that disconnects while its login is being claimed: the login must not outlive it.
     * Either it never happened (no LOGGED_IN anywhere, the directory empty) or it is ended
     * (a DISCONNECTED for it after its LOGGED_IN) — never a LOGGED_IN left standing.
     */
    @Test
    void aLoginThatRacesItsDisconnectIsEndedOnEveryNode() throws Exception {
        GatedData data = new GatedData();
        try (Nodes n = new Nodes(new InProcessRegistry(), data)) {
            ChatService chatA = new ChatService(), chatB = new ChatService();
            Daemon a = n.start("a", chatA);
            n.start("b", chatB);
            n.awaitMesh();
            Nodes.TestClient c = n.client(a);
            c.client.send(ChatService.LOGIN, "alice".getBytes(StandardCharsets.UTF_8));
            assertThat(data.claimEntered.await(5, TimeUnit.SECONDS)).isTrue();
            c.client.close().get(5, TimeUnit.SECONDS);
            await().atMost(Duration.ofSeconds(5)).until(() -> a.clientCount() == 0);
            await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(chatB.clientEvents)
                    .anySatisfy(e -> assertThat(e.type()).isEqualTo(Type.DISCONNECTED)));
            data.release.complete(null);
            // The claim completes and sees the connection closed: it undoes itself.
            await().atMost(Duration.ofSeconds(5)).until(() -> data.inner.get("paguma:client:alice").get() == null);
            await().during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(3)).untilAsserted(() -> {
                long logins = chatB.clientEvents.stream().filter(e -> e.type() == Type.LOGGED_IN && e.clientId().equals("alice")).count();
                long ends = chatB.clientEvents.stream().filter(e -> e.type() == Type.DISCONNECTED && e.clientId().equals("alice")).count();
                assertThat(logins).as("alice's logins heard on b, against her disconnects").isEqualTo(ends);
            });
        }
    }

    // ------------------------------------------------------------------ F4: forwarded client requests outlive the target

    /** A client's request forwarded to node b fails promptly when b leaves (not at the client's own deadline). */
    @Test
    void aForwardedClientRequestFailsPromptlyWhenItsNodeLeaves() throws Exception {
        Daemon a = nodes.start("a", new DaemonTest.Store());
        ChatService chat = new ChatService();
        Daemon b = nodes.start("b", chat);
        nodes.awaitMesh();
        Nodes.TestClient client = nodes.client(a);
        assertThat(client.ask(ChatService.ECHO, "x")).isEqualTo("b:x");
        CompletableFuture<Message> slow = client.client.request(new Message(ChatService.SLOW, new byte[0]), Duration.ofSeconds(60));
        // a service request to the same node, for comparison (this one is failed by the link closing)
        CompletableFuture<Message> service = a.context().request("chat", ChatService.SLOW, new byte[0], Duration.ofSeconds(60));
        CompletableFuture.runAsync(b::stop);
        // b leaves within a second or two; both waiters should fail at once then, not at their 60 s deadline.
        await().atMost(Duration.ofSeconds(10)).until(service::isDone);
        assertThat(service).isCompletedExceptionally();
        await("forwarded client request still pending after b left").atMost(Duration.ofSeconds(10)).until(slow::isDone);
        assertThat(slow).isCompletedExceptionally();
    }

    // ------------------------------------------------------------------ F5: one worker for all of a gateway's traffic

    /** A service that blocks its worker (e.g. in ServiceContext.call) for one client. */
    static final class Blocking implements Service {
        final CountDownLatch unblock = new CountDownLatch(1);
        final CountDownLatch entered = new CountDownLatch(1);

        public String name() { return "blocking"; }

        public void mount(ServiceContext context, Routes.Builder routes) {
            routes.respond(60, r -> {
                entered.countDown();
                unblock.await(20, TimeUnit.SECONDS); // stands for ctx.call(...) to a slow service
                return new byte[]{1};
            });
            routes.respond(61, r -> ("echo " + r.text()).getBytes(StandardCharsets.UTF_8));
        }
    }

    /** One client blocking in a service on b must not stall every other client of gateway a. */
    @Test
    void oneBlockedRequestDoesNotStallEveryClientOfAnotherGateway() throws Exception {
        Daemon a = nodes.start("a", new DaemonTest.Store());
        Blocking blocking = new Blocking();
        nodes.start("b", blocking);
        nodes.awaitMesh();
        await().atMost(Duration.ofSeconds(5)).until(() -> a.linkedNodes().contains("b"));
        Nodes.TestClient one = nodes.client(a), two = nodes.client(a);
        one.client.request(60, new byte[0]);
        assertThat(blocking.entered.await(5, TimeUnit.SECONDS)).isTrue();
        try {
            CompletableFuture<Message> echo = two.client.request(61, "hi".getBytes(StandardCharsets.UTF_8));
            assertThat(echo).as("another client's request while the first blocks").succeedsWithin(Duration.ofSeconds(3));
        } finally {
            blocking.unblock.countDown();
        }
    }

    // ------------------------------------------------------------------ F6: events lost while a link reconnects

    @SuppressWarnings("unchecked")
    private static void dropLink(Daemon d, String to) throws Exception {
        Field nf = Daemon.class.getDeclaredField("node");
        nf.setAccessible(true);
        ClusterNode node = (ClusterNode) nf.get(d);
        Field lf = ClusterNode.class.getDeclaredField("links");
        lf.setAccessible(true);
        Object link = ((Map<String, Object>) lf.get(node)).get(to);
        java.lang.reflect.Method conn = link.getClass().getDeclaredMethod("connection");
        conn.setAccessible(true);
        ((io.paguma.Connection) conn.invoke(link)).close();
    }

    /** A disconnect on a while the a–b link is being re-established must still reach b's services. */
    @Test
    void aDisconnectDuringALinkReconnectStillReachesTheOtherNode() throws Exception {
        ChatService chatA = new ChatService(), chatB = new ChatService();
        Daemon a = nodes.start("a", chatA);
        Daemon b = nodes.start("b", chatB);
        nodes.awaitMesh();
        Nodes.TestClient c = nodes.client(a);
        c.ask(ChatService.LOGIN, "alice");
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(chatB.clientEvents)
                .anySatisfy(e -> assertThat(e.type()).isEqualTo(Type.LOGGED_IN)));
        dropLink(a, "b"); // a dials b; its Client reconnects after reconnectBase
        await().atMost(Duration.ofSeconds(5)).until(() -> !a.linkedNodes().contains("b"));
        c.client.close().get(5, TimeUnit.SECONDS);
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(chatA.clientEvents)
                .anySatisfy(e -> assertThat(e.type()).isEqualTo(Type.DISCONNECTED)));
        await().atMost(Duration.ofSeconds(20)).until(() -> a.linkedNodes().contains("b") && b.linkedNodes().contains("a"));
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(chatB.clientEvents)
                .as("b's services after the link came back").anySatisfy(e -> {
                    assertThat(e.type()).isEqualTo(Type.DISCONNECTED);
                    assertThat(e.clientId()).isEqualTo("alice");
                }));
    }

    // ------------------------------------------------------------------ F7: stop order

    /**
     * When a stops, b hears each of a's clients' disconnect exactly once, as a normal "node stopping"
     * one. Made deterministic by keeping b's worker for the a–b link busy (a slow forwarded request)
     * while a stops, so a's EVENT frames are still queued on b when a's LEFT reaches b.
     */
    @Test
    void aStoppingNodesClientsAreToldOnceAndNormally() throws Exception {
        ChatService chatB = new ChatService();
        Blocking blocking = new Blocking();
        Daemon a = nodes.start("a", new DaemonTest.Store());
        nodes.start("b", chatB, blocking);
        nodes.awaitMesh();
        int n = 20;
        Nodes.TestClient slow = nodes.client(a);
        for (int i = 1; i < n; i++) nodes.client(a);
        await().atMost(Duration.ofSeconds(10)).until(() -> chatB.clientEvents.stream().filter(e -> e.type() == Type.CONNECTED).count() == n);
        slow.client.request(60, new byte[0]);
        assertThat(blocking.entered.await(5, TimeUnit.SECONDS)).isTrue(); // b's worker for the link is busy
        a.stop();
        await().atMost(Duration.ofSeconds(10)).until(() -> chatB.clientEvents.stream().filter(e -> e.type() == Type.DISCONNECTED).count() >= n);
        blocking.unblock.countDown();
        await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(3)).until(() -> true);
        assertThat(chatB.clientEvents.stream().filter(e -> e.type() == Type.DISCONNECTED))
                .as("disconnects heard on b").hasSize(n)
                .allSatisfy(e -> {
                    assertThat(e.abnormal()).isFalse();
                    assertThat(e.reason()).isEqualTo("node stopping");
                });
    }

    // ------------------------------------------------------------------ F1b: HELLO is not authenticated: a link can be hijacked

    /** A stranger that says HELLO as node a must not take over b's link to a. */
    @Test
    void aForgedHelloCannotHijackTheLinkToAMember() throws Exception {
        nodes.start("a", new DaemonTest.Store());
        Daemon b = nodes.start("b");
        nodes.awaitMesh();
        await().atMost(Duration.ofSeconds(5)).until(() -> b.context().nodes().containsKey("a"));
        java.util.concurrent.BlockingQueue<Message> stolen = new java.util.concurrent.LinkedBlockingQueue<>();
        Client attacker = Client.builder().config(PagumaConfig.builder().port(b.nodePort()).codec("paguma")
                .reconnect(false).ioThreads(1).workerPoolSize(0).build()).onUnknownMessage(r -> stolen.add(r.message())).build();
        attacker.connect().join();
        try {
            // It knows everything public: a's id and incarnation (in the registry).
            String inc = b.context().nodes().get("a").attribute("incarnation");
            attacker.request(NodeProtocol.HELLO, new Wire.Writer(16).str("a").str("b").str(inc).bytes(new byte[0]).toBytes())
                    .handle((m, e) -> m).get(5, TimeUnit.SECONDS);
            // b now asks node a's "store" service for something: it must reach node a, not the stranger.
            CompletableFuture<Message> answer = b.context().request("store", 30, "secret".getBytes(StandardCharsets.UTF_8));
            Message m = stolen.poll(2, TimeUnit.SECONDS);
            assertThat(m).as("b's service request to node a, delivered to a stranger").isNull();
            answer.handle((x, e) -> x);
        } finally {
            attacker.close();
        }
    }

    // ------------------------------------------------------------------ F8: links inherit the gateway's client-facing settings

    /** A gateway that drops silent clients (heartbeatMax) must not drop its quiet node links. */
    @Test
    void quietNodeLinksSurviveTheGatewaysHeartbeatMax() {
        PagumaConfig cfg = Nodes.config().toBuilder().heartbeatMax(Duration.ofSeconds(1)).build();
        Daemon a = nodes.start(Daemon.builder().config(cfg).nodeId("a").registry(nodes.registry).sharedData(nodes.data));
        nodes.start(Daemon.builder().config(cfg).nodeId("b").registry(nodes.registry).sharedData(nodes.data));
        nodes.awaitMesh();
        await().during(Duration.ofSeconds(4)).atMost(Duration.ofSeconds(6)).until(() -> a.linkedNodes().contains("b"));
    }

    // ------------------------------------------------------------------ F9: services are unmounted while still routed to

    static final class Tracked implements Service {
        volatile boolean unmounted;
        final CountDownLatch unmounting = new CountDownLatch(1);
        final CountDownLatch finish = new CountDownLatch(1);

        public String name() { return "tracked"; }

        public void mount(ServiceContext context, Routes.Builder routes) {
            routes.respond(70, r -> (unmounted ? "served after unmount" : "ok").getBytes(StandardCharsets.UTF_8));
        }

        public void unmount() {
            unmounted = true;
            unmounting.countDown();
            try {
                finish.await(10, TimeUnit.SECONDS); // a service's cleanup (closing a pool, flushing state)
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Once a stopping node unmounts a service, the cluster no longer routes requests to it. */
    @Test
    void aStoppingNodesUnmountedServiceIsNoLongerRoutedTo() throws Exception {
        Daemon a = nodes.start("a");
        Tracked tracked = new Tracked();
        Daemon b = nodes.start("b", tracked);
        nodes.awaitMesh();
        await().atMost(Duration.ofSeconds(5)).until(() -> a.context().nodes().containsKey("b"));
        assertThat(a.context().request("tracked", 70, new byte[0]).get(5, TimeUnit.SECONDS).text()).isEqualTo("ok");
        CompletableFuture<Void> stopping = CompletableFuture.runAsync(b::stop);
        try {
            assertThat(tracked.unmounting.await(10, TimeUnit.SECONDS)).isTrue();
            String got = a.context().request("tracked", 70, new byte[0]).handle((m, e) -> m == null ? "failed: " + e : m.text())
                    .get(5, TimeUnit.SECONDS);
            assertThat(got).isNotEqualTo("served after unmount");
        } finally {
            tracked.finish.countDown();
            stopping.get(20, TimeUnit.SECONDS);
        }
    }

    // ------------------------------------------------------------------ F10: ServiceSharedData subscriptions made before the host is reachable

    /** A subscription made before the hosting node is linked (e.g. in a service's mount) must work once it is. */
    @Test
    void aSubscriptionMadeBeforeTheHostIsReachableStillHearsChanges() throws Exception {
        Daemon user = nodes.start("user");
        ServiceSharedData store = ServiceSharedData.of(user);
        java.util.List<SharedData.Change> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
        try {
            store.subscribe("k", seen::add); // no node runs shared-data yet: the SUBSCRIBE fails, logged only
            nodes.start("host", new SharedDataService());
            nodes.awaitMesh();
            await().atMost(Duration.ofSeconds(10)).ignoreExceptions()
                    .until(() -> { store.set("k", new byte[]{1}).get(2, TimeUnit.SECONDS); return true; });
            await("change notification after the host came").atMost(Duration.ofSeconds(5)).until(() -> !seen.isEmpty());
        } finally {
            store.close();
        }
    }

    // ------------------------------------------------------------------ F11: directory entries outlive a crashed node's process

    /**
     * Node a crashed (kill -9) while alice was logged in on its connection #1; the shared data (Redis)
     * keeps "paguma:client:alice" = "a/1/1". Node a restarts with the same id: its new connection #1
     * is somebody else and must not receive alice's messages.
     */
    @Test
    void aStaleDirectoryEntryFromACrashedProcessDoesNotReachANewClient() throws Exception {
        // Left by an earlier run of node a (incarnation 0badc0de), crashed while alice was on its connection #1.
        nodes.data.set("paguma:client:alice", "a/0badc0de/1/1".getBytes(StandardCharsets.UTF_8)).get(5, TimeUnit.SECONDS);
        Daemon a = nodes.start("a", new ChatService());
        Nodes.TestClient bob = nodes.client(a);
        assertThat(bob.ask(ChatService.WHOAMI, "")).matches("@a/[0-9a-f]+/1\\|.*");
        CompletableFuture<Void> sent = a.context().send("alice", 77, "for alice only".getBytes(StandardCharsets.UTF_8));
        sent.handle((x, e) -> x).get(5, TimeUnit.SECONDS);
        assertThat(bob.heard.poll(1, TimeUnit.SECONDS)).as("alice's message, delivered to bob").isNull();
    }
}
