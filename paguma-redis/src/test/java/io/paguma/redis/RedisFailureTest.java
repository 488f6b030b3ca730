package io.paguma.redis;

import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.paguma.PagumaConfig;
import io.paguma.cluster.NodeInfo;
import io.paguma.cluster.Registry.MembershipChange;
import io.paguma.cluster.RegistryException;
import io.paguma.cluster.SharedData;
import io.paguma.cluster.SharedData.Change;
import io.paguma.cluster.SharedData.ChangeType;
import io.paguma.cluster.SharedDataException;
import io.paguma.testing.LogCapture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * What happens when Redis goes away and comes back: operations fail within the command timeout
 * naming Redis's address, nothing waits for ever, and once Redis is back on the same port (empty:
 * nothing was saved) shared data works again, subscriptions hear changes again and members
 * re-create their keys. Each test has a redis-server of its own.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RedisFailureTest {
    private static final Duration COMMAND_TIMEOUT = Duration.ofMillis(500);
    /** A failure must arrive within the command timeout; this adds room for a loaded machine. */
    private static final Duration FAIL_WITHIN = COMMAND_TIMEOUT.plusSeconds(2);

    private RedisServerHarness redis;
    private final List<AutoCloseable> toClose = new ArrayList<>();

    @BeforeEach
    void startRedis() {
        redis = RedisServerHarness.start();
    }

    @AfterEach
    void stop() throws Exception {
        for (AutoCloseable c : toClose) c.close();
        redis.close();
        // Whatever the outage did, closing leaves no thread behind: no delivery or view thread, no Lettuce thread.
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
            assertThat(liveThreads("paguma-redis-")).isEmpty();
            assertThat(liveThreads("lettuce-")).isEmpty();
        });
    }

    private PagumaConfig config(String name) {
        return RedisSharedDataTest.config(redis, "PAGUMA_NAME", name,
                "PAGUMA_REDIS_COMMAND_TIMEOUT", COMMAND_TIMEOUT.toMillis() + "ms",
                "PAGUMA_REDIS_RECONNECT_DELAY", "100ms",
                "PAGUMA_CLUSTER_MEMBER_TTL", "900ms", "PAGUMA_CLUSTER_RESYNC_INTERVAL", "300ms");
    }

    private RedisSharedData store(String name) {
        RedisSharedData s = RedisSharedData.create(config(name));
        toClose.add(s);
        return s;
    }

    private RedisRegistry view(String name) {
        RedisRegistry r = RedisRegistry.create(config(name));
        toClose.add(r);
        r.ready().orTimeout(10, TimeUnit.SECONDS).join();
        return r;
    }

    private static <T> T done(CompletableFuture<T> f) throws Exception {
        return f.get(10, TimeUnit.SECONDS);
    }

    /** The failure of {@code op}, which must arrive within {@link #FAIL_WITHIN}. */
    private static Throwable failsInTime(Supplier<CompletableFuture<?>> op) {
        long start = System.nanoTime();
        CompletableFuture<?> f = op.get();
        try {
            Object v = f.get(FAIL_WITHIN.toMillis(), TimeUnit.MILLISECONDS);
            throw new AssertionError("expected a failure, got " + v);
        } catch (ExecutionException e) {
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(FAIL_WITHIN);
            return e.getCause();
        } catch (Exception e) {
            throw new AssertionError("no answer within " + FAIL_WITHIN + " while Redis is down", e);
        }
    }

    private static Set<String> liveThreads(String prefix) {
        return Thread.getAllStackTraces().keySet().stream().filter(t -> t.isAlive() && t.getName().startsWith(prefix))
                .map(Thread::getName).collect(Collectors.toSet());
    }

    @Test
    void sharedDataFailsClearlyWhileRedisIsDownAndWorksAgainAfterARestart() throws Exception {
        RedisSharedData store = store("outage");
        BlockingQueue<Change> heard = new LinkedBlockingQueue<>();
        store.subscribe("k", heard::add);
        done(store.set("k", bytes("before")));
        assertThat(heard.poll(5, TimeUnit.SECONDS)).isNotNull();

        redis.stop();
        List<Supplier<CompletableFuture<?>>> ops = List.of(
                () -> store.get("k"),
                () -> store.set("k", bytes("v")),
                () -> store.set("k", bytes("v"), Duration.ofSeconds(1)),
                () -> store.delete("k"),
                () -> store.compareAndSet("k", null, bytes("v")),
                () -> store.increment("n", 1),
                () -> store.expire("k", Duration.ofSeconds(1)));
        for (Supplier<CompletableFuture<?>> op : ops) {
            Throwable t = failsInTime(op);
            assertThat(t).isInstanceOf(SharedDataException.class);
            assertThat(t.getMessage()).contains("Redis at 127.0.0.1:" + redis.port());
        }

        redis.restart();
        await().atMost(Duration.ofSeconds(10)).ignoreExceptions().until(() -> store.get("k").get(1, TimeUnit.SECONDS) == null);
        // The subscription was made again on the new connection, with expiry events announced again.
        done(store.set("k", bytes("after"), Duration.ofMillis(200)));
        Change set = heard.poll(5, TimeUnit.SECONDS);
        assertThat(set).isNotNull();
        assertThat(set.type()).isEqualTo(ChangeType.SET);
        assertThat(set.value()).asString(StandardCharsets.UTF_8).isEqualTo("after");
        Change expired = heard.poll(5, TimeUnit.SECONDS);
        assertThat(expired).isNotNull();
        assertThat(expired.type()).isEqualTo(ChangeType.EXPIRED);
        assertThat(done(store.increment("n", 2))).isEqualTo(2L);
    }

    @Test
    void aRedisThatDoesNotAnswerFailsOperationsAfterTheCommandTimeout() throws Exception {
        RedisSharedData store = store("frozen");
        RedisRegistry view = view("frozen");
        done(store.set("k", bytes("v")));
        redis.freeze();
        try {
            long start = System.nanoTime();
            Throwable t = failsInTime(() -> store.get("k"));
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(COMMAND_TIMEOUT.minusMillis(50));
            assertThat(t).isInstanceOf(SharedDataException.class)
                    .hasMessageContaining("Redis at 127.0.0.1:" + redis.port() + " did not answer GET of 'k' within 500ms");
            Throwable r = failsInTime(() -> view.join(NodeInfo.of("f", "127.0.0.1", 7003)));
            assertThat(r).isInstanceOf(RegistryException.class)
                    .hasMessageContaining("Redis at 127.0.0.1:" + redis.port() + " did not answer the join of f within 500ms");
        } finally {
            redis.thaw();
        }
        assertThat(done(store.get("k"))).asString(StandardCharsets.UTF_8).isEqualTo("v");
    }

    @Test
    void aKilledRedisFailsOperationsInFlightAndNothingIsLeftBehindByClose() throws Exception {
        SharedData store = store("killed");
        done(store.set("k", bytes("v")));
        List<CompletableFuture<?>> during = new ArrayList<>();
        redis.kill();
        for (int i = 0; i < 50; i++) during.add(store.increment("n", 1));
        for (CompletableFuture<?> f : during) {
            try {
                f.get(FAIL_WITHIN.toMillis(), TimeUnit.MILLISECONDS);
                throw new AssertionError("an increment succeeded with Redis killed");
            } catch (ExecutionException e) {
                assertThat(e.getCause()).isInstanceOf(SharedDataException.class)
                        .hasMessageContaining("127.0.0.1:" + redis.port());
            }
        }
        store.close();
        assertThat(during).allMatch(CompletableFuture::isDone);
        await().atMost(Duration.ofSeconds(5)).until(() -> liveThreads("paguma-redis-data-killed").isEmpty());
        await().atMost(Duration.ofSeconds(5)).until(() -> liveThreads("lettuce-").isEmpty());
        assertThat(store.get("k")).failsWithin(Duration.ofSeconds(1)).withThrowableOfType(ExecutionException.class)
                .withCauseInstanceOf(SharedDataException.class).withMessageContaining("is closed");
    }

    @Test
    void aStoreMadeWhileRedisIsDownConnectsWhenItComesUp() throws Exception {
        redis.stop();
        RedisSharedData store = store("late");
        Throwable t = failsInTime(() -> store.get("k"));
        assertThat(t).isInstanceOf(SharedDataException.class).hasMessageContaining("Redis at 127.0.0.1:" + redis.port())
                .hasMessageContaining("unreachable");
        redis.restart();
        await().atMost(Duration.ofSeconds(10)).ignoreExceptions()
                .until(() -> store.set("k", bytes("v")).get(1, TimeUnit.SECONDS) == null);
        assertThat(done(store.get("k"))).asString(StandardCharsets.UTF_8).isEqualTo("v");
    }

    @Test
    void registryFailsClearlyWhileRedisIsDownAndItsMembersReappearAfterARestart() throws Exception {
        RedisRegistry a = view("a");
        RedisRegistry b = view("b");
        List<MembershipChange> seenByB = new CopyOnWriteArrayList<>();
        b.watch(seenByB::add);
        NodeInfo m = NodeInfo.of("m", "127.0.0.1", 7001);
        done(a.join(m));
        await().atMost(Duration.ofSeconds(5)).until(() -> b.members().containsKey("m"));

        redis.stop();
        Throwable t = failsInTime(() -> a.join(NodeInfo.of("n", "127.0.0.1", 7002)));
        assertThat(t).isInstanceOf(RegistryException.class).hasMessageContaining("Redis at 127.0.0.1:" + redis.port());
        assertThat(b.members()).as("a view keeps what it knew while Redis is away").containsKey("m");

        redis.restart();
        try (RedisClient client = RedisClient.create(redis.uri());
             StatefulRedisConnection<String, String> raw = client.connect()) {
            await().atMost(Duration.ofSeconds(5)).until(() -> raw.sync().exists("paguma:member:m") == 1);
            assertThat(raw.sync().pttl("paguma:member:m")).isPositive();
        }
        RedisRegistry c = view("c");
        assertThat(c.members()).containsKey("m");
        await().atMost(Duration.ofSeconds(5)).until(() -> b.members().containsKey("m"));
        done(a.join(NodeInfo.of("n", "127.0.0.1", 7002)));
        await().atMost(Duration.ofSeconds(5)).until(() -> b.members().containsKey("n") && c.members().containsKey("n"));
    }

    @Test
    void aMemberThatStopsRefreshingIsSeenToLeaveWithAReasonSayingSo() throws Exception {
        RedisRegistry view = view("watcher");
        BlockingQueue<MembershipChange> seen = new LinkedBlockingQueue<>();
        view.watch(seen::add);
        // A member whose process died: its key was written once and is never refreshed.
        String record = "dead-token|" + RedisRegistry.json(NodeInfo.of("ghost", "127.0.0.1", 7009));
        try (RedisClient client = RedisClient.create(redis.uri());
             StatefulRedisConnection<String, String> raw = client.connect()) {
            raw.sync().set("paguma:member:ghost", record, io.lettuce.core.SetArgs.Builder.px(400));
            raw.sync().sadd("paguma:member-ids", "ghost");
            MembershipChange joined = seen.poll(5, TimeUnit.SECONDS);
            assertThat(joined).isNotNull();
            assertThat(joined.type()).isEqualTo(MembershipChange.Type.JOINED);
            assertThat(joined.node().id()).isEqualTo("ghost");
            MembershipChange left = seen.poll(5, TimeUnit.SECONDS);
            assertThat(left).isNotNull();
            assertThat(left.type()).isEqualTo(MembershipChange.Type.LEFT);
            assertThat(left.node().port()).isEqualTo(7009);
            assertThat(left.reason()).contains("stopped refreshing");
            assertThat(view.members()).doesNotContainKey("ghost");
            // The next resync drops the id from the index.
            await().atMost(Duration.ofSeconds(5)).until(() -> !raw.sync().sismember("paguma:member-ids", "ghost"));
        }
    }

    @Test
    void withoutExpiryEventsTheResyncStillFindsAMemberThatStoppedRefreshing() throws Exception {
        redis.close();
        redis = RedisServerHarness.startWithArgs("--rename-command", "CONFIG", "");
        RedisRegistry view = view("no-events");
        BlockingQueue<MembershipChange> seen = new LinkedBlockingQueue<>();
        view.watch(seen::add);
        try (RedisClient client = RedisClient.create(redis.uri());
             StatefulRedisConnection<String, String> raw = client.connect()) {
            raw.sync().set("paguma:member:ghost", "dead-token|" + RedisRegistry.json(NodeInfo.of("ghost", "127.0.0.1", 7009)),
                    io.lettuce.core.SetArgs.Builder.px(400));
            raw.sync().sadd("paguma:member-ids", "ghost");
        }
        MembershipChange joined = seen.poll(5, TimeUnit.SECONDS);
        assertThat(joined).isNotNull();
        assertThat(joined.type()).isEqualTo(MembershipChange.Type.JOINED);
        MembershipChange left = seen.poll(5, TimeUnit.SECONDS);
        assertThat(left).isNotNull();
        assertThat(left.type()).isEqualTo(MembershipChange.Type.LEFT);
        assertThat(left.reason()).contains("stopped refreshing").contains("found at resync");
    }

    @Test
    void aRedisThatRefusesConfigGetsOneClearWarning() throws Exception {
        redis.close();
        redis = RedisServerHarness.startWithArgs("--rename-command", "CONFIG", "");
        try (LogCapture logs = LogCapture.start()) {
            RedisSharedData store = store("no-config");
            done(store.set("k", bytes("v")));
            await().atMost(Duration.ofSeconds(5)).until(() -> !logs.at("WARN", "notify-keyspace-events").isEmpty());
            assertThat(logs.at("WARN", "notify-keyspace-events")).singleElement().asString()
                    .contains("127.0.0.1:" + redis.port()).contains("EXPIRED notifications");
            done(store.set("k2", bytes("v")));
            assertThat(done(store.get("k"))).isNotNull();
        }
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
