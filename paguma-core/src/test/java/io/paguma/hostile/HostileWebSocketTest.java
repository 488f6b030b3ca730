package io.paguma.hostile;

import io.paguma.testing.LogCapture;
import io.paguma.testing.RawWs;
import io.paguma.testing.Wire;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What only a WebSocket peer can send (issue 16, item 1), beyond what {@code WebSocketTest} covers
 * (a silent peer, a whole oversized message, a text frame alone, a message ending inside a frame,
 * too many fragments, malformed upgrades): an upgrade request begun and never finished; a frame
 * whose header announces more than the limit and whose body never comes (refused from the header,
 * 1009) or a length no frame can have; an unmasked client frame, reserved bits, an oversized
 * control frame (1002, RFC 6455 5.1, 5.2, 5.5); a frame before the 101; and a text frame, with the
 * log line, the event, a bystander's echoes and the allocator checked for each.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class HostileWebSocketTest {
    private static final int HANDSHAKE_TIMEOUT_MS = 300;

    /** A client frame's header with a 64-bit length and a mask, and no body. */
    static byte[] header64(int first, long length, boolean masked) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(first);
        out.write((masked ? 0x80 : 0) | 127);
        for (int i = 7; i >= 0; i--) out.write((int) (length >>> (8 * i)));
        if (masked) out.writeBytes(new byte[] {1, 2, 3, 4});
        return out.toByteArray();
    }

    /** An unmasked binary frame carrying an ltv-le echo. */
    static byte[] unmasked() {
        byte[] body = RawWs.ltv(1, "no mask".getBytes(StandardCharsets.US_ASCII));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(0x80 | RawWs.BINARY);
        out.write(body.length);
        out.writeBytes(body);
        return out.toByteArray();
    }

    /** A masked frame with the given first byte (FIN, RSV bits, opcode). */
    static byte[] frame(int first, byte[] payload) {
        byte[] f = RawWs.frame(first & 0x0f, payload, (first & 0x80) != 0);
        f[0] = (byte) first;
        return f;
    }

    /**
     * Cases: name, what the peer sends after the upgrade (null: sends {@code before} instead of a
     * whole upgrade), what it sends instead of an upgrade, the close code expected (0: none), the
     * event expected and what its reason contains.
     */
    static Stream<Arguments> cases() {
        return Stream.of(
                Arguments.of("frame-before-101", null, RawWs.UPGRADE + new String(RawWs.frame(RawWs.BINARY,
                        RawWs.ltv(1, "too early".getBytes(StandardCharsets.US_ASCII))), StandardCharsets.ISO_8859_1),
                        0, "refused", "data before its WebSocket upgrade was done"),
                Arguments.of("frame-header-2^31-no-body", header64(0x80 | RawWs.BINARY, 1L << 31, true), null,
                        1009, "frameRejected", "WebSocket: "),
                Arguments.of("frame-header-2^64-1-no-body", header64(0x80 | RawWs.BINARY, -1L, true), null,
                        1002, "frameRejected", "WebSocket: "),
                Arguments.of("unmasked-client-frame", unmasked(), null, 1002, "frameRejected", "WebSocket: "),
                Arguments.of("reserved-bits", frame(0x80 | 0x40 | RawWs.BINARY, RawWs.ltv(1, new byte[3])), null,
                        1002, "frameRejected", "WebSocket: "),
                Arguments.of("ping-of-126-bytes", frame(0x80 | 0x9, new byte[126]), null, 1002, "frameRejected", "WebSocket: "),
                Arguments.of("text-frame", frame(0x80 | 0x1, "{\"id\":1}".getBytes(StandardCharsets.US_ASCII)), null,
                        0, "frameRejected", "text frame"));
    }

    /**
     * An upgrade request begun and never finished: closed at wsHandshakeTimeout, one refusal. Fails:
     * when the timeout closes the channel, the HTTP decoder hands the partial request on as a
     * malformed one (its decodeLast at channelInactive), and the upgrade check refuses the connection
     * a second time ("WebSocket upgrade: a malformed HTTP request"): two refused events, refused()
     * counts 2, and a second (rate-limited, so summarised later) WARN line for one connection.
     */
    @Test
    void anUpgradeBegunAndNeverFinishedIsClosedOnceAtTheHandshakeTimeout() throws Exception {
        aWebSocketPeerThatBreaksTheRulesIsClosedAlone("upgrade-never-finished", null,
                "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n",
                0, "refused", "no WebSocket upgrade within " + HANDSHAKE_TIMEOUT_MS + " ms (wsHandshakeTimeout)");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void aWebSocketPeerThatBreaksTheRulesIsClosedAlone(String caseName, byte[] afterUpgrade, String instead, int closeCode,
                                                     String event, String reason) throws Exception {
        String name = "websocket/" + caseName;
        try (Hostile.Target target = new Hostile.Target("ltv-le", Wire.WEBSOCKET,
                b -> b.wsHandshakeTimeout(Duration.ofMillis(HANDSHAKE_TIMEOUT_MS)));
             LogCapture logs = LogCapture.start();
             Bystander bystander = target.bystander();
             Socket offender = RawWs.send(target.port(), instead != null ? instead : RawWs.UPGRADE)) {
            int port = offender.getLocalPort();
            InputStream in = offender.getInputStream();
            byte[][] rest = new byte[1][];
            Hostile.underAttack(name, target, bystander, () -> {
                if (afterUpgrade != null) {
                    assertThat(RawWs.readHead(in)).startsWith("HTTP/1.1 101");
                    offender.getOutputStream().write(afterUpgrade);
                    offender.getOutputStream().flush();
                }
                rest[0] = readToEnd(in);
            });
            if (closeCode != 0) {
                assertThat(rest[0]).as(name + ": the server's Close frame").hasSizeGreaterThanOrEqualTo(4);
                assertThat(rest[0][0] & 0xff).isEqualTo(0x88);
                assertThat(((rest[0][2] & 0xff) << 8) | (rest[0][3] & 0xff)).as(name + ": close code").isEqualTo(closeCode);
            }
            boolean opened = event.equals("frameRejected");
            long id = opened ? target.connectionId(port) : -1;
            String line = Hostile.oneWarnLine(logs, port, id);
            assertThat(line).contains(reason);
            assertThat(target.eventsOf(port)).singleElement().satisfies(e -> {
                assertThat(e.kind()).isEqualTo(event);
                assertThat(e.detail()).contains(reason);
            });
            if (event.equals("refused")) assertThat(target.server.stats().refused()).as("refusals counted; events %s", target.events).isEqualTo(1);
            Hostile.noWarnLine(logs, Hostile.localPort(bystander.peer()));
        }
    }

    /** What the server sends after the upgrade until it closes the connection (a reset counts as the end too). */
    private static byte[] readToEnd(InputStream in) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] chunk = new byte[4096];
        try {
            for (int n; (n = in.read(chunk)) >= 0; ) out.write(chunk, 0, n);
        } catch (java.net.SocketException reset) {
            // closed: what came before is in out
        }
        return out.toByteArray();
    }

    /**
     * A fragmented message whose last fragment never comes: the peer sends a first fragment (FIN
     * bit clear), then ends its side. Like a partial frame before a FIN on TCP, it can never
     * complete: the connection is closed with one plain WARN line naming it (as TCP's
     * "closed by the peer with N bytes of an incomplete frame"). Was a defect, found by
     * WebSocketFuzzTest: Netty's WebSocketFrameAggregator throws PrematureChannelClosureException
     * when the input ends, and ConnectionHandler.exceptionCaught logged it as "unexpected error"
     * with a stack trace.
     */
    @Test
    void aFragmentedMessageCutShortByTheFinIsOneLineNotAnUnexpectedError() throws Exception {
        try (Hostile.Target target = new Hostile.Target("ltv-le", Wire.WEBSOCKET);
             LogCapture logs = LogCapture.start();
             Bystander bystander = target.bystander();
             Socket offender = RawWs.send(target.port(), RawWs.UPGRADE)) {
            int port = offender.getLocalPort();
            InputStream in = offender.getInputStream();
            Hostile.underAttack("websocket/fragment-then-fin", target, bystander, () -> {
                assertThat(RawWs.readHead(in)).startsWith("HTTP/1.1 101");
                byte[] message = RawWs.ltv(1, new byte[100]);
                offender.getOutputStream().write(RawWs.frame(RawWs.BINARY, java.util.Arrays.copyOf(message, 50), false));
                offender.shutdownOutput();
                readToEnd(in);
            });
            long id = target.connectionId(port);
            assertThat(Hostile.oneWarnLine(logs, port, id)).doesNotContain("unexpected error");
            assertThat(logs.traces("PrematureChannelClosureException")).isEmpty();
            Hostile.noWarnLine(logs, Hostile.localPort(bystander.peer()));
        }
    }
}
