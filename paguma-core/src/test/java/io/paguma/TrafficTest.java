package io.paguma;

import io.paguma.testing.Servers;
import io.paguma.testing.Wire;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Traffic counters (T7) add up exactly to what was sent, per connection and per endpoint. */
class TrafficTest {

    @ParameterizedTest
    @EnumSource(Wire.class)
    void countersMatchWhatWasSentExactly(Wire wire) {
        long seed = System.nanoTime();
        Random random = new Random(seed);
        Codec codec = Codecs.byName("paguma");
        Server server = Server.builder().config(wire.server(Servers.config()).codec("paguma").maxPacketSize(65536).build())
                .route(1, r -> r.reply(1, r.data()))
                .route(2, r -> { })
                .build().start();
        List<Client> clients = new ArrayList<>();
        try {
            long totalBytes = 0;
            long totalMessages = 0;
            for (int k = 0; k < 2; k++) {
                Client client = Client.builder().config(wire.client(PagumaConfig.builder(), server)
                        .codec("paguma").maxPacketSize(65536).build()).build();
                clients.add(client);
                Connection c = client.connect().orTimeout(10, TimeUnit.SECONDS).join();
                long requestBytes = 0;
                long replyBytes = 0;
                long oneWayBytes = 0;
                int requests = 200 + random.nextInt(200);
                int oneWay = 100 + random.nextInt(100);
                List<CompletableFuture<?>> futures = new ArrayList<>();
                for (int i = 0; i < requests; i++) {
                    Message m = new Message(1, new byte[random.nextInt(3000)]);
                    // A request carries its time limit (4 bytes); the echoed reply does not.
                    requestBytes += codec.frameLength(m.withTimeout(1));
                    replyBytes += codec.frameLength(m);
                    futures.add(c.request(m));
                }
                for (int i = 0; i < oneWay; i++) {
                    Message m = new Message(2, new byte[random.nextInt(100)]);
                    oneWayBytes += codec.frameLength(m);
                    futures.add(c.send(m));
                }
                CompletableFuture.allOf(futures.toArray(new CompletableFuture[0])).orTimeout(20, TimeUnit.SECONDS).join();
                long sentBytes = requestBytes + oneWayBytes;
                int sentMessages = requests + oneWay;
                String why = "seed " + seed;
                // Replies are the requests' frames sent back (same id, seq and payload).
                long rb = replyBytes;
                await().atMost(java.time.Duration.ofSeconds(10)).untilAsserted(() ->
                        assertThat(c.traffic()).as(why).isEqualTo(new Traffic(rb, sentBytes, requests, sentMessages)));
                Connection onServer = server.connections().all().stream()
                        .filter(s -> s.remoteAddress().equals(c.localAddress())).findFirst().orElseThrow();
                await().atMost(java.time.Duration.ofSeconds(10)).untilAsserted(() ->
                        assertThat(onServer.traffic()).as(why).isEqualTo(new Traffic(sentBytes, rb, sentMessages, requests)));
                assertThat(client.traffic()).as(why).isEqualTo(c.traffic());
                totalBytes += sentBytes + replyBytes;
                totalMessages += sentMessages + requests;
            }
            // The server's totals include connections that have closed.
            clients.get(0).close().orTimeout(10, TimeUnit.SECONDS).join();
            await().atMost(java.time.Duration.ofSeconds(10)).until(() -> server.connections().count() == 1);
            Traffic t = server.traffic();
            assertThat(t.bytesIn() + t.bytesOut()).as("seed " + seed).isEqualTo(totalBytes);
            assertThat(t.messagesIn() + t.messagesOut()).as("seed " + seed).isEqualTo(totalMessages);
        } finally {
            for (Client c : clients) c.close().orTimeout(10, TimeUnit.SECONDS).join();
            server.stop();
        }
    }
}
