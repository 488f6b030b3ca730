package io.paguma.cluster;

import io.paguma.Connection;
import io.paguma.Message;
import io.paguma.Routes;
import io.paguma.cluster.ClientEvent.Type;
import io.paguma.cluster.Registry.MembershipChange;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Second review: each test fails on 589495a. */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class ClusterReview2Test {
    private Nodes nodes = new Nodes();

    @AfterEach
    void stop() {
        nodes.close();
    }

    // ------------------------------------------------------------------ helpers

    @SuppressWarnings("unchecked")
    static Connection linkTo(Daemon d, String node) throws Exception {
        Field f = ClusterNode.class.getDeclaredField("links");
        f.setAccessible(true);
        Map<String, ?> links = (Map<String, ?>) f.get(d.context());
        Object l = links.get(node);
        if (l == null) return null;
        Method m = l.getClass().getDeclaredMethod("connection");
        m.setAccessible(true);
        return (Connection) m.invoke(l);
    }

    /** Shared data whose directory removals (compareAndSet(paguma:client:*, x, null)) wait for a gate when armed. */
    static final class GatedData implements SharedData {
        final SharedData d = InProcessSharedData.create("gated");
        volatile CompletableFuture<Void> casGate;
        /** When armed: increments of paguma:epoch:* wait until this many have arrived. */
        volatile CountDownLatch incrementsTogether;
        private final CompletableFuture<Void> incGate = new CompletableFuture<>();

        public CompletableFuture<byte[]> get(String key) { return d.get(key); }
        public CompletableFuture<Void> set(String key, byte[] value) { return d.set(key, value); }
        public CompletableFuture<Void> set(String key, byte[] value, Duration ttl) { return d.set(key, value, ttl); }
        public CompletableFuture<Boolean> delete(String key) { return d.delete(key); }
        public CompletableFuture<Boolean> expire(String key, Duration ttl) { return d.expire(key, ttl); }
        public Subscription subscribe(String key, Consumer<Change> l) { return d.subscribe(key, l); }
        public void close() { d.close(); }

        public CompletableFuture<Boolean> compareAndSet(String key, byte[] expected, byte[] update) {
            CompletableFuture<Void> g = casGate;
            if (g != null && update == null && key.startsWith("paguma:client:")) {
                return g.thenCompose(v -> d.compareAndSet(key, expected, update));
            }
            return d.compareAndSet(key, expected, update);
        }

        public CompletableFuture<Long> increment(String key, long delta) {
            CountDownLatch l = incrementsTogether;
            if (l != null && key.startsWith("paguma:epoch:")) {
                CompletableFuture<Long> f = d.increment(key, delta);
                l.countDown();
                if (l.getCount() == 0) incGate.complete(null);
                return incGate.thenCompose(v -> f);
            }
            return d.increment(key, delta);
        }
    }

    /** A registry view that can swallow or hold back what it tells about one node. */
    static final class HeldView implements Registry {
        final Registry r;
        volatile String node;
        volatile boolean swallowLeft, hold;
        final List<MembershipChange> held = new ArrayList<>();
        volatile Consumer<MembershipChange> listener;

        HeldView(Registry r) { this.r = r; }

        public CompletableFuture<Membership> join(NodeInfo self) { return r.join(self); }
        public Map<String, NodeInfo> members() { return r.members(); }
        public void close() { }

        public Subscription watch(Consumer<MembershipChange> l) {
            listener = l;
            return r.watch(c -> {
                synchronized (held) {
                    if (node != null && c.node().id().equals(node)) {
                        if (c.type() == MembershipChange.Type.LEFT && swallowLeft) return;
                        if (hold) {
                            held.add(c);
                            return;
                        }
                    }
                }
                l.accept(c);
            });
        }

        void release() {
            synchronized (held) {
                hold = false;
                for (MembershipChange c : held) listener.accept(c);
                held.clear();
            }
        }
    }

    private static long count(ChatService chat, Type type, String client) {
        return chat.clientEvents.stream().filter(e -> e.type() == type && e.clientId().equals(client)).count();
    }

    // ------------------------------------------------------------------ R1: a pending leave is put off forever

    /**
     * ClusterNode.applyMembership LEFT: the memberTtl recheck calls applyMembership(change) again, which
     * finds the link still up and defers again (putIfAbsent succeeds: the entry was just removed). A node
     * the registry dropped stays a member for as long as its TCP link is open — and node links have no
     * heartbeat (core defaults: heartbeatMax 0), so a hung/partitioned/SIGSTOPped node never leaves.
     */
    @Test
    void aNodeTheRegistryDroppedLeavesAfterMemberTtlThoughItsLinkStaysOpen() throws Exception {
        Daemon a = nodes.start("a", new ChatService());
        Daemon b = nodes.start("b", new ChatService());
        nodes.awaitMesh();
        await().atMost(Duration.ofSeconds(5)).until(() -> a.context().nodes().containsKey("b"));
        // The registry drops b (its TTL ran out: b is hung or cut off from the registry); a's link to b stays open.
        ((ClusterNode) a.context()).membershipChanged(new MembershipChange(MembershipChange.Type.LEFT, b.info(), "expired"));
        // Documented: "stays a member until its link closes or memberTtl (3 s) passes without it coming back".
        await().atMost(Duration.ofSeconds(12)).until(() -> !a.context().nodes().containsKey("b"));
    }

    // ------------------------------------------------------------------ R2: a disconnect told twice across a flap

    /**
     * clientClosed removes the client from `clients` at once but publishes DISCONNECTED only after the
     * directory CAS completes. A link that comes up in between gets a CLIENTS snapshot without the client,
     * so the peer's onClients tells DISCONNECTED ("while the link was down"); then the real event comes and
     * onEvent/deliver tells it again (deliver never checks that the connection was known).
     */
    @Test
    void aDisconnectRacingALinkFlapIsToldOnce() throws Exception {
        nodes.close();
        GatedData data = new GatedData();
        nodes = new Nodes(new InProcessRegistry(), data);
        ChatService chatA = new ChatService(), chatB = new ChatService();
        Daemon a = nodes.start("a", chatA);
        Daemon b = nodes.start("b", chatB);
        nodes.awaitMesh();
        Nodes.TestClient alice = nodes.client(b);
        alice.ask(ChatService.LOGIN, "alice");
        await().atMost(Duration.ofSeconds(5)).until(() -> count(chatA, Type.LOGGED_IN, "alice") == 1);

        data.casGate = new CompletableFuture<>();
        alice.client.close();
        await().atMost(Duration.ofSeconds(5)).until(() -> b.clientCount() == 0); // removed; its DISCONNECTED waits for the CAS

        Connection old = linkTo(a, "b");
        old.close(); // the link flaps; a redials
        await().atMost(Duration.ofSeconds(10)).until(() -> {
            Connection now = linkTo(a, "b");
            return now != null && now != old && now.isOpen() && b.linkedNodes().contains("a");
        });
        // (on 589495a the snapshot, taken without alice, has a tell her DISCONNECTED here already)

        data.casGate.complete(null); // now b tells the disconnect
        await().atMost(Duration.ofSeconds(5)).until(() -> count(chatB, Type.DISCONNECTED, "alice") == 1);
        // A sentinel published after it, on the same link.
        Nodes.TestClient carol = nodes.client(b);
        String anon = carol.ask(ChatService.WHOAMI, "").split("\\|")[0];
        await().atMost(Duration.ofSeconds(5)).until(() -> chatA.clientEvents.stream()
                .anyMatch(e -> e.type() == Type.CONNECTED && e.clientId().equals(anon)));
        assertThat(count(chatA, Type.DISCONNECTED, "alice")).as("DISCONNECTED of alice told on a").isEqualTo(1);
    }

    // ------------------------------------------------------------------ R3: two logins of one connection

    /**
     * login() checks "logged in already as someone else" before its async claim; claim() does not check
     * again under lc.state. Two logins of one connection with different ids in flight together both win:
     * the connection ends as bob, alice's directory entry and LOGGED_IN are never ended by its disconnect.
     */
    @Test
    void twoLoginsInFlightOnOneConnectionLeaveNoGhost() throws Exception {
        nodes.close();
        GatedData data = new GatedData();
        nodes = new Nodes(new InProcessRegistry(), data);
        ChatService chat = new ChatService();
        Daemon b = nodes.start("b", chat);
        Nodes.TestClient c = nodes.client(b);
        c.ask(ChatService.ECHO, "warm");
        data.incrementsTogether = new CountDownLatch(2);
        CompletableFuture<Message> l1 = c.client.request(ChatService.LOGIN, "alice".getBytes(StandardCharsets.UTF_8));
        CompletableFuture<Message> l2 = c.client.request(ChatService.LOGIN, "bob".getBytes(StandardCharsets.UTF_8));
        CompletableFuture.allOf(l1, l2).handle((v, e) -> v).get(10, TimeUnit.SECONDS);
        c.client.close();
        await().atMost(Duration.ofSeconds(10)).until(() -> b.clientCount() == 0
                && chat.clientEvents.stream().anyMatch(e -> e.type() == Type.DISCONNECTED));
        await().atMost(Duration.ofSeconds(5)).until(() -> chat.clientEvents.stream().filter(e -> e.type() == Type.DISCONNECTED).count() >= 1);
        // Every login the services heard is ended, and the directory keeps no login of the closed connection.
        assertThat(data.get("paguma:client:alice").join()).as("alice's directory entry after the disconnect").isNull();
        assertThat(data.get("paguma:client:bob").join()).as("bob's directory entry after the disconnect").isNull();
        for (String who : List.of("alice", "bob")) {
            assertThat(count(chat, Type.LOGGED_IN, who)).as("LOGGED_IN " + who + " vs DISCONNECTED")
                    .isEqualTo(count(chat, Type.DISCONNECTED, who));
        }
    }

    // ------------------------------------------------------------------ R4: lane work after unmount

    /** A service whose first request blocks its lane. */
    static final class Gate implements Service {
        final CountDownLatch release = new CountDownLatch(1), unmountCalled = new CountDownLatch(1);
        final AtomicInteger calls = new AtomicInteger();
        final List<String> ranAfterUnmount = new CopyOnWriteArrayList<>();
        volatile boolean unmounted;

        public String name() { return "gate"; }

        public void mount(ServiceContext context, Routes.Builder routes) {
            routes.route(40, r -> {
                int n = calls.incrementAndGet();
                if (unmounted) ranAfterUnmount.add(r.text());
                if (n == 1) {
                    try {
                        release.await(20, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
                r.reply(40, "ok");
            });
        }

        public void unmount() {
            unmounted = true; // e.g. closes its database
            unmountCalled.countDown();
        }
    }

    /**
     * onForward/onServiceRequest check servicesDown when the work is queued, not when the lane runs it:
     * work queued before Daemon.doStop set servicesDown runs during/after Service.unmount().
     */
    @Test
    void forwardedWorkQueuedOnALaneDoesNotRunAfterItsServiceIsUnmounted() throws Exception {
        Gate gate = new Gate();
        Daemon g = nodes.start("g");
        Daemon s = nodes.start(Daemon.builder().config(Nodes.config()).nodeId("s").registry(nodes.registry)
                .sharedData(nodes.data).service(gate));
        nodes.awaitMesh();
        await().atMost(Duration.ofSeconds(5)).until(() -> g.context().nodes().containsKey("s"));
        Nodes.TestClient c = nodes.client(g);
        CompletableFuture<Message> r1 = c.client.request(40, "first".getBytes(StandardCharsets.UTF_8));
        CompletableFuture<Message> r2 = c.client.request(40, "second".getBytes(StandardCharsets.UTF_8));
        await().atMost(Duration.ofSeconds(5)).until(() -> gate.calls.get() == 1); // second waits on the same lane
        CompletableFuture<Void> stopped = CompletableFuture.runAsync(s::stop);
        assertThat(gate.unmountCalled.await(20, TimeUnit.SECONDS)).isTrue();
        gate.release.countDown();
        stopped.get(30, TimeUnit.SECONDS);
        // Let the lanes finish what they had.
        Field f = ClusterNode.class.getDeclaredField("serviceWorkers");
        f.setAccessible(true);
        Object workers = f.get(s.context());
        Field lf = ServiceWorkers.class.getDeclaredField("lanes");
        lf.setAccessible(true);
        for (ThreadPoolExecutor lane : (ThreadPoolExecutor[]) lf.get(workers)) {
            assertThat(lane.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
        }
        assertThat(gate.ranAfterUnmount).as("requests handled after Service.unmount()").isEmpty();
    }

    // ------------------------------------------------------------------ R5: link to a restarted node dropped

    static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    /**
     * The dialler records the peer's incarnation from its own members (members.get at link up), not from
     * the peer. b restarts on the same node port; a's dialler reaches the new b before a's registry view
     * tells a of it (a view merges LEFT+JOINED into one JOINED, or is just late). When that JOINED comes,
     * applyMembership sees the link's (wrong, old) incarnation, removes the live link from `links` and
     * closeLink() does nothing for a dialled link; dial() returns since a dialler to that address exists.
     * a never links to b again while b keeps its side of the link.
     */
    @Test
    void aLinkToARestartedNodeThatCameUpBeforeItsJoinIsKept() throws Exception {
        HeldView view = new HeldView(nodes.registry);
        Daemon a = nodes.start(Daemon.builder().config(Nodes.config()).nodeId("a").registry(view).sharedData(nodes.data));
        int port = freePort();
        Daemon b = nodes.start(Daemon.builder().config(Nodes.config()).nodeId("b").nodePort(port).registry(nodes.registry)
                .sharedData(nodes.data).service(new ChatService()));
        nodes.awaitMesh();
        await().atMost(Duration.ofSeconds(5)).until(() -> a.context().nodes().containsKey("b"));
        String oldInc = a.context().nodes().get("b").attribute(ClusterNode.INCARNATION);
        view.node = "b";
        view.swallowLeft = true;
        view.hold = true;
        b.stop();
        Daemon b2 = nodes.start(Daemon.builder().config(Nodes.config()).nodeId("b").nodePort(port).registry(nodes.registry)
                .sharedData(nodes.data).service(new ChatService()));
        // a's dialler redials the same address and reaches b2, which knows a.
        await().atMost(Duration.ofSeconds(15)).until(() -> b2.linkedNodes().contains("a") && a.linkedNodes().contains("b"));
        assertThat(a.context().nodes().get("b").attribute(ClusterNode.INCARNATION)).isEqualTo(oldInc);
        view.release(); // a hears b2's JOINED/UPDATED
        ((ClusterNode) a.context()).membershipSettled().get(5, TimeUnit.SECONDS);
        await().atMost(Duration.ofSeconds(10)).until(() -> a.linkedNodes().contains("b"));
        Nodes.TestClient c = nodes.client(a);
        assertThat(c.ask(ChatService.ECHO, "hi")).isEqualTo("b:hi");
    }

    // ------------------------------------------------------------------ R6: a second stop() does not wait

    /**
     * Daemon.stop(): "Safe to call twice; a second caller waits for the first" — but a caller that finds
     * STOPPING returns at once. NodeCommand's shutdown hook counts down `stop` and calls d.stop() while
     * main wakes and calls d.stop(): if main wins, the hook returns at once and the JVM halts in the
     * middle of main's graceful stop (BYE barrier, registry leave, disconnects).
     */
    @Test
    void aSecondStopWaitsForTheFirst() throws Exception {
        CountDownLatch inStop = new CountDownLatch(1), release = new CountDownLatch(1);
        Component slow = new Component() {
            public String name() { return "slow"; }
            public void start(Daemon d) { }
            public void stop() throws Exception {
                inStop.countDown();
                release.await(20, TimeUnit.SECONDS);
            }
        };
        Daemon d = Daemon.builder().config(Nodes.config()).nodeId("x").registry(nodes.registry).sharedData(nodes.data)
                .component(slow).build().start();
        CompletableFuture<Void> first = CompletableFuture.runAsync(d::stop);
        assertThat(inStop.await(20, TimeUnit.SECONDS)).isTrue();
        CompletableFuture<Void> second = CompletableFuture.runAsync(d::stop);
        try {
            second.get(1, TimeUnit.SECONDS);
            throw new AssertionError("the second stop() returned while the first was still stopping");
        } catch (java.util.concurrent.TimeoutException expected) {
            // it waits
        } finally {
            release.countDown();
            first.get(20, TimeUnit.SECONDS);
        }
        second.get(20, TimeUnit.SECONDS);
    }

    // ------------------------------------------------------------------ R7: stop() during start()

    /**
     * Daemon.stop() while start() is in doStart (state STARTING) runs doStop concurrently with doStart:
     * it finds no gateway and no membership yet, returns, and start() then opens the gateway, joins the
     * registry and sets RUNNING. After both returned the node runs, on a runtime stop() closed when owned.
     */
    @Test
    void aStopDuringStartLeavesTheNodeStopped() throws Exception {
        CountDownLatch inStart = new CountDownLatch(1), release = new CountDownLatch(1);
        Component slow = new Component() {
            public String name() { return "slow-start"; }
            public void start(Daemon d) throws Exception {
                inStart.countDown();
                release.await(20, TimeUnit.SECONDS);
            }
            public void stop() { }
        };
        Daemon d = Daemon.builder().config(Nodes.config()).nodeId("y").registry(nodes.registry).sharedData(nodes.data)
                .runtime(io.paguma.PagumaRuntime.create(Nodes.config())).gateway(false).component(slow).build();
        CompletableFuture<Void> started = CompletableFuture.runAsync(d::start);
        assertThat(inStart.await(20, TimeUnit.SECONDS)).isTrue();
        CompletableFuture<Void> stopped = CompletableFuture.runAsync(d::stop);
        try {
            stopped.get(2, TimeUnit.SECONDS); // returns while start is still running (or waits: then fine)
        } catch (java.util.concurrent.TimeoutException waits) {
            // stop() waits for start(): fine
        }
        release.countDown();
        started.handle((v, e) -> v).get(20, TimeUnit.SECONDS);
        stopped.get(20, TimeUnit.SECONDS);
        try {
            assertThat(d.isRunning()).as("running after stop() returned").isFalse();
            assertThat(nodes.registry.members()).as("registry members after stop()").doesNotContainKey("y");
        } finally {
            d.stop();
            d.runtime().close();
        }
    }
}
