package io.paguma.cluster;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

import java.time.Duration;

/** The registry contract on {@link RegistryClient}s linked to one {@link RegistryServer} on a free port. */
class RegistryClientTest extends RegistryContract {
    private static final Duration TTL = Duration.ofSeconds(1);
    private static RegistryServer server;

    @BeforeAll
    static void startNode() {
        server = RegistryServer.builder().host("127.0.0.1").port(0).memberTtl(TTL).build().start();
    }

    @AfterAll
    static void stopNode() {
        server.stop();
    }

    @Override
    protected Registry createView() {
        return RegistryClient.builder().address(server.address()).memberTtl(TTL).build();
    }

    @Override
    protected Duration propagation() {
        return Duration.ofSeconds(2);
    }
}
