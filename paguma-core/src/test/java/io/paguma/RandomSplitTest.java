package io.paguma;

import io.paguma.testing.FrameSocket;
import io.paguma.testing.Servers;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/** Messages written to a real socket in random pieces, split and coalesced across TCP reads, come back whole and in order. */
class RandomSplitTest {

    @ParameterizedTest
    @ValueSource(strings = {"ltv-le", "tlv-be", "length-prefix", "paguma", "tron", "tron-v2", "length-field"})
    void messagesSplitAndCoalescedAcrossReadsDecodeToTheSameMessages(String codecName) throws Exception {
        Codec codec = Codecs.byName(codecName);
        Server server = Server.builder()
                .config(Servers.config().codec(codecName).build())
                .onUnknownMessage(r -> r.reply(r.id(), r.data()))
                .build().start();
        long base = new Random().nextLong();
        try {
            for (int round = 0; round < 25; round++) {
                long seed = base + round;
                Random rnd = new Random(seed);
                // Plain messages and requests (an error status would be a reply, which a server never routes).
                List<Message> sent = new ArrayList<>();
                for (Message m : CodecTest.randomMessages(rnd, codec, 1 + rnd.nextInt(80))) {
                    sent.add(new Message(m.id(), m.seq(), 0, m.timeoutMillis(), m.data()));
                }
                try (FrameSocket s = FrameSocket.connect(server.port(), codec)) {
                    ByteArrayOutputStream stream = new ByteArrayOutputStream();
                    for (Message m : sent) stream.write(s.encode(m));
                    byte[] bytes = stream.toByteArray();
                    int pos = 0;
                    while (pos < bytes.length) {
                        int n = Math.min(bytes.length - pos, 1 + rnd.nextInt(rnd.nextBoolean() ? 6 : 3000));
                        s.sendRaw(bytes, pos, n);
                        pos += n;
                    }
                    List<Message> received = new ArrayList<>();
                    for (int i = 0; i < sent.size(); i++) received.add(s.read());
                    // The echo sends back id, seq and payload (a status or time limit is the sender's, not echoed).
                    List<Message> expected = new ArrayList<>();
                    for (Message m : sent) expected.add(new Message(m.id(), m.seq(), m.data()));
                    assertThat(received).as("codec %s, seed %d", codecName, seed).isEqualTo(expected);
                }
            }
        } finally {
            server.stop();
        }
    }
}
