package io.paguma.cluster;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

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

    /**
     * A view that has read the membership: one still connecting learns what happened before its
     * first read as one JOINED with the latest info, where the contract expects each change.
     */
    @Override
    protected Registry createView() {
        RegistryClient view = RegistryClient.builder().address(server.address()).memberTtl(TTL).build();
        try {
            view.ready().get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            view.close();
            throw new IllegalStateException("view of " + server.address() + " did not connect", e);
        }
        return view;
    }

    @Override
    protected Duration propagation() {
        return Duration.ofSeconds(2);
    }
}
