package io.paguma.cluster;

import io.paguma.Message;
import io.paguma.PagumaConfig;
import io.paguma.RemoteException;
import io.paguma.testing.JavaSources;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * Nodes in separate processes, on the registry node: a client of node a (this JVM) reaches the
 * service of node b (another JVM); b killed without a word fails a's pending requests to it at
 * once and is gone from the registry within memberTtl; the registry node's restart is survived.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ClusterProcessTest {
    private static final Duration TTL = Duration.ofSeconds(1);

    private static PagumaConfig nodeConfig(String registryAddress) {
        return Nodes.config().toBuilder()
                .set(new ClusterConfig(), ClusterConfig.REGISTRY, ClusterConfig.RegistryKind.NODE)
                .set(new ClusterConfig(), ClusterConfig.REGISTRY_ADDRESS, registryAddress)
                .set(new ClusterConfig(), ClusterConfig.MEMBER_TTL, TTL)
                .set(new ClusterConfig(), ClusterConfig.SHARED_DATA, ClusterConfig.SharedDataKind.SERVICE)
                .build();
    }

    @Test
    void aServiceInAnotherProcessAnswersAndItsDeathFailsWhatWaitsForIt() throws Exception {
        try (RegistryServer registry = RegistryServer.builder().host("127.0.0.1").port(0).memberTtl(TTL).build().start()) {
            String java = ProcessHandle.current().info().command().orElse("java");
            Path err = Files.createTempFile("cluster-node-b", ".log");
            Process b = new ProcessBuilder(java, "-cp", JavaSources.testClassPath(), NodeProcessMain.class.getName(),
                    registry.address(), "b", String.valueOf(TTL.toMillis())).redirectError(err.toFile()).start();
            ChatService chat = new ChatService();
            // a hosts the shared data; b (another process) reaches it over the link.
            Daemon a = Daemon.builder().config(nodeConfig(registry.address())).nodeId("a").service(chat)
                    .service(new SharedDataService()).build().start();
            List<String> left = new CopyOnWriteArrayList<>();
            try {
                BufferedReader out = new BufferedReader(new InputStreamReader(b.getInputStream(), StandardCharsets.UTF_8));
                assertThat(out.readLine()).as("node b's first line (its log: %s)", err).isEqualTo("READY");
                await().atMost(Duration.ofSeconds(10)).until(() -> a.linkedNodes().contains("b"));
                // A client of a reaches b's service through a's gateway... (store's ids are its own: a client sends 30)
                try (Nodes client = new Nodes()) {
                    Nodes.TestClient c = client.client(a);
                    assertThat(c.ask(30, "across")).isEqualTo("stored across");
                    // A login on a is in the hosted shared data, which b reads over the link.
                    assertThat(c.ask(ChatService.LOGIN, "alice")).isEqualTo("1");
                    // ...and a request b never answers is pending when b dies.
                    CompletableFuture<Message> fromClient = c.client.request(new Message(32, new byte[0]), Duration.ofSeconds(30));
                    CompletableFuture<Message> fromService = a.context().request("store", 32, new byte[0], Duration.ofSeconds(30));
                    assertThat(a.context().call("store", 30, "x".getBytes(), Duration.ofSeconds(5)).text()).isEqualTo("stored x");
                    long killed = System.nanoTime();
                    b.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                    await().atMost(Duration.ofSeconds(5)).until(() -> fromClient.isDone() && fromService.isDone());
                    long failedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killed);
                    assertThatThrownBy(fromClient::get).isInstanceOf(ExecutionException.class).cause()
                            .isInstanceOf(RemoteException.class);
                    assertThatThrownBy(fromService::get).isInstanceOf(ExecutionException.class);
                    // Gone from the registry, and from a's view of the cluster, within memberTtl (and a margin).
                    await().atMost(TTL.plusSeconds(2)).until(() -> !registry.members().containsKey("b")
                            && !a.context().nodes().containsKey("b"));
                    long goneMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killed);
                    System.out.println("node b killed: pending requests failed after " + failedMs + " ms, gone from the registry and a's view after "
                            + goneMs + " ms (memberTtl " + TTL.toMillis() + " ms)");
                    assertThat(chat.clusterEvents).contains("left b");
                    assertThatThrownBy(() -> a.context().request("store", 30, new byte[0]).get(5, TimeUnit.SECONDS))
                            .cause().isInstanceOf(RemoteException.class).hasMessageContaining("store");
                }
            } finally {
                b.destroyForcibly();
                a.stop();
                Files.deleteIfExists(err);
            }
        }
    }

    @Test
    void nodesOfSeveralProcessesRefuseDataOfTheirOwn() {
        PagumaConfig lonely = nodeConfig("127.0.0.1:1").toBuilder()
                .set(new ClusterConfig(), ClusterConfig.SHARED_DATA, ClusterConfig.SharedDataKind.IN_PROCESS).build();
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> Daemon.builder().config(lonely).nodeId("x").build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("cluster.sharedData")
                .hasMessageContaining("service").hasMessageContaining("redis");
    }

    @Test
    void aNodeWhoseRegistryNodeCannotBeReachedFailsToStartSayingWhere() throws Exception {
        int closed;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            closed = s.getLocalPort();
        }
        PagumaConfig cfg = nodeConfig("127.0.0.1:" + closed).toBuilder()
                .set(new ClusterConfig(), ClusterConfig.REQUEST_TIMEOUT, Duration.ofMillis(500)).build();
        long t0 = System.nanoTime();
        assertThatThrownBy(() -> Daemon.builder().config(cfg).nodeId("x").service(new SharedDataService()).build().start())
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("registry node at 127.0.0.1:" + closed);
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(10));
    }

    @Test
    void nodesSurviveARestartOfTheRegistryNode() throws Exception {
        RegistryServer registry = RegistryServer.builder().host("127.0.0.1").port(0).memberTtl(TTL).build().start();
        int port = registry.port();
        ChatService chatA = new ChatService();
        Daemon a = Daemon.builder().config(nodeConfig(registry.address())).nodeId("a").service(chatA)
                .service(new SharedDataService()).build().start();
        Daemon b = Daemon.builder().config(nodeConfig(registry.address())).nodeId("b").service(new DaemonTest.Store()).build().start();
        try (Nodes clients = new Nodes()) {
            await().atMost(Duration.ofSeconds(10)).until(() -> a.linkedNodes().contains("b") && b.linkedNodes().contains("a"));
            Nodes.TestClient c = clients.client(a);
            assertThat(c.ask(30, "before")).isEqualTo("stored before");
            registry.stop();
            // While it is away the nodes keep their links and serve.
            assertThat(c.ask(30, "during")).isEqualTo("stored during");
            registry = RegistryServer.builder().host("127.0.0.1").port(port).memberTtl(TTL).build().start();
            RegistryServer restarted = registry;
            // The views come back to an empty registry; their members join again. Meanwhile, and
            // after, the nodes keep their link and serve: a registry that forgot them for a moment
            // does not make them leave each other.
            long until = System.nanoTime() + TTL.multipliedBy(3).toNanos();
            int asked = 0;
            while (System.nanoTime() < until || !restarted.members().keySet().containsAll(List.of("a", "b"))) {
                assertThat(c.ask(30, "after " + asked)).isEqualTo("stored after " + asked);
                asked++;
                assertThat(asked).as("requests while the members rejoin").isLessThan(1_000_000);
            }
            assertThat(a.linkedNodes()).contains("b");
            assertThat(chatA.clusterEvents).doesNotContain("left b");
            // A node that joins now finds both.
            Daemon d = Daemon.builder().config(nodeConfig(restarted.address())).nodeId("d").build().start();
            try {
                await().atMost(Duration.ofSeconds(10)).until(() -> d.linkedNodes().containsAll(List.of("a", "b")));
            } finally {
                d.stop();
            }
        } finally {
            b.stop();
            a.stop();
            registry.stop();
        }
    }
}
