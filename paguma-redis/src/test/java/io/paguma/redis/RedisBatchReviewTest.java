package io.paguma.redis;

import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.paguma.PagumaConfig;
import io.paguma.PagumaRuntime;
import io.paguma.cluster.SharedData;
import io.paguma.cluster.SharedData.Change;
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

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Regression tests from a review of {@link Batches}: each failed before its fix (the finding's
 * number in the commit message), on Redis 7.0 and 6.2.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RedisBatchReviewTest {
    private static RedisServerHarness redis;

    @BeforeAll
    static void startRedis() {
        redis = RedisServerHarness.start();
    }

    @AfterAll
    static void stopRedis() {
        redis.close();
    }

    /** Operations issued while a SUBSCRIBE is unconfirmed keep their order (they now wait in the queue, not each on the barrier). */
    @Test
    void writesIssuedWhileASubscriptionIsPendingKeepTheirOrder() throws Exception {
        try (SharedData store = RedisSharedData.create(RedisSharedDataTest.config(redis))) {
            store.set("warm", bytes("x")).get(5, TimeUnit.SECONDS);
            int bad = 0;
            for (int round = 0; round < 20; round++) {
                String k = "barrier-" + UUID.randomUUID();
                store.subscribe(k + "-other", c -> { });   // a SUBSCRIBE under way: later operations wait for it
                List<CompletableFuture<Void>> sets = new ArrayList<>();
                for (int i = 0; i < 5; i++) sets.add(store.set(k, bytes("v" + i)));
                CompletableFuture.allOf(sets.toArray(CompletableFuture[]::new)).get(5, TimeUnit.SECONDS);
                String last = text(store.get(k).get(5, TimeUnit.SECONDS));
                if (!"v4".equals(last)) bad++;
            }
            assertThat(bad).isZero();
        }
    }

    /** Operations issued while the first connection is being made go out in the order issued (they waited each on its own, and left last-in first-out). */
    @Test
    void writesIssuedWhileConnectingKeepTheirOrder() throws Exception {
        RedisServerHarness own = RedisServerHarness.start();
        try {
            own.freeze();
            try (SharedData store = RedisSharedData.create(RedisSharedDataTest.config(own,
                    "PAGUMA_REDIS_COMMAND_TIMEOUT", "10s"))) {
                // Sets with increments between them: a command each, all waiting for the connection.
                List<CompletableFuture<?>> ops = new ArrayList<>();
                for (int i = 0; i < 4; i++) {
                    ops.add(store.set("connecting", bytes("v" + i)));
                    ops.add(store.increment("connecting-n", 1));
                }
                own.thaw();
                CompletableFuture.allOf(ops.toArray(CompletableFuture[]::new)).get(15, TimeUnit.SECONDS);
                String last = text(store.get("connecting").get(5, TimeUnit.SECONDS));
                assertThat(last).isEqualTo("v3");
            }
        } finally {
            own.close();
        }
    }

    /** After SCRIPT FLUSH, a get issued after a set sees it (an EVALSHA answered NOSCRIPT was sent again as EVAL behind the get). */
    @Test
    void aGetIssuedAfterASetSeesItEvenAfterScriptFlush() throws Exception {
        RedisClient raw = RedisClient.create(redis.uri());
        try (SharedData store = RedisSharedData.create(RedisSharedDataTest.config(redis));
             StatefulRedisConnection<String, String> admin = raw.connect()) {
            String k = "flush-" + UUID.randomUUID();
            store.set(k, bytes("old")).get(5, TimeUnit.SECONDS);
            admin.sync().scriptFlush();
            var set = store.set(k, bytes("new"));
            var get = store.get(k);
            set.get(5, TimeUnit.SECONDS);
            String seen = text(get.get(5, TimeUnit.SECONDS));
            assertThat(seen).isEqualTo("new");
        } finally {
            raw.shutdown();
        }
    }

    /** An increment Redis refuses for memory (or READONLY, ...) says so, not "is not a counter". */
    @Test
    void anIncrementRefusedForMemoryIsNotCalledNotACounter() throws Exception {
        RedisServerHarness own = RedisServerHarness.start();
        RedisClient raw = RedisClient.create(own.uri());
        try (SharedData store = RedisSharedData.create(RedisSharedDataTest.config(own));
             StatefulRedisConnection<String, String> admin = raw.connect()) {
            store.set("warm", bytes("x")).get(5, TimeUnit.SECONDS);
            admin.sync().configSet("maxmemory", "1");
            Throwable failure = null;
            try {
                store.increment("n-" + UUID.randomUUID(), 1).get(5, TimeUnit.SECONDS);
            } catch (Exception e) {
                failure = e.getCause();
            }
            admin.sync().configSet("maxmemory", "0");
            assertThat(failure).isInstanceOf(io.paguma.cluster.SharedDataException.class);
            assertThat(failure.getMessage()).doesNotContain("is not a counter").contains("refused incrementing").containsIgnoringCase("OOM");
        } finally {
            raw.shutdown();
            own.close();
        }
    }

    /** Edge values in one batch: empty, binary, duplicate keys, the 2^53 boundary, errors among good ones; and listeners hear each. */
    @Test
    void edgeValuesInOneBatch() throws Exception {
        RedisClient raw = RedisClient.create(redis.uri());
        try (SharedData store = RedisSharedData.create(RedisSharedDataTest.config(redis));
             StatefulRedisConnection<String, String> admin = raw.connect()) {
            String p = "edge-" + UUID.randomUUID() + "-";
            BlockingQueue<Change> heard = new LinkedBlockingQueue<>();
            store.subscribe(p + "dup", heard::add);
            store.subscribe(p + "big", heard::add);
            store.set(p + "warm", bytes("x")).get(5, TimeUnit.SECONDS);
            byte[] binary = new byte[256];
            for (int i = 0; i < 256; i++) binary[i] = (byte) i;
            var e1 = store.set(p + "empty", new byte[0]);
            var b1 = store.set(p + "bin", binary);
            var d1 = store.set(p + "dup", bytes("1"));
            var d2 = store.set(p + "dup", bytes("2"));
            var g1 = store.get(p + "empty");
            var g2 = store.get(p + "bin");
            var g3 = store.get(p + "dup");
            var g4 = store.get(p + "missing");
            CompletableFuture.allOf(e1, b1, d1, d2).get(5, TimeUnit.SECONDS);
            assertThat(g1.get(5, TimeUnit.SECONDS)).isEmpty();
            assertThat(g2.get(5, TimeUnit.SECONDS)).isEqualTo(binary);
            assertThat(text(g3.get(5, TimeUnit.SECONDS))).isEqualTo("2");
            assertThat(g4.get(5, TimeUnit.SECONDS)).isNull();
            assertThat(text(heard.poll(5, TimeUnit.SECONDS).value())).isEqualTo("1");
            assertThat(text(heard.poll(5, TimeUnit.SECONDS).value())).isEqualTo("2");

            long two53 = 1L << 53;
            admin.sync().set("paguma:data:" + p + "big", Long.toString(two53 - 3));
            List<CompletableFuture<Long>> incs = new ArrayList<>();
            for (int i = 0; i < 6; i++) incs.add(store.increment(p + "big", 1));
            var badInc = store.increment(p + "bin", 1);
            var dupInc = store.increment(p + "big", -4);
            for (int i = 0; i < 6; i++) assertThat(incs.get(i).get(5, TimeUnit.SECONDS)).isEqualTo(two53 - 2 + i);
            assertThat(dupInc.get(5, TimeUnit.SECONDS)).isEqualTo(two53 - 1);
            try { badInc.get(5, TimeUnit.SECONDS); throw new AssertionError("bad increment succeeded"); }
            catch (java.util.concurrent.ExecutionException expected) { assertThat(expected.getCause()).hasMessageContaining("is not a counter"); }
            for (int i = 0; i < 6; i++) assertThat(text(heard.poll(5, TimeUnit.SECONDS).value())).isEqualTo(Long.toString(two53 - 2 + i));
            assertThat(text(heard.poll(5, TimeUnit.SECONDS).value())).isEqualTo(Long.toString(two53 - 1));
            // near Long.MAX_VALUE and MIN_VALUE
            admin.sync().set("paguma:data:" + p + "max", Long.toString(Long.MAX_VALUE - 1));
            admin.sync().set("paguma:data:" + p + "min", Long.toString(Long.MIN_VALUE + 1));
            var m1 = store.increment(p + "max", 1);
            var m2 = store.increment(p + "max", 1);
            var n1 = store.increment(p + "min", -1);
            assertThat(m1.get(5, TimeUnit.SECONDS)).isEqualTo(Long.MAX_VALUE);
            assertThat(n1.get(5, TimeUnit.SECONDS)).isEqualTo(Long.MIN_VALUE);
            try { m2.get(5, TimeUnit.SECONDS); throw new AssertionError("overflow succeeded"); }
            catch (java.util.concurrent.ExecutionException expected) { assertThat(expected.getCause()).hasMessageContaining("overflows"); }
            // a full run of 256+ sets and increments with a listener
            List<CompletableFuture<?>> many = new ArrayList<>();
            for (int i = 0; i < 600; i++) many.add(store.set(p + "dup", bytes("m" + i)));
            for (int i = 0; i < 600; i++) many.add(store.increment(p + "cnt", 1));
            CompletableFuture.allOf(many.toArray(CompletableFuture[]::new)).get(10, TimeUnit.SECONDS);
            for (int i = 0; i < 600; i++) assertThat(text(heard.poll(5, TimeUnit.SECONDS).value())).isEqualTo("m" + i);
            assertThat(store.increment(p + "cnt", 0).get(5, TimeUnit.SECONDS)).isEqualTo(600);
        } finally {
            raw.shutdown();
        }
    }

    /** A get of a key that holds a list answers the same alone and in a batch. */
    @Test
    void getOfANonStringKeyAloneAndInABatch() throws Exception {
        RedisClient raw = RedisClient.create(redis.uri());
        try (SharedData store = RedisSharedData.create(RedisSharedDataTest.config(redis));
             StatefulRedisConnection<String, String> admin = raw.connect()) {
            String k = "list-" + UUID.randomUUID();
            admin.sync().rpush("paguma:data:" + k, "a");
            store.set("warm", bytes("x")).get(5, TimeUnit.SECONDS);
            String alone;
            try { alone = "value " + text(store.get(k).get(5, TimeUnit.SECONDS)); }
            catch (Exception e) { alone = "failed: " + e.getCause().getMessage(); }
            var a = store.get(k);
            var b = store.get("warm");
            String batched;
            try { batched = "value " + text(a.get(5, TimeUnit.SECONDS)); }
            catch (Exception e) { batched = "failed: " + e.getCause().getMessage(); }
            b.get(5, TimeUnit.SECONDS);
            // Always MGET: a key holding something else than a string reads as absent, alone or not.
            assertThat(alone).isEqualTo("value null");
            assertThat(batched).isEqualTo("value null");
        } finally {
            raw.shutdown();
        }
    }

    /** A store on a runtime that was closed first (misuse, but): operations fail, none hangs. */
    @Test
    void operationsAfterTheRuntimeClosedFail() throws Exception {
        PagumaConfig config = RedisSharedDataTest.config(redis, "PAGUMA_NAME", "rtclosed", "PAGUMA_IO_THREADS", "1");
        PagumaRuntime rt = PagumaRuntime.create(config);
        SharedData store = RedisSharedData.create(config, rt);
        store.set("rt", bytes("x")).get(5, TimeUnit.SECONDS);
        rt.close();
        List<CompletableFuture<?>> ops = new ArrayList<>();
        for (int i = 0; i < 3; i++) ops.add(store.get("rt"));
        int pending = 0;
        for (var f : ops) {
            try { f.get(5, TimeUnit.SECONDS); }
            catch (java.util.concurrent.TimeoutException t) { pending++; }
            catch (java.util.concurrent.ExecutionException e) { assertThat(e.getCause()).isInstanceOf(io.paguma.cluster.SharedDataException.class); }
        }
        store.close();
        assertThat(pending).isZero();
    }

    /** Sets each well below Redis's query buffer limit, issued together: one command above it. */
    @Test
    void largeValuesIssuedTogetherStayBelowTheQueryBufferLimit() throws Exception {
        RedisServerHarness own = RedisServerHarness.startWithArgs("--client-query-buffer-limit", "1mb");
        try (SharedData store = RedisSharedData.create(RedisSharedDataTest.config(own))) {
            store.set("warm", bytes("x")).get(5, TimeUnit.SECONDS);
            byte[] big = new byte[300_000];
            store.set("alone", big).get(5, TimeUnit.SECONDS);   // alone: fine
            List<CompletableFuture<Void>> sets = new ArrayList<>();
            for (int i = 0; i < 8; i++) sets.add(store.set("big" + i, big));
            int failed = 0;
            String why = null;
            for (var f : sets) {
                try { f.get(10, TimeUnit.SECONDS); } catch (Exception e) { failed++; why = String.valueOf(e.getCause()); }
            }
            assertThat(failed).as("failed: %s", why).isZero();
        } finally {
            own.close();
        }
    }

    /** Open-loop producers on a runtime with one IO loop: each drain takes a bounded share, so replies are read between (it ran for seconds and 100k operations timed out). */
    @Test
    void openLoopProducersDoNotStarveTheLoop() throws Exception {
        PagumaConfig config = RedisSharedDataTest.config(redis, "PAGUMA_NAME", "starve", "PAGUMA_IO_THREADS", "1");
        PagumaRuntime rt = PagumaRuntime.create(config);
        try (SharedData store = RedisSharedData.create(config, rt)) {
            store.set("s", bytes("x")).get(5, TimeUnit.SECONDS);
            int threads = 4, each = 50_000;
            java.util.concurrent.atomic.AtomicInteger failed = new java.util.concurrent.atomic.AtomicInteger();
            java.util.concurrent.atomic.AtomicReference<Throwable> why = new java.util.concurrent.atomic.AtomicReference<>();
            java.util.concurrent.CountDownLatch done = new java.util.concurrent.CountDownLatch(threads * each);
            long t0 = System.nanoTime();
            var loop = rt.ioEventLoops().next();
            java.util.concurrent.atomic.AtomicLong maxLag = new java.util.concurrent.atomic.AtomicLong();
            Thread probe = new Thread(() -> {
                while (!Thread.currentThread().isInterrupted()) {
                    long sent = System.nanoTime();
                    CompletableFuture<Void> ran = new CompletableFuture<>();
                    loop.execute(() -> ran.complete(null));
                    try { ran.get(60, TimeUnit.SECONDS); java.util.concurrent.locks.LockSupport.parkNanos(5_000_000); } catch (Exception e) { return; }
                    maxLag.accumulateAndGet((System.nanoTime() - sent) / 1_000_000, Math::max);
                }
            });
            probe.start();
            List<Thread> ts = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                Thread th = new Thread(() -> {
                    for (int i = 0; i < each; i++) store.get("s").whenComplete((v, e) -> {
                        if (e != null) { failed.incrementAndGet(); why.set(e); }
                        done.countDown();
                    });
                });
                th.start();
                ts.add(th);
            }
            for (Thread th : ts) th.join();
            long issued = System.nanoTime();
            done.await(50, TimeUnit.SECONDS);
            probe.interrupt();
            System.out.printf("RedisBatchReviewTest: 200,000 gets from 4 threads issued in %d ms, done after %d ms; the IO loop's longest delay of a task %d ms%n",
                    (issued - t0) / 1_000_000, (System.nanoTime() - t0) / 1_000_000, maxLag.get());
            assertThat(failed.get()).as("failed, e.g. %s", why.get()).isZero();
        } finally {
            rt.close();
        }
    }

    /** A Redis that refuses SCRIPT (renamed away here; an ACL without +script, a proxy) still serves the store (loading the scripts first made it never connect). */
    @Test
    void aStoreWorksWhereScriptLoadIsRefused() throws Exception {
        RedisServerHarness own = RedisServerHarness.startWithArgs("--rename-command", "SCRIPT", "");
        try (SharedData store = RedisSharedData.create(RedisSharedDataTest.config(own))) {
            String outcome;
            try { store.set("k", bytes("v")).get(10, TimeUnit.SECONDS); outcome = "ok"; }
            catch (Exception e) { outcome = String.valueOf(e.getCause()); }
            assertThat(outcome).isEqualTo("ok");
        } finally {
            own.close();
        }
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static String text(byte[] b) {
        return b == null ? null : new String(b, StandardCharsets.UTF_8);
    }
}
