package io.paguma.hostile;

import io.netty.buffer.ByteBufUtil;
import io.paguma.testing.LogCapture;
import io.paguma.testing.RawWs;
import io.paguma.testing.Wire;
import io.paguma.testing.WsFrameSocket;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Fuzzing the WebSocket frame path (issue 16, item 5) over real sockets: after a proper upgrade,
 * each connection sends a seeded mutation of valid client frames (binary messages of ltv-le
 * frames, fragmented or not, pings, a text frame), then ends its side. The server must end every
 * such connection (answering what was valid), never hit an error it does not expect (a WARN line
 * "unexpected error" or a stack trace), leak no buffer, and serve a new client afterwards.
 *
 * <p>Not part of the normal build: the profile {@code fuzz} runs it; {@code -Dfuzz.wsIterations=N}
 * (default: fuzz.iterations / 100, at least 200) sets the number of connections.
 */
class WebSocketFuzzTest {

    static byte[] validFrames(Random rnd) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int n = 1 + rnd.nextInt(3);
        for (int i = 0; i < n; i++) {
            byte[] data = new byte[rnd.nextInt(8) == 0 ? 200 + rnd.nextInt(1000) : rnd.nextInt(20)];
            rnd.nextBytes(data);
            byte[] message = RawWs.ltv(rnd.nextInt(4) == 0 ? 2 : 1, data);
            switch (rnd.nextInt(6)) {
                case 0 -> {
                    int cut = message.length / 2;
                    out.writeBytes(RawWs.frame(RawWs.BINARY, java.util.Arrays.copyOf(message, cut), false));
                    out.writeBytes(RawWs.frame(RawWs.CONTINUATION, java.util.Arrays.copyOfRange(message, cut, message.length), true));
                }
                case 1 -> out.writeBytes(RawWs.frame(0x9, "ping".getBytes(StandardCharsets.US_ASCII)));
                case 2 -> out.writeBytes(RawWs.frame(0x1, "{\"text\":1}".getBytes(StandardCharsets.US_ASCII)));
                default -> out.writeBytes(RawWs.frame(RawWs.BINARY, message));
            }
        }
        return out.toByteArray();
    }

    @Test
    void mutatedWebSocketFramesNeverBreakTheServer() throws Exception {
        int iterations = Integer.getInteger("fuzz.wsIterations", Math.max(200, Fuzz.iterations() / 100));
        long base = Fuzz.baseSeed();
        long t0 = System.nanoTime();
        try (Hostile.Target target = new Hostile.Target("ltv-le", Wire.WEBSOCKET);
             LogCapture logs = LogCapture.start()) {
            for (long i = 0; i < iterations; i++) {
                long seed = Fuzz.seed(base, i);
                Random rnd = new Random(seed);
                byte[] valid = validFrames(rnd);
                byte[] input = rnd.nextInt(10) == 0 ? valid : Fuzz.mutate(valid, rnd);
                String about = "iteration " + i + " seed " + seed + " (run -Dfuzz.seed=" + base + "), frames "
                        + ByteBufUtil.hexDump(input, 0, Math.min(input.length, 96));
                try (Socket s = RawWs.send(target.port(), RawWs.UPGRADE)) {
                    s.setSoTimeout(15_000);
                    InputStream in = s.getInputStream();
                    assertThat(RawWs.readHead(in)).as(about).startsWith("HTTP/1.1 101");
                    try {
                        s.getOutputStream().write(input);
                        s.shutdownOutput();
                    } catch (IOException closedMeanwhile) {
                        // the server refused what came first and closed
                    }
                    byte[] chunk = new byte[8192];
                    try {
                        while (in.read(chunk) >= 0) {
                            // the server's answers and its Close frame
                        }
                    } catch (SocketTimeoutException stuck) {
                        throw new AssertionError("the server did not end the connection within 15 s: " + about, stuck);
                    } catch (SocketException reset) {
                        // ended
                    }
                }
                // A message cut short by the FIN was an "unexpected error" with a stack trace (fixed:
                // HostileWebSocketTest.aFragmentedMessageCutShortByTheFinIsOneLineNotAnUnexpectedError).
                assertThat(logs.lines("unexpected error")).as(about).isEmpty();
                assertThat(logs.traces("Exception")).as(about).isEmpty();
            }
            try (WsFrameSocket after = WsFrameSocket.connect(target.port())) {
                after.send(1, "after the fuzz");
                assertThat(after.read().text()).isEqualTo("after the fuzz");
            }
            Hostile.soon().until(() -> target.server.connections().count() == 0);
        }
        System.out.printf("FUZZ websocket: %d connections in %d ms, seed %d%n", iterations,
                (System.nanoTime() - t0) / 1_000_000, base);
    }
}
