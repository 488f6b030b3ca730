package io.paguma.hostile;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.paguma.FrameException;
import io.paguma.Message;
import io.paguma.testing.LogCapture;
import io.paguma.testing.Peer;
import io.paguma.testing.Wire;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.EOFException;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

/**
 * Garbage (issue 16, item 1): random bytes, a valid frame for a message id nobody routes, and a
 * tron frame with a wrong delimiter, per codec, over TCP and WebSocket. (A TLS ClientHello on a
 * plaintext port is {@code TlsTest}'s.) Random bytes are seeded: {@code -Dhostile.seed=N} replays
 * a run; the seed is in every assertion message.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class HostileGarbageTest {
    static final long BASE_SEED = Long.getLong("hostile.seed", new Random().nextLong());

    static Stream<Arguments> everyCodecAndWire() {
        List<Arguments> out = new ArrayList<>();
        for (String codec : Hostile.CODECS) {
            for (Wire wire : Wire.values()) out.add(Arguments.of(codec, wire));
        }
        return out.stream();
    }

    static Stream<Arguments> codecsWithIds() {
        return everyCodecAndWire().filter(a -> Hostile.carriesId((String) a.get()[0]));
    }

    /** Reads (and drops) what the server still sends until it closes the connection; true if it did. */
    static boolean drainUntilClosed(Peer peer) throws Exception {
        for (int i = 0; i < 1000; i++) {
            if (peer.closedByPeer()) return true;
            try {
                peer.read();
            } catch (EOFException closed) {
                return true;
            }
        }
        return false;
    }

    @ParameterizedTest(name = "{0} over {1}")
    @MethodSource("everyCodecAndWire")
    void randomBytesCloseOnlyTheirConnection(String codec, Wire wire) throws Exception {
        long seed = BASE_SEED ^ (codec.hashCode() * 31L + wire.ordinal());
        String name = "garbage/" + codec + "/" + wire;
        String about = name + ", seed " + seed + " (-Dhostile.seed=" + BASE_SEED + ")";
        byte[] junk = new byte[4096];
        new Random(seed).nextBytes(junk);
        // What the codec makes of these bytes: the server must close with exactly that reason.
        String expected = null;
        ByteBuf copy = Unpooled.wrappedBuffer(junk);
        try {
            while (Hostile.codec(codec).decode(copy, Hostile.MAX) != null) {
                // frames that happen to be valid are handled like any other
            }
        } catch (FrameException e) {
            expected = e.getMessage();
        } finally {
            copy.release();
        }
        assumeThat(expected).as("%s: the random bytes happen to hold no bad frame", about).isNotNull();
        try (Hostile.Target target = new Hostile.Target(codec, wire);
             LogCapture logs = LogCapture.start();
             Bystander bystander = target.bystander();
             Peer offender = target.connect()) {
            int port = Hostile.localPort(offender);
            long id = target.connectionId(port);
            Hostile.underAttack(name, target, bystander, () -> {
                offender.sendRaw(junk);
                assertThat(drainUntilClosed(offender)).as(about + ": closed").isTrue();
            });
            String reason = expected;
            assertThat(Hostile.oneWarnLine(logs, port, id)).as(about).contains("closed: " + reason);
            assertThat(target.eventsOf(port)).as(about).filteredOn(e -> !e.kind().equals("unknownMessage"))
                    .singleElement().satisfies(e -> {
                        assertThat(e.kind()).isEqualTo("frameRejected");
                        assertThat(e.detail()).isEqualTo(reason);
                    });
            Hostile.noWarnLine(logs, Hostile.localPort(bystander.peer()));
        }
    }

    @ParameterizedTest(name = "{0} over {1}")
    @MethodSource("codecsWithIds")
    void aFrameForAnUnknownIdIsDroppedAndTheConnectionCarriesOn(String codec, Wire wire) throws Exception {
        String name = "unknown-id/" + codec + "/" + wire;
        try (Hostile.Target target = new Hostile.Target(codec, wire);
             LogCapture logs = LogCapture.start();
             Bystander bystander = target.bystander();
             Peer offender = target.connect()) {
            int port = Hostile.localPort(offender);
            long id = target.connectionId(port);
            Hostile.underAttack(name, target, bystander, () -> {
                offender.send(Hostile.UNROUTED_ID, "nobody routes this");
                // Dropped: the next reply is the echo's.
                offender.send(1, "then an echo");
                Message reply = offender.read();
                assertThat(reply.id()).isEqualTo(1);
                assertThat(reply.text()).isEqualTo("then an echo");
            });
            assertThat(Hostile.oneWarnLine(logs, port, id)).contains("no router for message id " + Hostile.UNROUTED_ID);
            assertThat(target.eventsOf(port)).singleElement().isEqualTo(
                    new Hostile.Event("unknownMessage", id, port, String.valueOf(Hostile.UNROUTED_ID)));
            assertThat(target.server.connections().count()).isEqualTo(2);
            offender.send(1, "still open");
            assertThat(offender.read().text()).isEqualTo("still open");
            Hostile.noWarnLine(logs, Hostile.localPort(bystander.peer()));
        }
    }

    @ParameterizedTest
    @EnumSource(Wire.class)
    void aTronFrameWithAWrongDelimiterIsClosed(Wire wire) throws Exception {
        String name = "tron-delimiter/" + wire;
        try (Hostile.Target target = new Hostile.Target("tron", wire);
             LogCapture logs = LogCapture.start();
             Bystander bystander = target.bystander();
             Peer offender = target.connect()) {
            int port = Hostile.localPort(offender);
            long id = target.connectionId(port);
            byte[] frame = offender.encode(new Message(1, 5, "x".getBytes()));
            frame[frame.length - 2] = '\n';
            frame[frame.length - 1] = '\r';
            Hostile.underAttack(name, target, bystander, () -> {
                offender.sendRaw(frame);
                assertThat(offender.closedByPeer()).as(name + ": closed").isTrue();
            });
            String reason = "tron frame (seq 5, category 1, 1 bytes) does not end with \\r\\n";
            assertThat(Hostile.oneWarnLine(logs, port, id)).contains("closed: " + reason);
            assertThat(target.eventsOf(port)).singleElement().isEqualTo(new Hostile.Event("frameRejected", id, port, reason));
            Hostile.noWarnLine(logs, Hostile.localPort(bystander.peer()));
        }
    }
}
