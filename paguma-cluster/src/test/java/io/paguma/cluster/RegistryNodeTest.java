package io.paguma.cluster;

import io.paguma.Codecs;
import io.paguma.Message;
import io.paguma.PagumaConfig;
import io.paguma.PagumaRuntime;
import io.paguma.cluster.Registry.Membership;
import io.paguma.cluster.Registry.MembershipChange;
import io.paguma.cluster.Registry.MembershipChange.Type;
import io.paguma.testing.FrameSocket;
import io.paguma.testing.LogCapture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * The registry node beyond the contract: members that die or fall silent are dropped within
 * {@code memberTtl}, views survive the node's restart, bad input cuts only its own connection, and
 * the caps refuse with a clear error. Real sockets on loopback; raw ones play the broken peers.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RegistryNodeTest {
    private static final Duration TTL = Duration.ofMillis(600);
    /** Sweep period (TTL/10) plus scheduling slack on a busy machine. */
    private static final Duration MARGIN = Duration.ofMillis(900);

    private final List<AutoCloseable> closing = new ArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        for (int i = closing.size() - 1; i >= 0; i--) {
            closing.get(i).close();
        }
    }

    private RegistryServer node(RegistryServer.Builder b) {
        return node(b, TTL);
    }

    private RegistryServer node(RegistryServer.Builder b, Duration ttl) {
        RegistryServer s = b.host("127.0.0.1").memberTtl(ttl).build().start();
        closing.add(s);
        return s;
    }

    private RegistryServer node() {
        return node(RegistryServer.builder().port(0));
    }

    private RegistryClient view(RegistryServer s) {
        return view(s.address(), null);
    }

    private RegistryClient view(String address, PagumaConfig config) {
        return view(address, config, TTL);
    }

    private RegistryClient view(String address, PagumaConfig config, Duration ttl) {
        RegistryClient.Builder b = RegistryClient.builder().address(address).memberTtl(ttl);
        if (config != null) {
            b.config(config);
        }
        RegistryClient v = b.build();
        closing.add(v);
        return v;
    }

    private static List<Timed> record(Registry view) {
        List<Timed> seen = new CopyOnWriteArrayList<>();
        view.watch(c -> seen.add(new Timed(c, System.nanoTime())));
        return seen;
    }

    private record Timed(MembershipChange change, long at) {
    }

    private static <T> T done(CompletableFuture<T> f) throws Exception {
        return f.get(10, TimeUnit.SECONDS);
    }

    /** A member on a raw socket: joins, then sends nothing more unless the test does. */
    private FrameSocket rawMember(RegistryServer s, NodeInfo info) throws IOException {
        FrameSocket raw = FrameSocket.connect(s.port(), Codecs.PAGUMA);
        closing.add(raw);
        raw.sendRaw(raw.encode(new Message(RegistryProtocol.JOIN, 1, RegistryProtocol.bytes(RegistryProtocol.info(info)))));
        Message reply = raw.read();
        assertThat(reply.status()).as("join reply %s", reply.text()).isZero();
        assertThat(reply.seq()).isEqualTo(1);
        return raw;
    }

    @Test
    void aMemberWhoseProcessDiesIsDroppedWithinTheTtlAndEveryViewSeesItLeave() throws Exception {
        RegistryServer s = node();
        RegistryClient b = view(s);
        RegistryClient c = view(s);
        List<Timed> seenByB = record(b);
        List<Timed> seenByC = record(c);
        done(b.ready());
        done(c.ready());
        long joinedAt = System.nanoTime();
        FrameSocket raw = rawMember(s, NodeInfo.of("dies", "127.0.0.1", 7001));
        await().atMost(Duration.ofSeconds(2)).until(() -> b.members().containsKey("dies") && c.members().containsKey("dies"));
        // Dies: the socket goes away with a reset, no leave sent.
        raw.socket().setSoLinger(true, 0);
        raw.close();
        await().atMost(TTL.plus(MARGIN)).until(() -> !b.members().containsKey("dies") && !c.members().containsKey("dies"));
        for (List<Timed> seen : List.of(seenByB, seenByC)) {
            await().atMost(Duration.ofSeconds(1)).until(() -> seen.stream().anyMatch(t -> t.change.type() == Type.LEFT));
            Timed left = seen.stream().filter(t -> t.change.type() == Type.LEFT).findFirst().orElseThrow();
            assertThat(left.change.node().id()).isEqualTo("dies");
            assertThat(left.change.reason()).contains("link", "closed", "memberTtl");
            long ms = TimeUnit.NANOSECONDS.toMillis(left.at - joinedAt);
            System.out.println("dead member dropped " + ms + " ms after its last refresh (memberTtl " + TTL.toMillis() + " ms)");
            assertThat(ms).isBetween(TTL.toMillis(), TTL.plus(MARGIN).toMillis());
        }
        assertThat(s.members()).doesNotContainKey("dies");
    }

    @Test
    void aChangeReachesTheOtherViewsWithinMilliseconds() throws Exception {
        RegistryServer s = node();
        RegistryClient a = view(s);
        List<RegistryClient> others = List.of(view(s), view(s));
        List<List<Timed>> seen = new ArrayList<>();
        for (RegistryClient o : others) {
            seen.add(record(o));
            done(o.ready());
        }
        Membership m = done(a.join(NodeInfo.of("fast", "127.0.0.1", 7001)));
        List<Long> micros = new ArrayList<>();
        for (int load = 1; load <= 30; load++) {
            long sent = System.nanoTime();
            done(m.update(m.self().withLoad(load)));
            long l = load;
            for (List<Timed> list : seen) {
                await().pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(5)).atMost(Duration.ofSeconds(2))
                        .until(() -> list.stream().anyMatch(t -> t.change.node().load() == l));
                long at = list.stream().filter(t -> t.change.node().load() == l).findFirst().orElseThrow().at;
                micros.add(TimeUnit.NANOSECONDS.toMicros(at - sent));
            }
        }
        micros.sort(null);
        System.out.println("an update reached the other views in " + micros.get(micros.size() / 2) + " us (median), "
                + micros.get(micros.size() - 1) + " us (max of " + micros.size() + ")");
        assertThat(micros.get(micros.size() / 2)).isLessThan(500_000);
    }

    @Test
    void aMemberThatStopsHeartbeatingButKeepsItsSocketOpenIsDropped() throws Exception {
        RegistryServer s = node();
        RegistryClient b = view(s);
        List<Timed> seen = record(b);
        done(b.ready());
        FrameSocket raw = rawMember(s, NodeInfo.of("mute", "127.0.0.1", 7001));
        await().atMost(TTL.plus(MARGIN)).until(() -> seen.stream().anyMatch(t -> t.change.type() == Type.LEFT));
        MembershipChange left = seen.stream().filter(t -> t.change.type() == Type.LEFT).findFirst().orElseThrow().change;
        assertThat(left.reason()).contains("no heartbeat", "still open");
        assertThat(raw.socket().isClosed()).isFalse();
        assertThat(s.members()).doesNotContainKey("mute");
    }

    @Test
    void aHeartbeatingMemberStaysAndAViewKeepsItsMembersForManyTtls() throws Exception {
        RegistryServer s = node();
        RegistryClient a = view(s);
        RegistryClient b = view(s);
        List<Timed> seenByB = record(b);
        done(a.join(NodeInfo.of("steady", "127.0.0.1", 7001)));
        long until = System.nanoTime() + TTL.multipliedBy(4).toNanos();
        await().atMost(TTL.multipliedBy(6)).pollInterval(Duration.ofMillis(50)).until(() -> {
            assertThat(s.members()).containsKey("steady");
            return System.nanoTime() > until;
        });
        assertThat(seenByB).extracting(t -> t.change.type()).doesNotContain(Type.LEFT);
        assertThat(b.members()).containsKey("steady");
    }

    @Test
    void aViewConfiguredWithAnotherTtlHeartbeatsAtTheNodes() throws Exception {
        RegistryServer s = node();
        try (LogCapture logs = LogCapture.start()) {
            RegistryClient v = view(s.address(), null, Duration.ofSeconds(30));
            done(v.join(NodeInfo.of("slow", "127.0.0.1", 7001)));
            await().during(TTL.multipliedBy(3)).atMost(TTL.multipliedBy(5)).until(() -> s.members().containsKey("slow"));
            assertThat(logs.lines("memberTtl 600 ms, this view 30000 ms")).isNotEmpty();
        }
    }

    @Test
    void viewsSurviveARestartOfTheNodeOnTheSamePort() throws Exception {
        RegistryServer first = node();
        int port = first.port();
        String address = first.address();
        RegistryClient a = view(address, null);
        RegistryClient b = view(address, null);
        RegistryClient watcher = view(address, null);
        List<Timed> seen = record(watcher);
        Membership ma = done(a.join(NodeInfo.of("ra", "127.0.0.1", 7001)));
        done(ma.update(ma.self().withLoad(5)));
        done(b.join(NodeInfo.of("rb", "127.0.0.1", 7002)));
        await().atMost(Duration.ofSeconds(2)).until(() -> watcher.members().keySet().containsAll(List.of("ra", "rb")));

        first.stop();
        await().atMost(Duration.ofSeconds(5)).until(() -> !a.isConnected() && !watcher.isConnected());
        // Disconnected: the last known view stays; joins and updates fail at once, naming the node.
        assertThat(watcher.members()).containsKeys("ra", "rb");
        long before = System.nanoTime();
        assertThatThrownBy(() -> done(watcher.join(NodeInfo.of("rc", "127.0.0.1", 7003))))
                .isInstanceOf(ExecutionException.class).hasCauseInstanceOf(RegistryException.class)
                .hasMessageContaining(address);
        assertThatThrownBy(() -> done(ma.update(ma.self().withLoad(6))))
                .isInstanceOf(ExecutionException.class).hasCauseInstanceOf(RegistryException.class)
                .hasMessageContaining(address);
        assertThat(Duration.ofNanos(System.nanoTime() - before)).isLessThan(Duration.ofSeconds(1));

        long restartedAt = System.nanoTime();
        RegistryServer second = node(RegistryServer.builder().port(port));
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
            assertThat(List.of(a, b, watcher)).allMatch(RegistryClient::isConnected);
            assertThat(second.members()).containsKeys("ra", "rb");
            assertThat(second.members().get("ra").load()).isEqualTo(5);
            assertThat(watcher.members()).containsKeys("ra", "rb");
            assertThat(a.members()).containsKeys("ra", "rb");
            assertThat(b.members()).containsKeys("ra", "rb");
        });
        System.out.println("members back everywhere " + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - restartedAt)
                + " ms after the node restarted");
        done(watcher.join(NodeInfo.of("rc", "127.0.0.1", 7003)));
        done(ma.update(ma.self().withLoad(7)));
        await().atMost(Duration.ofSeconds(2)).untilAsserted(() -> {
            assertThat(a.members()).containsKey("rc");
            assertThat(b.members().get("ra").load()).isEqualTo(7);
        });
        // The watcher's listeners heard every change, the restart included, and end with the truth.
        assertThat(seen).extracting(t -> t.change.node().id()).contains("ra", "rb", "rc");
    }

    @Test
    void garbageUnknownIdsMalformedInfoAndOversizedFramesCutOnlyTheirConnection() throws Exception {
        RegistryServer s = node(RegistryServer.builder().port(0).maxInfoSize(1024));
        RegistryClient good = view(s);
        RegistryClient other = view(s);
        Membership m = done(good.join(NodeInfo.of("good", "127.0.0.1", 7001)));
        try (LogCapture logs = LogCapture.start()) {
            FrameSocket garbage = FrameSocket.connect(s.port(), Codecs.PAGUMA);
            closing.add(garbage);
            garbage.sendRaw("GET / HTTP/1.1\r\n\r\nthis is not a registry frame".getBytes(StandardCharsets.US_ASCII));
            assertThat(garbage.closedByPeer()).isTrue();

            FrameSocket unknown = FrameSocket.connect(s.port(), Codecs.PAGUMA);
            closing.add(unknown);
            unknown.sendRaw(unknown.encode(new Message(4242, 1, new byte[] {1, 2, 3})));
            assertThat(unknown.closedByPeer()).isTrue();
            int unknownPort = unknown.socket().getLocalPort();

            FrameSocket notJson = FrameSocket.connect(s.port(), Codecs.PAGUMA);
            closing.add(notJson);
            notJson.sendRaw(notJson.encode(new Message(RegistryProtocol.JOIN, 1, "{not json".getBytes(StandardCharsets.UTF_8))));
            assertThat(notJson.closedByPeer()).isTrue();

            FrameSocket badId = FrameSocket.connect(s.port(), Codecs.PAGUMA);
            closing.add(badId);
            badId.sendRaw(badId.encode(new Message(RegistryProtocol.JOIN, 1,
                    "{\"id\":\"no spaces allowed\",\"host\":\"h\",\"port\":1}".getBytes(StandardCharsets.UTF_8))));
            assertThat(badId.closedByPeer()).isTrue();

            FrameSocket big = FrameSocket.connect(s.port(), Codecs.PAGUMA);
            closing.add(big);
            NodeInfo huge = NodeInfo.of("huge", "127.0.0.1", 7001).withAttribute("blob", "x".repeat(4000));
            big.sendRaw(big.encode(new Message(RegistryProtocol.JOIN, 1, RegistryProtocol.bytes(RegistryProtocol.info(huge)))));
            Message tooLarge = big.read();
            assertThat(tooLarge.status()).isEqualTo(io.paguma.RemoteException.TOO_LARGE);
            assertThat(big.closedByPeer()).isTrue();

            assertThat(logs.lines("registry", "unknown message id 4242", "127.0.0.1:" + unknownPort, "closing it")).hasSize(1);
            assertThat(logs.lines("registry", "malformed join", "not JSON")).hasSize(1);
            assertThat(logs.lines("registry", "malformed join", "node id must be")).hasSize(1);
        }
        // The others carry on.
        assertThat(s.members()).containsOnlyKeys("good");
        done(m.update(m.self().withLoad(9)));
        done(other.join(NodeInfo.of("other", "127.0.0.1", 7002)));
        await().atMost(Duration.ofSeconds(2)).untilAsserted(() -> {
            assertThat(other.members().get("good").load()).isEqualTo(9);
            assertThat(good.members()).containsKey("other");
        });
    }

    @Test
    void joinsBeyondMaxMembersAreRefusedNamingTheKey() throws Exception {
        RegistryServer s = node(RegistryServer.builder().port(0).maxMembers(2));
        RegistryClient v = view(s);
        Membership one = done(v.join(NodeInfo.of("m1", "127.0.0.1", 1)));
        done(v.join(NodeInfo.of("m2", "127.0.0.1", 2)));
        assertThatThrownBy(() -> done(v.join(NodeInfo.of("m3", "127.0.0.1", 3))))
                .isInstanceOf(ExecutionException.class).hasCauseInstanceOf(RegistryException.class)
                .hasMessageContaining("registryMaxMembers").hasMessageContaining("m3");
        done(one.leave());
        done(v.join(NodeInfo.of("m3", "127.0.0.1", 3)));
        assertThat(s.members()).containsOnlyKeys("m2", "m3");
    }

    @Test
    void connectionsBeyondMaxViewsAreRefusedNamingTheKey() throws Exception {
        RegistryServer s = node(RegistryServer.builder().port(0).maxViews(2));
        RegistryClient v1 = view(s);
        RegistryClient v2 = view(s);
        done(v1.ready());
        done(v2.ready());
        ClusterConfig cluster = new ClusterConfig();
        PagumaConfig quick = PagumaConfig.builder()
                .set(cluster, ClusterConfig.REQUEST_TIMEOUT, Duration.ofSeconds(1)).build();
        RegistryClient third = view(s.address(), quick);
        assertThatThrownBy(() -> done(third.join(NodeInfo.of("v3", "127.0.0.1", 3))))
                .isInstanceOf(ExecutionException.class).hasCauseInstanceOf(RegistryException.class)
                .hasMessageContaining(s.address()).hasMessageContaining("registryMaxViews");
        assertThat(s.viewCount()).isEqualTo(2);
        // A place frees up: the refused view gets in on its next attempt.
        v1.close();
        await().atMost(Duration.ofSeconds(5)).until(third::isConnected);
        done(third.join(NodeInfo.of("v3", "127.0.0.1", 3)));
        await().atMost(Duration.ofSeconds(2)).until(() -> v2.members().containsKey("v3"));
    }

    @Test
    void theNodeOffersTheLeastLoadedMember() throws Exception {
        RegistryServer s = node();
        RegistryClient v = view(s);
        done(v.join(NodeInfo.of("busy", "127.0.0.1", 1).withLoad(9).withServices(Set.of("render"))));
        done(v.join(NodeInfo.of("idle", "127.0.0.1", 2).withLoad(1)));
        Membership calm = done(v.join(NodeInfo.of("calm", "127.0.0.1", 3).withLoad(4).withServices(Set.of("render"))));
        assertThat(s.membersByLoad()).extracting(NodeInfo::id).containsExactly("idle", "calm", "busy");
        assertThat(s.leastLoaded(n -> n.runs("render"))).map(NodeInfo::id).hasValue("calm");
        done(calm.update(calm.self().withLoad(20)));
        assertThat(s.leastLoaded(n -> n.runs("render"))).map(NodeInfo::id).hasValue("busy");
        assertThat(s.leastLoaded(n -> n.runs("nothing"))).isEmpty();
    }

    @Test
    void viewsOnASharedRuntimeWithWorkersApplyRandomChangesInOrder() throws Exception {
        long seed = new Random().nextLong();
        Random random = new Random(seed);
        RegistryServer s = node();
        try (PagumaRuntime runtime = PagumaRuntime.create(PagumaConfig.builder().name("shared").ioThreads(2).workerPoolSize(2).build())) {
            List<RegistryClient> views = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                RegistryClient v = RegistryClient.builder().address(s.address()).memberTtl(TTL).runtime(runtime).build();
                closing.add(v);
                views.add(v);
            }
            List<Membership> members = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                members.add(done(views.get(i % 3).join(NodeInfo.of("n" + i, "127.0.0.1", 7000 + i))));
            }
            for (int step = 0; step < 120; step++) {
                Membership m = members.get(random.nextInt(members.size()));
                done(m.update(m.self().withLoad(random.nextInt(1000))));
            }
            Map<String, NodeInfo> truth = s.members();
            await().atMost(Duration.ofSeconds(3)).untilAsserted(() -> {
                for (RegistryClient v : views) {
                    assertThat(v.members()).as("seed %d", seed).isEqualTo(truth);
                }
            });
            for (Membership m : members) {
                done(m.leave());
            }
            await().atMost(Duration.ofSeconds(3)).untilAsserted(() -> {
                for (RegistryClient v : views) {
                    assertThat(v.members()).as("seed %d", seed).isEmpty();
                }
            });
            for (RegistryClient v : views) {
                v.close();
            }
            CompletableFuture.allOf(views.stream().map(RegistryClient::closeFuture).toArray(CompletableFuture[]::new))
                    .get(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void aViewWhoseLinkBreaksTakesItsMembersBackWithoutTheOthersSeeingThemLeave() throws Exception {
        Duration ttl = Duration.ofMillis(1500);
        RegistryServer s = node(RegistryServer.builder().port(0), ttl);
        RegistryClient a = view(s.address(), null, ttl);
        RegistryClient b = view(s.address(), null, ttl);
        List<Timed> seenByB = record(b);
        Membership m = done(a.join(NodeInfo.of("blip", "127.0.0.1", 7001)));
        done(m.update(m.self().withLoad(3)));
        await().atMost(Duration.ofSeconds(2)).until(() -> b.members().containsKey("blip"));
        io.paguma.Connection cut = a.link();
        cut.channel().close();
        await().atMost(Duration.ofSeconds(3)).until(() -> a.isConnected() && a.link() != cut);
        // Longer than the TTL after the cut: the member never left.
        await().during(ttl.multipliedBy(2)).atMost(ttl.multipliedBy(4)).until(() -> s.members().containsKey("blip"));
        assertThat(s.members().get("blip").load()).isEqualTo(3);
        assertThat(seenByB).extracting(t -> t.change.type()).doesNotContain(Type.LEFT);
        done(m.update(m.self().withLoad(4)));
        await().atMost(Duration.ofSeconds(2)).until(() -> b.members().get("blip").load() == 4);
    }
}
