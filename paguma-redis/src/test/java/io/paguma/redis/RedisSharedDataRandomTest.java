package io.paguma.redis;

import io.paguma.cluster.InProcessSharedData;
import io.paguma.cluster.SharedData;
import io.paguma.cluster.SharedData.Change;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Random operations on Redis and on the in-process store, side by side: every result, every
 * failure and every notification must be the same. Binary values, counter texts Redis and Java
 * might read differently, and edge deltas. The seed is printed on failure; rerun one with
 * {@code -Dpaguma.test.seed=<seed>}.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class RedisSharedDataRandomTest {
    private static final int STEPS = 2_000;
    private static final int KEYS = 6;
    private static final List<String> TEXTS = List.of("0", "-0", "1", "-1", "01", "+1", " 1", "1 ", "", "abc", "1.5",
            "9223372036854775807", "-9223372036854775808", "9223372036854775808", "-9223372036854775809",
            "99999999999999999999", "00", "-", "\u00e91");
    private static final long[] DELTAS = {0, 1, -1, 7, -100, Long.MAX_VALUE, Long.MIN_VALUE, Long.MAX_VALUE - 1};

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
    void randomOperationsAgreeWithTheInProcessStore() throws Exception {
        long seed = Long.getLong("paguma.test.seed", System.nanoTime());
        try {
            run(new Random(seed));
        } catch (AssertionError | Exception e) {
            throw new AssertionError("random run failed with seed " + seed + " (rerun with -Dpaguma.test.seed=" + seed + ")", e);
        }
    }

    private void run(Random rnd) throws Exception {
        String prefix = "random-" + UUID.randomUUID() + ":";
        try (SharedData model = InProcessSharedData.create("model");
             SharedData remote = RedisSharedData.create(RedisSharedDataTest.config(redis))) {
            List<BlockingQueue<Change>> heardByModel = new ArrayList<>();
            List<BlockingQueue<Change>> heardByRemote = new ArrayList<>();
            for (int k = 0; k < KEYS; k++) {
                BlockingQueue<Change> m = new LinkedBlockingQueue<>();
                BlockingQueue<Change> r = new LinkedBlockingQueue<>();
                model.subscribe(prefix + k, m::add);
                remote.subscribe(prefix + k, r::add);
                heardByModel.add(m);
                heardByRemote.add(r);
            }
            for (int step = 0; step < STEPS; step++) {
                String key = prefix + rnd.nextInt(KEYS);
                int op = rnd.nextInt(6);
                String what;
                Object expected;
                Object actual;
                switch (op) {
                    case 0 -> {
                        what = "get(" + key + ")";
                        expected = outcome(model.get(key));
                        actual = outcome(remote.get(key));
                    }
                    case 1 -> {
                        byte[] v = value(rnd);
                        what = "set(" + key + ", " + show(v) + ")";
                        expected = outcome(model.set(key, v));
                        actual = outcome(remote.set(key, v));
                    }
                    case 2 -> {
                        what = "delete(" + key + ")";
                        expected = outcome(model.delete(key));
                        actual = outcome(remote.delete(key));
                    }
                    case 3 -> {
                        byte[] current = model.get(key).join();
                        byte[] e = switch (rnd.nextInt(3)) {
                            case 0 -> current;
                            case 1 -> null;
                            default -> value(rnd);
                        };
                        byte[] u = rnd.nextInt(4) == 0 ? null : value(rnd);
                        what = "compareAndSet(" + key + ", " + show(e) + ", " + show(u) + ")";
                        expected = outcome(model.compareAndSet(key, e, u));
                        actual = outcome(remote.compareAndSet(key, e, u));
                    }
                    default -> {
                        long d = rnd.nextBoolean() ? DELTAS[rnd.nextInt(DELTAS.length)] : rnd.nextInt(2001) - 1000;
                        what = "increment(" + key + ", " + d + ")";
                        expected = outcome(model.increment(key, d));
                        actual = outcome(remote.increment(key, d));
                    }
                }
                assertThat(actual).as("step %d: %s", step, what).isEqualTo(expected);
            }
            for (int k = 0; k < KEYS; k++) {
                String marker = "end-" + k;
                model.set(prefix + k, marker.getBytes(StandardCharsets.UTF_8)).join();
                remote.set(prefix + k, marker.getBytes(StandardCharsets.UTF_8)).join();
                assertThat(untilMarker(heardByRemote.get(k), marker)).as("changes heard of key %d", k)
                        .isEqualTo(untilMarker(heardByModel.get(k), marker));
            }
        }
    }

    private static byte[] value(Random rnd) {
        if (rnd.nextInt(3) == 0) return TEXTS.get(rnd.nextInt(TEXTS.size())).getBytes(StandardCharsets.UTF_8);
        byte[] b = new byte[rnd.nextInt(9)];
        rnd.nextBytes(b);
        return b;
    }

    /** What a future gives, comparable: the value (arrays as hex), or the failure's class. */
    private static Object outcome(CompletableFuture<?> f) throws InterruptedException {
        try {
            Object v = f.get(10, TimeUnit.SECONDS);
            return v instanceof byte[] b ? "bytes " + show(b) : v;
        } catch (ExecutionException e) {
            return "fails with " + e.getCause().getClass().getSimpleName();
        } catch (java.util.concurrent.TimeoutException e) {
            throw new AssertionError("no answer within 10 s", e);
        }
    }

    private static List<String> untilMarker(BlockingQueue<Change> heard, String marker) throws InterruptedException {
        List<String> changes = new ArrayList<>();
        while (true) {
            Change c = heard.poll(10, TimeUnit.SECONDS);
            assertThat(c).as("a change within 10 s, after " + changes).isNotNull();
            String shown = c.type() + (c.value() == null ? "" : " " + show(c.value()));
            changes.add(shown);
            if (c.value() != null && Arrays.equals(c.value(), marker.getBytes(StandardCharsets.UTF_8))) return changes;
        }
    }

    private static String show(byte[] b) {
        return b == null ? "null" : "[" + HexFormat.of().formatHex(b) + "]";
    }
}
