package io.paguma.redis;

import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import io.paguma.cluster.SharedData;
import io.paguma.cluster.SharedData.Change;
import io.paguma.cluster.SharedData.ChangeType;
import io.paguma.cluster.SharedDataException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Operations issued together go to Redis as one command per run of one kind ({@link Batches}):
 * each must still get its own result, failure and notification, in the order it was issued, and
 * a listener outside Paguma (a plain or pattern subscription) must hear every change.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RedisBatchTest {
    private static RedisServerHarness redis;

    @BeforeAll
    static void startRedis() {
        redis = RedisServerHarness.start();
    }

    @AfterAll
    static void stopRedis() {
        redis.close();
    }

    @Test
    void operationsIssuedTogetherKeepTheirOrderTheirResultsAndTheirNotifications() throws Exception {
        try (SharedData store = RedisSharedData.create(RedisSharedDataTest.config(redis))) {
            String id = UUID.randomUUID().toString();
            String k = "k-" + id, quiet = "quiet-" + id, c = "c-" + id;
            BlockingQueue<Change> heardK = new LinkedBlockingQueue<>();
            BlockingQueue<Change> heardC = new LinkedBlockingQueue<>();
            store.subscribe(k, heardK::add);
            store.subscribe(c, heardC::add);
            for (int round = 0; round < 50; round++) {
                // Issued without waiting: several runs of each kind, and a failing increment among good ones.
                var set1 = store.set(k, bytes("a" + round));
                var get1 = store.get(k);
                var setQuiet = store.set(quiet, bytes("not a counter"));
                var inc1 = store.increment(c, 5);
                var incBad = store.increment(quiet, 1);
                var inc2 = store.increment(c, 2);
                var set2 = store.set(k, bytes("b" + round), java.time.Duration.ofMinutes(1));
                var get2 = store.get(k);
                var deleted = store.delete(k);
                var get3 = store.get(k);
                var getQuiet = store.get(quiet);
                set1.get(5, TimeUnit.SECONDS);
                setQuiet.get(5, TimeUnit.SECONDS);
                set2.get(5, TimeUnit.SECONDS);
                assertThat(text(get1.get(5, TimeUnit.SECONDS))).isEqualTo("a" + round);
                long base = 7L * round;
                assertThat(inc1.get(5, TimeUnit.SECONDS)).isEqualTo(base + 5);
                assertThatThrownBy(() -> incBad.get(5, TimeUnit.SECONDS)).cause()
                        .isInstanceOf(SharedDataException.class).hasMessageContaining("is not a counter").hasMessageContaining(quiet);
                assertThat(inc2.get(5, TimeUnit.SECONDS)).isEqualTo(base + 7);
                assertThat(text(get2.get(5, TimeUnit.SECONDS))).isEqualTo("b" + round);
                assertThat(deleted.get(5, TimeUnit.SECONDS)).isTrue();
                assertThat(get3.get(5, TimeUnit.SECONDS)).isNull();
                assertThat(text(getQuiet.get(5, TimeUnit.SECONDS))).isEqualTo("not a counter");
                assertThat(next(heardK)).isEqualTo("SET a" + round);
                assertThat(next(heardK)).isEqualTo("SET b" + round);
                assertThat(next(heardK)).isEqualTo("DELETED");
                assertThat(next(heardC)).isEqualTo("SET " + (base + 5));
                assertThat(next(heardC)).isEqualTo("SET " + (base + 7));
            }
        }
    }

    @Test
    void manyOperationsAtOnceTakeFarFewerCommands() throws Exception {
        RedisClient raw = RedisClient.create(redis.uri());
        try (SharedData store = RedisSharedData.create(RedisSharedDataTest.config(redis));
             StatefulRedisConnection<String, String> admin = raw.connect()) {
            String prefix = "many-" + UUID.randomUUID() + "-";
            store.set(prefix + "warm", bytes("x")).get(5, TimeUnit.SECONDS);
            store.get(prefix + "warm").get(5, TimeUnit.SECONDS);
            int n = 2_000;
            admin.sync().configResetstat();
            List<CompletableFuture<Void>> sets = new ArrayList<>();
            for (int i = 0; i < n; i++) sets.add(store.set(prefix + i, bytes("v" + i)));
            CompletableFuture.allOf(sets.toArray(CompletableFuture[]::new)).get(10, TimeUnit.SECONDS);
            List<CompletableFuture<byte[]>> gets = new ArrayList<>();
            for (int i = 0; i < n; i++) gets.add(store.get(prefix + i));
            for (int i = 0; i < n; i++) assertThat(text(gets.get(i).get(10, TimeUnit.SECONDS))).isEqualTo("v" + i);
            String stats = admin.sync().info("commandstats");
            long scripts = calls(stats, "evalsha") + calls(stats, "eval");
            long reads = calls(stats, "get") + calls(stats, "mget");
            assertThat(scripts).as("scripts for %d sets\n%s", n, stats).isPositive().isLessThan(n / 4);
            assertThat(reads).as("commands for %d gets\n%s", n, stats).isPositive().isLessThan(n / 4);
        } finally {
            raw.shutdown();
        }
    }

    @Test
    void subscribersOutsidePagumaHearEveryChangePlainOrByPattern() throws Exception {
        RedisClient raw = RedisClient.create(redis.uri());
        try (SharedData store = RedisSharedData.create(RedisSharedDataTest.config(redis));
             StatefulRedisPubSubConnection<String, String> plain = raw.connectPubSub();
             StatefulRedisPubSubConnection<String, String> byPattern = raw.connectPubSub()) {
            String prefix = "outside-" + UUID.randomUUID() + "-";
            BlockingQueue<String> plainHeard = new LinkedBlockingQueue<>();
            BlockingQueue<String> patternHeard = new LinkedBlockingQueue<>();
            plain.addListener(new RedisPubSubAdapter<>() {
                @Override
                public void message(String channel, String message) {
                    plainHeard.add(channel + "=" + message);
                }
            });
            byPattern.addListener(new RedisPubSubAdapter<>() {
                @Override
                public void message(String pattern, String channel, String message) {
                    patternHeard.add(channel + "=" + message);
                }
            });
            String channel = "paguma:data:" + prefix;
            // As a store does (docs/REDIS.md): the key's channel and the prefix's watching channel.
            plain.sync().subscribe("paguma:watching", channel + "3");
            List<CompletableFuture<?>> ops = new ArrayList<>();
            for (int i = 0; i < 10; i++) ops.add(store.set(prefix + i, bytes("v" + i)));
            ops.add(store.increment(prefix + "n", 4));
            CompletableFuture.allOf(ops.toArray(CompletableFuture[]::new)).get(5, TimeUnit.SECONDS);
            // Without pattern subscribers, only the listened channel is published.
            assertThat(plainHeard.poll(5, TimeUnit.SECONDS)).isEqualTo(channel + "3=Sv3");
            byPattern.sync().psubscribe(channel + "*");
            ops.clear();
            for (int i = 0; i < 10; i++) ops.add(store.set(prefix + i, bytes("w" + i)));
            ops.add(store.increment(prefix + "n", 4));
            CompletableFuture.allOf(ops.toArray(CompletableFuture[]::new)).get(5, TimeUnit.SECONDS);
            List<String> expected = new ArrayList<>();
            for (int i = 0; i < 10; i++) expected.add(channel + i + "=Sw" + i);
            expected.add(channel + "n=S8");
            List<String> heard = new ArrayList<>();
            for (int i = 0; i < expected.size(); i++) heard.add(patternHeard.poll(5, TimeUnit.SECONDS));
            assertThat(heard).isEqualTo(expected);
            assertThat(plainHeard.poll(5, TimeUnit.SECONDS)).isEqualTo(channel + "3=Sw3");
            assertThat(plainHeard).isEmpty();
        } finally {
            raw.shutdown();
        }
    }

    /**
     * While nobody listens on the watching channel, a batch looks for listeners of no key and
     * publishes nothing: a subscriber of a key's channel alone (not following the protocol) hears
     * only what is published after a store's listener subscribed the watching channel too.
     */
    @Test
    void withNobodyWatchingABatchPublishesNothingUntilAStoreListens() throws Exception {
        RedisClient raw = RedisClient.create(redis.uri());
        try (SharedData store = RedisSharedData.create(RedisSharedDataTest.config(redis));
             SharedData other = RedisSharedData.create(RedisSharedDataTest.config(redis));
             StatefulRedisPubSubConnection<String, String> bare = raw.connectPubSub();
             StatefulRedisConnection<String, String> admin = raw.connect()) {
            String key = "bare-" + UUID.randomUUID();
            String channel = "paguma:data:" + key;
            BlockingQueue<String> heard = new LinkedBlockingQueue<>();
            bare.addListener(new RedisPubSubAdapter<>() {
                @Override
                public void message(String ch, String message) {
                    heard.add(message);
                }
            });
            bare.sync().subscribe(channel);
            store.set(key, bytes("unheard")).get(5, TimeUnit.SECONDS);
            store.increment(key + "n", 1).get(5, TimeUnit.SECONDS);
            // Messages on one connection come in order: the marker published after the set is the first heard.
            admin.sync().publish(channel, "marker");
            assertThat(heard.poll(5, TimeUnit.SECONDS)).isEqualTo("marker");
            BlockingQueue<Change> changes = new LinkedBlockingQueue<>();
            try (SharedData.Subscription s = other.subscribe(key, changes::add)) {
                // A store's operations wait for its subscriptions: once this is answered, Redis has the SUBSCRIBE.
                other.get(key).get(5, TimeUnit.SECONDS);
                store.set(key, bytes("heard")).get(5, TimeUnit.SECONDS);
                assertThat(next(changes)).isEqualTo("SET heard");
                assertThat(heard.poll(5, TimeUnit.SECONDS)).isEqualTo("Sheard");
            }
        } finally {
            raw.shutdown();
        }
    }

    private static long calls(String commandStats, String command) {
        Matcher m = Pattern.compile("(?m)^cmdstat_" + command + ":calls=(\\d+)").matcher(commandStats);
        return m.find() ? Long.parseLong(m.group(1)) : 0;
    }

    private static String next(BlockingQueue<Change> heard) throws InterruptedException {
        Change change = heard.poll(5, TimeUnit.SECONDS);
        assertThat(change).as("a change within 5 s").isNotNull();
        return change.type() == ChangeType.SET ? "SET " + text(change.value()) : change.type().name();
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static String text(byte[] b) {
        return b == null ? null : new String(b, StandardCharsets.UTF_8);
    }
}
