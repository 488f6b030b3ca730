package io.paguma.redis;

import io.paguma.cluster.SharedData;
import io.paguma.cluster.SharedData.Change;
import io.paguma.cluster.SharedData.Subscription;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.charset.StandardCharsets;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Commands and pub/sub travel on two connections that Redis does not order with each other: a
 * store must wait for SUBSCRIBE and UNSUBSCRIBE to be confirmed before its next operation, or a
 * listener hears a change made before it subscribed (or misses one made after). Repeated, so that
 * the race, if any, shows.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RedisSubscriptionOrderTest {
    private static final int ROUNDS = 300;
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
    void aListenerHearsExactlyTheChangesMadeAfterItSubscribedAndNoneAfterItsCloseReturned() throws Exception {
        try (SharedData store = RedisSharedData.create(RedisSharedDataTest.config(redis))) {
            for (int round = 0; round < ROUNDS; round++) {
                String k = "order-" + UUID.randomUUID();
                BlockingQueue<Change> first = new LinkedBlockingQueue<>();
                Subscription s = store.subscribe(k, first::add);
                store.set(k, bytes("a")).get(5, TimeUnit.SECONDS);
                assertThat(value(first.poll(5, TimeUnit.SECONDS))).as("round %d: first listener", round).isEqualTo("a");
                s.close();
                store.set(k, bytes("before")).get(5, TimeUnit.SECONDS);
                BlockingQueue<Change> second = new LinkedBlockingQueue<>();
                store.subscribe(k, second::add);
                store.set(k, bytes("after")).get(5, TimeUnit.SECONDS);
                assertThat(value(second.poll(5, TimeUnit.SECONDS))).as("round %d: second listener", round).isEqualTo("after");
                assertThat(first).as("round %d: closed listener", round).isEmpty();
            }
        }
    }

    @Test
    void aNewListenerOfAKeyWithListenersHearsNoChangeThatCompletedBeforeItSubscribed() throws Exception {
        try (SharedData store = RedisSharedData.create(RedisSharedDataTest.config(redis))) {
            String k = "busy-" + UUID.randomUUID();
            BlockingQueue<Change> all = new LinkedBlockingQueue<>();
            store.subscribe(k, all::add);
            for (int round = 0; round < ROUNDS; round++) {
                store.set(k, bytes("before-" + round)).get(5, TimeUnit.SECONDS);
                BlockingQueue<Change> late = new LinkedBlockingQueue<>();
                Subscription s = store.subscribe(k, late::add);
                store.set(k, bytes("after-" + round)).get(5, TimeUnit.SECONDS);
                assertThat(value(late.poll(5, TimeUnit.SECONDS))).as("round %d: new listener", round).isEqualTo("after-" + round);
                s.close();
                assertThat(value(all.poll(5, TimeUnit.SECONDS))).isEqualTo("before-" + round);
                assertThat(value(all.poll(5, TimeUnit.SECONDS))).isEqualTo("after-" + round);
            }
        }
    }

    private static String value(Change c) {
        assertThat(c).as("a change within 5 s").isNotNull();
        return new String(c.value(), StandardCharsets.UTF_8);
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
