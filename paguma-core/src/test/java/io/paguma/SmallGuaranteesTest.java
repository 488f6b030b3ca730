package io.paguma;

import io.paguma.testing.FrameSocket;
import io.paguma.testing.Servers;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Issue 11, item 6: behaviour that worked but was never tested. */
class SmallGuaranteesTest {

    @Test
    void clearClosesEveryConnectionAndEachRunsOnConnStopOnce() throws Exception {
        AtomicInteger stops = new AtomicInteger();
        Server server = Server.builder().config(Servers.config().build()).route(1, r -> r.reply(1, r.data()))
                .onConnStop(c -> stops.incrementAndGet()).build().start();
        List<FrameSocket> peers = new ArrayList<>();
        try {
            for (int i = 0; i < 5; i++) peers.add(FrameSocket.connect(server.port()));
            await().atMost(Duration.ofSeconds(5)).until(() -> server.connections().count() == 5);
            server.connections().clear();
            for (FrameSocket p : peers) assertThat(p.closedByPeer()).isTrue();
            await().atMost(Duration.ofSeconds(5)).until(() -> server.connections().count() == 0 && stops.get() == 5);
            // The server itself carries on.
            try (FrameSocket after = FrameSocket.connect(server.port())) {
                after.send(1, "still serving");
                assertThat(after.read().text()).isEqualTo("still serving");
            }
            await().atMost(Duration.ofSeconds(5)).until(() -> stops.get() == 6);
        } finally {
            for (FrameSocket p : peers) p.close();
            server.stop();
        }
    }

    @Test
    void aClientReconnectsAfterItsOwnIdleClose() {
        // The server sends nothing and answers no pings: the client's own heartbeatMax closes the link.
        Server server = Server.builder().config(Servers.config().heartbeatReply(false).build()).build().start();
        List<String> events = new CopyOnWriteArrayList<>();
        Client client = Client.builder()
                .config(PagumaConfig.builder().host("127.0.0.1").port(server.port())
                        .heartbeatMax(Duration.ofMillis(300)).reconnectBase(Duration.ofMillis(20)).build())
                .listener(new ClientListener() {
                    @Override
                    public void connected(Connection connection) {
                        events.add("connected");
                    }

                    @Override
                    public void disconnected(Connection connection) {
                        events.add("disconnected");
                    }
                })
                .build();
        try {
            client.connect().orTimeout(10, TimeUnit.SECONDS).join();
            await().atMost(Duration.ofSeconds(10)).until(() -> events.size() >= 3);
            assertThat(events.subList(0, 3)).containsExactly("connected", "disconnected", "connected");
            assertThat(client.stats().idleCloses()).isGreaterThanOrEqualTo(1);
        } finally {
            client.close().orTimeout(10, TimeUnit.SECONDS).join();
            server.stop();
        }
    }

    private static long threads(String prefix) {
        return Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().startsWith(prefix)).count();
    }

    @Test
    void bossAndIoThreadCountsAreAsConfigured() throws Exception {
        Server server = Server.builder().config(Servers.config().name("counts").bossThreads(2).ioThreads(3)
                        .mode(PagumaConfig.Mode.BOTH).wsPort(0).build())
                .route(1, r -> r.reply(1, r.data())).build().start();
        List<FrameSocket> peers = new ArrayList<>();
        try {
            // Connections go round the IO loops: six of them wake all three.
            for (int i = 0; i < 6; i++) {
                FrameSocket p = FrameSocket.connect(server.port());
                peers.add(p);
                p.send(1, "x");
                p.read();
            }
            // Two listeners (TCP and WebSocket) take one boss loop each.
            assertThat(threads("paguma-counts-boss")).isEqualTo(2);
            assertThat(threads("paguma-counts-io")).isEqualTo(3);
        } finally {
            for (FrameSocket p : peers) p.close();
            server.stop();
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> threads("paguma-counts-") == 0);
    }
}
