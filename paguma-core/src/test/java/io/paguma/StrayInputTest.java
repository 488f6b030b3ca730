package io.paguma;

import io.paguma.testing.FrameSocket;
import io.paguma.testing.Servers;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Abuse of the sequence-id formats: stray replies, broken delimiters. Only the offender is affected. */
class StrayInputTest {

    @Test
    void aFloodOfRepliesNobodyWaitsForIsDroppedAndTheConnectionCarriesOn() throws Exception {
        AtomicInteger routed = new AtomicInteger();
        Server server = Server.builder().config(Servers.config().codec("paguma").build())
                // The server asks each client something, so even sequence ids are its replies from then on.
                .onConnStart(c -> c.request(9, "who are you?"))
                .route(1, r -> {
                    routed.incrementAndGet();
                    r.reply(1, r.data());
                })
                .build().start();
        try (FrameSocket peer = FrameSocket.connect(server.port(), Codecs.PAGUMA)) {
            Message question = peer.read();
            assertThat(question.id()).isEqualTo(9);
            ByteArrayOutputStream flood = new ByteArrayOutputStream();
            // Even sequence ids are the server's: each looks like a reply to a request it never made.
            for (int i = 1; i <= 10_000; i++) flood.write(peer.encode(new Message(1, question.seq() + i * 2, new byte[8])));
            peer.sendRaw(flood.toByteArray());
            peer.sendRaw(peer.encode(new Message(1, 1, "real".getBytes())));
            Message reply = peer.read();
            assertThat(reply.text()).isEqualTo("real");
            assertThat(reply.seq()).isEqualTo(1);
            assertThat(routed).hasValue(1);
            assertThat(server.connections().count()).isEqualTo(1);
            await().atMost(java.time.Duration.ofSeconds(5)).until(() -> server.traffic().messagesIn() == 10_001);
        } finally {
            server.stop();
        }
    }

    @Test
    void aTronFrameWithABrokenDelimiterClosesOnlyItsConnection() throws Exception {
        Server server = Server.builder().config(Servers.config().codec("tron").build())
                .route(1, r -> r.reply(1, r.data()))
                .build().start();
        try (FrameSocket good = FrameSocket.connect(server.port(), Codecs.TRON);
             FrameSocket bad = FrameSocket.connect(server.port(), Codecs.TRON)) {
            byte[] frame = bad.encode(new Message(1, 0, "x".getBytes()));
            frame[frame.length - 1] = 'X';
            bad.sendRaw(frame);
            assertThat(bad.closedByPeer()).isTrue();
            good.send(1, "still here");
            assertThat(good.read().text()).isEqualTo("still here");
        } finally {
            server.stop();
        }
    }
}
