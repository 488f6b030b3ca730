package io.paguma.hostile;

import io.paguma.Message;
import io.paguma.testing.LogCapture;
import io.paguma.testing.Peer;
import io.paguma.testing.Wire;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static io.paguma.hostile.Hostile.MAX;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Hostile lengths (issue 16, item 1): every codec's length field at 0, maxPacketSize,
 * maxPacketSize + 1, 2^31 and 2^32 - 1, over TCP and WebSocket. 0 and maxPacketSize are frames
 * like any other (except tron, which refuses empty packets, as TRON does); the others close only
 * the offending connection, from the header alone: the body is never sent, so the close cannot
 * have waited for it. Then the fields of their own that paguma and tron-v2 have in their headers.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class HostileLengthTest {
    static final long[] LENGTHS = {0, MAX, MAX + 1, 1L << 31, (1L << 32) - 1};

    static Stream<Arguments> lengths() {
        List<Arguments> out = new ArrayList<>();
        for (String codec : Hostile.CODECS) {
            for (Wire wire : Wire.values()) {
                for (long length : LENGTHS) out.add(Arguments.of(codec, wire, length));
            }
        }
        return out.stream();
    }

    /** The codec's header for a payload of {@code length} bytes (unsigned 32 bits) and message id {@code id}. */
    static byte[] header(String codec, long length, int id) {
        int len = (int) length;
        ByteBuffer b = ByteBuffer.allocate(16);
        switch (codec) {
            case "ltv-le" -> b.order(ByteOrder.LITTLE_ENDIAN).putInt(len).putInt(id);
            case "tlv-be" -> b.putInt(id).putInt(len);
            case "length-prefix", "length-field" -> b.putInt(len);
            case "paguma" -> b.putInt(len).put((byte) 0xb7).put((byte) 0).putShort((short) 0).putInt(id).putInt(0);
            case "tron" -> b.putInt(-1).put((byte) id).putInt(len);
            case "tron-v2" -> b.putInt(8 + len).putInt(-1).putInt(len);
            default -> throw new IllegalArgumentException(codec);
        }
        byte[] out = new byte[b.position()];
        b.flip().get(out);
        return out;
    }

    /** What follows the payload: tron's CR LF. */
    static byte[] trailer(String codec) {
        return codec.equals("tron") ? new byte[] {'\r', '\n'} : new byte[0];
    }

    static byte[] payload(long length) {
        byte[] data = new byte[(int) length];
        for (int i = 0; i < data.length; i++) data[i] = (byte) (i * 31 + 7);
        return data;
    }

    @ParameterizedTest(name = "{0} over {1}: length {2}")
    @MethodSource("lengths")
    void aLengthIsTakenOrRefusedFromTheHeaderAlone(String codec, Wire wire, long length) throws Exception {
        boolean valid = length <= MAX && !(codec.equals("tron") && length == 0);
        String name = "length/" + codec + "/" + wire + "/" + Long.toUnsignedString(length);
        int echo = Hostile.echoId(codec);
        try (Hostile.Target target = new Hostile.Target(codec, wire);
             LogCapture logs = LogCapture.start();
             Bystander bystander = target.bystander();
             Peer offender = target.connect()) {
            int port = Hostile.localPort(offender);
            long id = target.connectionId(port);
            byte[] header = header(codec, length, echo);
            Hostile.underAttack(name, target, bystander, () -> {
                if (valid) {
                    byte[] data = payload(length);
                    offender.sendRaw(Hostile.concat(header, data, trailer(codec)));
                    Message reply = offender.read();
                    assertThat(reply.id()).isEqualTo(echo);
                    assertThat(reply.data()).isEqualTo(data);
                } else {
                    offender.sendRaw(header);
                    assertThat(offender.closedByPeer()).as(name + ": closed after the header alone").isTrue();
                }
            });
            if (valid) {
                offender.send(echo, "still open");
                assertThat(offender.read().text()).isEqualTo("still open");
                assertThat(target.eventsOf(port)).isEmpty();
                assertThat(logs.at("WARN", "127.0.0.1:" + port)).isEmpty();
            } else {
                String reason = length == 0
                        ? "has no data: TRON refuses empty packets"
                        : "frame of " + length + " bytes exceeds maxPacketSize " + MAX;
                assertThat(Hostile.oneWarnLine(logs, port, id)).contains("closed: ").contains(reason);
                assertThat(target.eventsOf(port)).singleElement().satisfies(e -> {
                    assertThat(e.kind()).isEqualTo("frameRejected");
                    assertThat(e.connectionId()).isEqualTo(id);
                    assertThat(e.detail()).contains(reason);
                });
            }
            Hostile.noWarnLine(logs, Hostile.localPort(bystander.peer()));
            assertThat(target.eventsOf(Hostile.localPort(bystander.peer()))).isEmpty();
        }
    }

    static Stream<Arguments> ownFields() {
        List<Arguments> out = new ArrayList<>();
        for (Wire wire : Wire.values()) {
            // paguma: a request's time limit makes the header 20 bytes; the largest payload still fits.
            out.add(Arguments.of("paguma-timeout-max", wire, "paguma",
                    Hostile.concat(ByteBuffer.allocate(20).putInt(MAX).put((byte) 0xb7).put((byte) 1).putShort((short) 0)
                            .putInt(1).putInt(1).putInt(10_000).array(), payload(MAX)), null));
            out.add(Arguments.of("paguma-unknown-flags", wire, "paguma",
                    ByteBuffer.allocate(16).putInt(1).put((byte) 0xb7).put((byte) 0x80).putShort((short) 0).putInt(1).putInt(0)
                            .array(), "paguma frame with unknown flags 0x80"));
            out.add(Arguments.of("paguma-0.1-frame", wire, "paguma",
                    ByteBuffer.allocate(12).putInt(1).putInt(1).putInt(0).array(), "not a paguma 0.2 frame: byte 4 is 0x00"));
            // paguma: the length is checked as soon as the header is whole, whatever the flags.
            out.add(Arguments.of("paguma-2^32-1-request", wire, "paguma",
                    ByteBuffer.allocate(16).putInt(-1).put((byte) 0xb7).put((byte) 1).putShort((short) 0).putInt(1).putInt(1)
                            .array(), "frame of 4294967295 bytes exceeds maxPacketSize"));
            // tron-v2: packLen must be 8 + dataLen; a packLen of 2^31 - 1 over a valid dataLen is refused.
            out.add(Arguments.of("tron-v2-packLen-2^31-1", wire, "tron-v2",
                    ByteBuffer.allocate(12).putInt(Integer.MAX_VALUE).putInt(-1).putInt(1).array(),
                    "says packLen 2147483647 but dataLen 1"));
            out.add(Arguments.of("tron-v2-packLen-0", wire, "tron-v2",
                    ByteBuffer.allocate(12).putInt(0).putInt(-1).putInt(0).array(), "says packLen 0 but dataLen 0"));
            // tron-v2: an empty message is a message (unlike tron v0.1).
            out.add(Arguments.of("tron-v2-empty", wire, "tron-v2",
                    ByteBuffer.allocate(12).putInt(8).putInt(-1).putInt(0).array(), null));
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{0} over {1}")
    @MethodSource("ownFields")
    void theOtherHeaderFieldsOfPagumaAndTronV2(String caseName, Wire wire, String codec, byte[] frame, String refusal)
            throws Exception {
        String name = "header/" + caseName + "/" + wire;
        try (Hostile.Target target = new Hostile.Target(codec, wire);
             LogCapture logs = LogCapture.start();
             Bystander bystander = target.bystander();
             Peer offender = target.connect()) {
            int port = Hostile.localPort(offender);
            long id = target.connectionId(port);
            Hostile.underAttack(name, target, bystander, () -> {
                offender.sendRaw(frame);
                if (caseName.endsWith("-request")) {
                    // A paguma request over the limit is answered with status 5 (too large) first, so its sender learns why.
                    Message error = offender.read();
                    assertThat(error.status()).isEqualTo(io.paguma.RemoteException.TOO_LARGE);
                    assertThat(error.seq()).isEqualTo(1);
                }
                if (refusal == null) {
                    Message reply = offender.read();
                    assertThat(reply.length()).isEqualTo(frame.length - (codec.equals("paguma") ? 20 : 12));
                } else {
                    assertThat(offender.closedByPeer()).as(name + ": closed").isTrue();
                }
            });
            if (refusal == null) {
                assertThat(target.eventsOf(port)).isEmpty();
                assertThat(logs.at("WARN", "127.0.0.1:" + port)).isEmpty();
            } else {
                assertThat(Hostile.oneWarnLine(logs, port, id)).contains("closed: ").contains(refusal);
                assertThat(target.eventsOf(port)).singleElement().satisfies(e -> {
                    assertThat(e.kind()).isEqualTo("frameRejected");
                    assertThat(e.detail()).contains(refusal);
                });
            }
            Hostile.noWarnLine(logs, Hostile.localPort(bystander.peer()));
        }
    }
}
