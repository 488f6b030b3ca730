package io.paguma.cluster;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The shared-data contract on service-hosted data: the data lives in {@link SharedDataService} on
 * node "host"; the stores under test are on node "user" and reach it over the node link.
 */
class ServiceSharedDataTest extends SharedDataContract {
    private static Nodes nodes;
    private static Daemon user;

    @BeforeAll
    static void startNodes() {
        nodes = new Nodes();
        nodes.start("host", new SharedDataService());
        user = nodes.start("user");
        nodes.awaitMesh();
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5))
                .until(() -> user.context().nodes().get("host") != null && user.linkedNodes().contains("host"));
    }

    @AfterAll
    static void stopNodes() {
        nodes.close();
    }

    @Override
    protected SharedData create() {
        return ServiceSharedData.of(user);
    }

    @Test
    void withoutTheHostingServiceOperationsFailClearly() throws Exception {
        try (Nodes alone = new Nodes()) {
            Daemon d = alone.start("lonely");
            ServiceSharedData s = ServiceSharedData.of(d);
            assertThatThrownBy(() -> s.get("k").get(5, TimeUnit.SECONDS)).cause()
                    .isInstanceOf(SharedDataException.class).hasMessageContaining("shared-data");
            s.close();
        }
    }

    @Test
    void aNodeConfiguredForServiceHostedDataUsesIt() throws Exception {
        Daemon d = nodes.start(Daemon.builder().nodeId("configured").registry(nodes.registry)
                .config(Nodes.config().toBuilder().set(new ClusterConfig(), ClusterConfig.SHARED_DATA,
                        ClusterConfig.SharedDataKind.SERVICE).build()));
        nodes.awaitMesh();
        SharedData data = d.context().sharedData();
        assertThat(data).isInstanceOf(ServiceSharedData.class);
        data.set(key("seen"), bytes("by all")).get(5, TimeUnit.SECONDS);
        assertThat(store.get(key("seen")).get(5, TimeUnit.SECONDS)).asString().isEqualTo("by all");
        d.stop();
    }
}
