package io.paguma.cluster;

import io.paguma.Message;
import io.paguma.PagumaConfig;
import io.paguma.RemoteException;
import io.paguma.redis.RedisConfig;
import io.paguma.redis.RedisRegistry;
import io.paguma.redis.RedisServerHarness;
import io.paguma.redis.RedisSharedData;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * Daemons scaled out on a real Redis (SPEC B8): registry and shared data from the config alone
 * ({@code cluster.registry: redis}, {@code cluster.sharedData: redis}); Redis stopping makes what
 * needs it fail clearly, and the cluster recovers when it returns.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class RedisClusterTest {
    private static final Duration TTL = Duration.ofSeconds(1);
    private final RedisServerHarness redis = RedisServerHarness.start();
    private final String prefix = "t" + UUID.randomUUID().toString().substring(0, 8) + ":";
    private final List<Daemon> daemons = new ArrayList<>();
    private final Nodes clients = new Nodes();

    @AfterEach
    void stop() {
        clients.close();
        for (int i = daemons.size() - 1; i >= 0; i--) daemons.get(i).stop();
        redis.close();
    }

    private Daemon node(String id, Service... services) {
        PagumaConfig config = Nodes.config().toBuilder()
                .set(new ClusterConfig(), ClusterConfig.REGISTRY, ClusterConfig.RegistryKind.REDIS)
                .set(new ClusterConfig(), ClusterConfig.SHARED_DATA, ClusterConfig.SharedDataKind.REDIS)
                .set(new ClusterConfig(), ClusterConfig.MEMBER_TTL, TTL)
                .set(new ClusterConfig(), ClusterConfig.RESYNC_INTERVAL, Duration.ofMillis(500))
                .set(new RedisConfig(), RedisConfig.URI, redis.uri())
                .set(new RedisConfig(), RedisConfig.KEY_PREFIX, prefix)
                .set(new RedisConfig(), RedisConfig.COMMAND_TIMEOUT, Duration.ofMillis(500))
                .build();
        Daemon.Builder b = Daemon.builder().config(config).nodeId(id);
        for (Service s : services) b.service(s);
        Daemon d = b.build().start();
        daemons.add(d);
        return d;
    }

    @Test
    void nodesFindEachOtherAndShareLoginsThroughRedis() throws Exception {
        ChatService chatA = new ChatService(), chatB = new ChatService();
        Daemon a = node("a", chatA);
        Daemon b = node("b", chatB, new DaemonTest.Store());
        assertThat(a.registry()).isInstanceOf(RedisRegistry.class);
        assertThat(a.context().sharedData()).isInstanceOf(RedisSharedData.class);
        await().atMost(Duration.ofSeconds(10)).until(() -> a.linkedNodes().contains("b") && b.linkedNodes().contains("a"));
        Nodes.TestClient onA = clients.client(a);
        assertThat(onA.ask(30, "to b")).isEqualTo("stored to b");
        long first = Long.parseLong(onA.ask(ChatService.LOGIN, "alice"));
        onA.ask(ChatService.JOIN, "room");
        Nodes.TestClient onB = clients.client(b);
        long second = Long.parseLong(onB.ask(ChatService.LOGIN, "alice"));
        assertThat(second).isGreaterThan(first);
        await().atMost(Duration.ofSeconds(5)).until(() -> !onA.client.isConnected());
        onB.ask(ChatService.JOIN, "room");
        a.context().sendToGroup("room", 77, "hello".getBytes()).get(5, TimeUnit.SECONDS);
        assertThat(onB.next().text()).isEqualTo("hello");
        a.context().send("alice", 78, "direct".getBytes()).get(5, TimeUnit.SECONDS);
        assertThat(onB.next().text()).isEqualTo("direct");
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(chatA.clientEvents).anySatisfy(e -> {
            assertThat(e.type()).isEqualTo(ClientEvent.Type.DISCONNECTED);
            assertThat(e.epoch()).isEqualTo(first);
        }));
    }

    @Test
    void whenRedisStopsWhatNeedsItFailsClearlyAndTheClusterRecoversWhenItReturns() throws Exception {
        Daemon a = node("a", new ChatService());
        Daemon b = node("b", new DaemonTest.Store());
        await().atMost(Duration.ofSeconds(10)).until(() -> a.linkedNodes().contains("b"));
        Nodes.TestClient onA = clients.client(a);
        assertThat(onA.ask(ChatService.LOGIN, "carol")).isNotBlank();
        redis.stop();
        // A login needs the shared data: it fails, saying why; the link between the nodes carries on.
        CompletableFuture<Message> login = clients.client(a).client.request(ChatService.LOGIN, "dave".getBytes());
        assertThatThrownBy(() -> login.get(5, TimeUnit.SECONDS)).cause().isInstanceOf(RemoteException.class)
                .hasMessageContaining(String.valueOf(redis.port()));
        assertThat(onA.ask(30, "still")).isEqualTo("stored still");
        assertThatThrownBy(() -> a.context().sharedData().get("k").get(5, TimeUnit.SECONDS)).cause()
                .isInstanceOf(SharedDataException.class);
        redis.restart();
        // Back: logins work again, and both members are in Redis again (their refreshes re-create them).
        await().atMost(Duration.ofSeconds(15)).ignoreExceptions().untilAsserted(() ->
                assertThat(clients.client(a).ask(ChatService.LOGIN, "erin")).isNotBlank());
        await().atMost(Duration.ofSeconds(10)).until(() -> a.context().nodes().containsKey("b") && b.context().nodes().containsKey("a"));
        assertThat(a.linkedNodes()).contains("b");
        assertThat(onA.ask(30, "after")).isEqualTo("stored after");
    }
}
