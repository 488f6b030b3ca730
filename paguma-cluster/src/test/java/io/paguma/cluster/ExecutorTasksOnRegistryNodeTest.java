package io.paguma.cluster;

import java.time.Duration;
import java.util.Map;

/**
 * {@link ExecutorTasksTest} with the seed's registry node assigning the tasks (seed 002 §3.1.2,
 * step 2): a {@link RegistryServer} on a loopback port, the nodes joined through a
 * {@link RegistryClient} (whose task queue the executors use).
 */
class ExecutorTasksOnRegistryNodeTest extends ExecutorTasksTest {
    private RegistryServer server;

    @Override
    Nodes nodes() {
        server = RegistryServer.builder().host("127.0.0.1").port(0).memberTtl(Duration.ofSeconds(2)).build().start();
        return new Nodes(RegistryClient.builder().address(server.address()).memberTtl(Duration.ofSeconds(2)).build(),
                InProcessSharedData.create("tasks"));
    }

    @Override
    Map<String, Integer> load() {
        return server.taskLoad();
    }

    @Override
    void closeRegistry() {
        server.close();
    }
}
