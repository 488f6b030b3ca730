package io.paguma.redis;

import io.paguma.PagumaConfig;
import io.paguma.PagumaRuntime;
import io.paguma.cluster.NodeInfo;
import io.paguma.cluster.Registry;
import io.paguma.cluster.SharedData;
import io.paguma.cluster.SharedData.Change;
import io.paguma.testing.LogCapture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Lettuce on a runtime's IO event loops: its channels run there (no event loop threads of its
 * own), listeners still run on the store's thread, closing the store or the registry leaves the
 * runtime's loops running, and nothing of Lettuce's is left once they are closed.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RedisOnRuntimeTest {
    private static RedisServerHarness redis;

    @BeforeAll
    static void startRedis() {
        redis = RedisServerHarness.start();
    }

    @AfterAll
    static void stopRedis() {
        redis.close();
    }

    private static Set<String> liveThreads(String prefix) {
        return Thread.getAllStackTraces().keySet().stream().filter(t -> t.isAlive() && t.getName().startsWith(prefix))
                .map(Thread::getName).collect(Collectors.toSet());
    }

    private static <T> T done(CompletableFuture<T> f) throws Exception {
        return f.get(10, TimeUnit.SECONDS);
    }

    @Test
    void lettuceRunsOnTheRuntimesLoopsWhichOutliveTheStoreAndTheRegistry() throws Exception {
        PagumaConfig config = RedisSharedDataTest.config(redis, "PAGUMA_NAME", "rt", "PAGUMA_IO_THREADS", "2",
                "PAGUMA_CLUSTER_MEMBER_TTL", "1s", "PAGUMA_CLUSTER_RESYNC_INTERVAL", "1s");
        PagumaRuntime rt = PagumaRuntime.create(config);
        SharedData store = RedisSharedData.create(config, rt);
        RedisRegistry registry = RedisRegistry.create(config, rt);
        try {
            done(registry.ready());
            BlockingQueue<Thread> listenerThreads = new LinkedBlockingQueue<>();
            BlockingQueue<Change> heard = new LinkedBlockingQueue<>();
            store.subscribe("k", c -> {
                listenerThreads.add(Thread.currentThread());
                heard.add(c);
            });

            // Completed on the runtime's IO loops (a future that completed before its callback was
            // attached runs the callback on the caller: allowed, but not every time).
            List<String> completedOn = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                completedOn.add(done(store.set("k", bytes("v" + i)).thenApply(v -> Thread.currentThread())).getName());
            }
            assertThat(completedOn).allMatch(n -> n.startsWith("paguma-rt-io") || n.equals(Thread.currentThread().getName()))
                    .anyMatch(n -> n.startsWith("paguma-rt-io"));
            assertThat(heard.poll(5, TimeUnit.SECONDS)).isNotNull();
            heard.clear();
            assertThat(listenerThreads.poll().getName()).isEqualTo("paguma-redis-data-rt");
            assertThat(liveThreads("lettuce-")).as("Lettuce's threads besides its timer")
                    .allMatch(n -> n.startsWith("lettuce-timer"));

            // Operations started on an IO loop of the runtime complete without blocking it.
            CompletableFuture<Long> fromLoop = new CompletableFuture<>();
            rt.ioEventLoops().next().execute(() -> store.increment("n", 5).whenComplete((n, e) -> {
                if (e == null) fromLoop.complete(n);
                else fromLoop.completeExceptionally(e);
            }));
            assertThat(done(fromLoop)).isEqualTo(5L);

            Registry.Membership m = done(registry.join(NodeInfo.of("rt-node", "127.0.0.1", 7100)));
            assertThat(registry.members()).containsKey("rt-node");
            assertThat(m.self().port()).isEqualTo(7100);

            store.close();
            registry.close();
            assertThat(rt.ioEventLoops().isShuttingDown()).isFalse();
            assertThat(done(CompletableFuture.supplyAsync(() -> "still running", rt.ioEventLoops().next()))).isEqualTo("still running");
            await().atMost(Duration.ofSeconds(5)).until(() -> liveThreads("lettuce-").isEmpty());
            await().atMost(Duration.ofSeconds(5)).until(() -> liveThreads("paguma-redis-").isEmpty());
        } finally {
            // Also when an assertion failed: a store or view left open would leave Lettuce's timer to the next tests.
            store.close();
            registry.close();
            rt.close();
        }
        assertThat(liveThreads("paguma-rt-io")).isEmpty();
    }

    @Test
    void aRuntimeOnAnotherTransportThanLettucesGetsOneWarningAndLettuceThreadsOfItsOwn() throws Exception {
        PagumaConfig config = RedisSharedDataTest.config(redis, "PAGUMA_NAME", "nio", "PAGUMA_IO_THREADS", "1",
                "PAGUMA_TRANSPORT", "nio");
        PagumaRuntime rt = PagumaRuntime.create(config);
        try (LogCapture logs = LogCapture.start()) {
            SharedData store = RedisSharedData.create(config, rt);
            try {
                done(store.set("k", bytes("v")));
                assertThat(done(store.get("k"))).asString(StandardCharsets.UTF_8).isEqualTo("v");
                assertThat(logs.at("WARN", "uses transport", "runtime nio uses nio")).hasSize(1);
            } finally {
                store.close();
            }
            assertThat(rt.ioEventLoops().isShuttingDown()).isFalse();
        } finally {
            rt.close();
        }
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
