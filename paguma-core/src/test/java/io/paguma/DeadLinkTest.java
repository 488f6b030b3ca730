package io.paguma;

import io.paguma.testing.Servers;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Seed 001: requests that time out in a row on a silent link make the client reconnect (deadLinkTimeouts). */
class DeadLinkTest {
    private static final int SILENT = 1;
    private static final int PUSH = 2;

    private static Client client(Server server, int deadLinkTimeouts, List<String> events) {
        return Client.builder()
                .config(PagumaConfig.builder().host("127.0.0.1").port(server.port()).codec("paguma")
                        .requestTimeout(Duration.ofMillis(100)).deadLinkTimeouts(deadLinkTimeouts)
                        .reconnectBase(Duration.ofMillis(20)).build())
                .route(PUSH, r -> { })
                .listener(new ClientListener() {
                    @Override
                    public void connected(Connection connection) {
                        events.add("connected " + connection.id());
                    }

                    @Override
                    public void disconnected(Connection connection) {
                        events.add("disconnected " + connection.id());
                    }
                })
                .build();
    }

    @Test
    void requestsTimingOutInARowOnASilentLinkCloseItAndTheClientReconnects() {
        // The server reads and never answers: from the client, a dead link.
        Server server = Server.builder().config(Servers.config().codec("paguma").build()).route(SILENT, r -> { })
                .build().start();
        List<String> events = new CopyOnWriteArrayList<>();
        Client client = client(server, 3, events);
        try {
            Connection first = client.connect().orTimeout(10, TimeUnit.SECONDS).join();
            for (int i = 0; i < 2; i++) client.request(SILENT, "anyone?");
            await().atMost(Duration.ofSeconds(5)).until(() -> client.stats().requestTimeouts() == 2);
            assertThat(first.isOpen()).as("two timeouts are not yet three").isTrue();
            client.request(SILENT, "anyone?");
            await().atMost(Duration.ofSeconds(10)).until(() -> events.size() >= 3);
            assertThat(first.isOpen()).isFalse();
            assertThat(events.get(0)).startsWith("connected");
            assertThat(events.get(1)).isEqualTo("disconnected " + first.id());
            assertThat(events.get(2)).startsWith("connected");
            assertThat(client.connection()).isNotSameAs(first);
        } finally {
            client.close().orTimeout(10, TimeUnit.SECONDS).join();
            server.stop();
        }
    }

    @Test
    void aLinkOnWhichAnythingArrivesIsSlowNotDeadAndStays() {
        Server server = Server.builder().config(Servers.config().codec("paguma").build())
                .route(SILENT, r -> r.connection().send(PUSH, "busy, not dead"))
                .build().start();
        List<String> events = new CopyOnWriteArrayList<>();
        Client client = client(server, 2, events);
        try {
            Connection first = client.connect().orTimeout(10, TimeUnit.SECONDS).join();
            List<Object> waiting = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                waiting.add(client.request(SILENT, "slow?"));
                long timeouts = i + 1;
                await().atMost(Duration.ofSeconds(5)).until(() -> client.stats().requestTimeouts() == timeouts);
            }
            assertThat(first.isOpen()).isTrue();
            assertThat(events).hasSize(1);
        } finally {
            client.close().orTimeout(10, TimeUnit.SECONDS).join();
            server.stop();
        }
    }
}
