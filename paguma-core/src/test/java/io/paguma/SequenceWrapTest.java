package io.paguma;

import io.paguma.internal.ChannelConnection;
import io.paguma.testing.Servers;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Sequence ids (T6) wrap after 2^31 requests from one side: replies across the wrap still complete
 * their requests and are never routed. Both sides have echo routers, so a reply routed by mistake
 * would bounce between them.
 */
class SequenceWrapTest {
    private static final int ECHO = 1;

    private Server server;
    private Client client;
    private final AtomicInteger routedOnServer = new AtomicInteger();
    private final AtomicInteger routedOnClient = new AtomicInteger();

    @AfterEach
    void tearDown() {
        if (client != null) client.close().orTimeout(10, TimeUnit.SECONDS).join();
        if (server != null) server.stop();
    }

    private void connect() {
        server = Server.builder().config(Servers.config().codec("paguma").build())
                .route(ECHO, r -> {
                    routedOnServer.incrementAndGet();
                    r.reply(ECHO, r.data());
                })
                .build().start();
        client = Client.builder().config(PagumaConfig.builder().name("wrap-client").host("127.0.0.1")
                        .port(server.port()).codec("paguma").build())
                .route(ECHO, r -> {
                    routedOnClient.incrementAndGet();
                    r.reply(ECHO, r.data());
                })
                .build();
        client.connect().orTimeout(10, TimeUnit.SECONDS).join();
    }

    @Test
    void clientRequestsAcrossTheSequenceWrapGetTheirReplies() {
        connect();
        ChannelConnection conn = (ChannelConnection) client.connection();
        conn.startSequenceAfter(0xFFFFFFF9);
        // 0xFFFFFFFB, 0xFFFFFFFD, 0xFFFFFFFF, 1, 3, 5
        for (int i = 0; i < 6; i++) {
            Message reply = client.request(ECHO, ("r" + i).getBytes(StandardCharsets.UTF_8), Duration.ofSeconds(3))
                    .orTimeout(10, TimeUnit.SECONDS).join();
            assertThat(reply.text()).isEqualTo("r" + i);
        }
        assertThat(routedOnServer.get()).isEqualTo(6);
        assertThat(routedOnClient.get()).as("replies routed to the client's router").isZero();
        assertThat(conn.pendingRequests()).isZero();
    }

    @Test
    void serverRequestsAcrossTheSequenceWrapGetTheirReplies() {
        connect();
        await().atMost(Duration.ofSeconds(10)).until(() -> server.connections().count() == 1);
        ChannelConnection conn = (ChannelConnection) server.connections().all().iterator().next();
        conn.startSequenceAfter(0xFFFFFFF8);
        // 0xFFFFFFFA, 0xFFFFFFFC, 0xFFFFFFFE, (0 skipped) 2, 4, 6
        for (int i = 0; i < 6; i++) {
            Message reply = conn.request(new Message(ECHO, ("s" + i).getBytes(StandardCharsets.UTF_8)), Duration.ofSeconds(3))
                    .orTimeout(10, TimeUnit.SECONDS).join();
            assertThat(reply.text()).isEqualTo("s" + i);
            assertThat(reply.seq()).isNotZero();
        }
        assertThat(routedOnClient.get()).isEqualTo(6);
        assertThat(routedOnServer.get()).as("replies routed to the server's router").isZero();
    }
}
