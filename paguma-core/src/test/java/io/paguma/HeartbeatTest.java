package io.paguma;

import io.paguma.testing.FrameSocket;
import io.paguma.testing.Peer;
import io.paguma.testing.Servers;
import io.paguma.testing.Wire;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** The idle timeout (T1) and heartbeats (B1). */
class HeartbeatTest {
    private static final int PUSH = 5;

    private final List<Server> servers = new ArrayList<>();
    private final List<Client> clients = new ArrayList<>();
    private final ScheduledExecutorService pusher = Executors.newSingleThreadScheduledExecutor();

    @AfterEach
    void tearDown() {
        pusher.shutdownNow();
        for (Client c : clients) c.close().orTimeout(10, TimeUnit.SECONDS).join();
        for (Server s : servers) s.stop();
    }

    private Server server(PagumaConfig.Builder config) {
        return server(Wire.TCP, config);
    }

    private Server server(Wire wire, PagumaConfig.Builder config) {
        Server s = Server.builder().config(wire.server(config).codec("paguma").build()).build().start();
        servers.add(s);
        return s;
    }

    private Client client(Wire wire, Server server, PagumaConfig.Builder config, Client.Builder b) {
        Client c = b.config(wire.client(config, server).codec("paguma").reconnect(false).build()).build();
        clients.add(c);
        c.connect().orTimeout(10, TimeUnit.SECONDS).join();
        return c;
    }

    @ParameterizedTest
    @EnumSource(Wire.class)
    void aSilentPeerIsClosedAfterHeartbeatMax(Wire wire) throws Exception {
        Server server = server(wire, Servers.config().heartbeatMax(Duration.ofMillis(300)));
        try (Peer silent = wire.connect(server, Codecs.byName("paguma"))) {
            long start = System.nanoTime();
            assertThat(silent.closedByPeer()).isTrue();
            long tookMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            // Never early; at most a quarter of heartbeatMax late, plus scheduling slack.
            assertThat(tookMillis).isBetween(290L, 1500L);
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> server.connections().count() == 0);
    }

    @Test
    void aPeerThatKeepsSendingIsNotIdle() throws Exception {
        Server server = Server.builder().config(Servers.config().codec("paguma").heartbeatMax(Duration.ofMillis(800)).build())
                .route(1, r -> { }).build().start();
        servers.add(server);
        try (FrameSocket talker = FrameSocket.connect(server.port(), Codecs.byName("paguma"))) {
            pusher.scheduleAtFixedRate(() -> {
                try {
                    talker.send(1, "still here");
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }, 0, 100, TimeUnit.MILLISECONDS);
            await().during(Duration.ofMillis(2000)).atMost(Duration.ofSeconds(4))
                    .until(() -> server.connections().count() == 1);
        }
    }

    @ParameterizedTest
    @EnumSource(Wire.class)
    void aReceiveOnlyClientIsKeptAliveByItsHeartbeatsAndTheDataItReceives(Wire wire) {
        // The server answers no pings: the client hears only the pushes, and that must be enough.
        Server server = server(wire, Servers.config().heartbeatMax(Duration.ofMillis(1000)).heartbeatReply(false));
        AtomicInteger received = new AtomicInteger();
        Client listener = client(wire, server, PagumaConfig.builder().heartbeatInterval(Duration.ofMillis(200))
                .heartbeatMax(Duration.ofMillis(1000)), Client.builder().route(PUSH, r -> received.incrementAndGet()));
        // A second client sends nothing at all: the server's idle timeout closes it.
        Client mute = client(wire, server, PagumaConfig.builder(), Client.builder().route(PUSH, r -> { }));
        Connection listening = listener.connection();
        Connection muted = mute.connection();
        pusher.scheduleAtFixedRate(() -> {
            for (Connection c : server.connections().all()) c.send(PUSH, "tick");
        }, 0, 100, TimeUnit.MILLISECONDS);

        await().atMost(Duration.ofSeconds(5)).until(() -> !muted.isOpen());
        await().during(Duration.ofMillis(2500)).atMost(Duration.ofSeconds(4)).until(listening::isOpen);
        assertThat(listener.connection()).isSameAs(listening);
        assertThat(received.get()).isGreaterThan(10);
    }

    @ParameterizedTest
    @EnumSource(Wire.class)
    void heartbeatsBothWaysKeepAQuietLinkAlive(Wire wire) {
        Server server = server(wire, Servers.config().heartbeatMax(Duration.ofMillis(1000)));
        Client client = client(wire, server, PagumaConfig.builder().heartbeatInterval(Duration.ofMillis(200))
                .heartbeatMax(Duration.ofMillis(1000)), Client.builder());
        Connection c = client.connection();
        await().during(Duration.ofMillis(2500)).atMost(Duration.ofSeconds(4)).until(c::isOpen);
        // Pings went out and pongs came back; none of them reached a router.
        assertThat(c.traffic().messagesOut()).isGreaterThanOrEqualTo(5);
        assertThat(c.traffic().messagesIn()).isGreaterThanOrEqualTo(5);
        assertThat(server.traffic().messagesIn()).isGreaterThanOrEqualTo(5);
    }

    @ParameterizedTest
    @EnumSource(Wire.class)
    void anyServerAnswersAPingWithAPongUnlessTheIdHasARouter(Wire wire) throws Exception {
        Server plain = server(wire, Servers.config());
        try (Peer peer = wire.connect(plain, Codecs.byName("paguma"))) {
            peer.send(99999, "ping");
            Message pong = peer.read();
            assertThat(pong.id()).isEqualTo(99999);
            assertThat(pong.text()).isEqualTo("pong");
        }
        Server routed = Server.builder().config(wire.server(Servers.config()).codec("paguma").build())
                .route(99999, r -> r.reply(99999, "mine: " + r.text())).build().start();
        servers.add(routed);
        try (Peer peer = wire.connect(routed, Codecs.byName("paguma"))) {
            peer.send(99999, "ping");
            assertThat(peer.read().text()).isEqualTo("mine: ping");
        }
    }

    @ParameterizedTest
    @EnumSource(Wire.class)
    void withoutHeartbeatsTheSameQuietLinkIsClosed(Wire wire) {
        Server server = server(wire, Servers.config().heartbeatMax(Duration.ofMillis(300)));
        Client client = client(wire, server, PagumaConfig.builder(), Client.builder());
        Connection c = client.connection();
        await().atMost(Duration.ofSeconds(5)).until(() -> !c.isOpen());
    }
}
