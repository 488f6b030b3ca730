package io.paguma;

import io.paguma.testing.FrameSocket;
import io.paguma.testing.LogCapture;
import io.paguma.testing.RawWs;
import io.paguma.testing.Servers;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.ByteArrayOutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * No payload bytes in logs (issue 16 item 6): every path that logs about a peer's input — an
 * unknown id, an oversized or malformed frame of each codec, a truncated frame, a WebSocket text
 * frame, data before the upgrade, an unmatched error reply, a refused login — is taken with a
 * payload that carries a marker, and no line at any level shows it; each path did log a line.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class LogHygieneTest {
    private static final String MARKER = "SECRET-PAYLOAD-7f3a";
    private static final byte[] SECRET = (MARKER + MARKER).getBytes(StandardCharsets.US_ASCII);
    private static final Duration WAIT = Duration.ofSeconds(10);

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) out.writeBytes(p);
        return out.toByteArray();
    }

    private static byte[] le32(int v) {
        return new byte[]{(byte) v, (byte) (v >>> 8), (byte) (v >>> 16), (byte) (v >>> 24)};
    }

    private static byte[] be32(int v) {
        return new byte[]{(byte) (v >>> 24), (byte) (v >>> 16), (byte) (v >>> 8), (byte) v};
    }

    /** Sends {@code bytes} on a fresh socket to {@code port} ({@code close}: then FIN), and reads until the server ends it. */
    private static void attack(int port, byte[] bytes, boolean close) throws Exception {
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout(10_000);
            s.getOutputStream().write(bytes);
            if (close) s.shutdownOutput();
            try {
                s.getInputStream().readAllBytes();
            } catch (java.net.SocketException reset) {
                // closed with a reset: fine here
            }
        }
    }

    @Test
    void noLineShowsWhatThePeerSent() throws Exception {
        AtomicInteger authFailures = new AtomicInteger();
        try (LogCapture logs = LogCapture.start()) {
            // ltv-le: an unknown id; an oversized frame (its first bytes sent); a truncated frame then FIN.
            Server ltv = Server.builder().config(Servers.config().name("ltv").maxPacketSize(4096).warnInterval(Duration.ZERO)
                    .mode(PagumaConfig.Mode.BOTH).wsPort(0).build()).route(1, r -> r.reply(1, r.data())).build().start();
            try (FrameSocket s = FrameSocket.connect(ltv.port())) {
                s.send(77, SECRET);
                s.send(1, "ok");
                assertThat(s.read().text()).isEqualTo("ok");
            }
            attack(ltv.port(), concat(le32(100_000), le32(1), SECRET), false);
            attack(ltv.port(), concat(le32(SECRET.length + 10), le32(1), SECRET), true);
            // WebSocket: a text frame; data before the upgrade is done.
            try (Socket ws = RawWs.send(ltv.wsPort(), RawWs.UPGRADE)) {
                RawWs.readHead(ws.getInputStream());
                ws.getOutputStream().write(RawWs.frame(1, SECRET));
                ws.getInputStream().readAllBytes();
            }
            // Bytes sent with the upgrade request, before the 101.
            attack(ltv.wsPort(), concat(RawWs.UPGRADE.getBytes(StandardCharsets.US_ASCII), RawWs.frame(RawWs.BINARY, SECRET)), false);
            ltv.stop();

            // tron: a wrong delimiter. paguma: an unmatched error reply, unknown flags. length-field with a prefix.
            Server tron = Server.builder().config(Servers.config().name("tron").codec("tron").warnInterval(Duration.ZERO).build())
                    .route(1, r -> r.reply(1, r.data())).build().start();
            attack(tron.port(), concat(be32(5), new byte[]{1}, be32(SECRET.length), SECRET, new byte[]{'X', 'Y'}), false);
            tron.stop();
            Server paguma = Server.builder().config(Servers.config().name("paguma").codec("paguma").warnInterval(Duration.ZERO)
                            .authTimeout(Duration.ofSeconds(5)).build())
                    .authenticator(first -> {
                        boolean ok = first.id() == 2;
                        if (!ok) authFailures.incrementAndGet();
                        return ok;
                    })
                    .route(2, r -> r.reply(2, r.data())).build().start();
            // [len][B7][flags][status u16][id][seq][data]: an error reply (status 9) matching no request, after a login.
            byte[] login = concat(be32(2), new byte[]{(byte) 0xB7, 0, 0, 0}, be32(2), be32(0), "hi".getBytes());
            byte[] error = concat(be32(SECRET.length), new byte[]{(byte) 0xB7, 0, 0, 9}, be32(2), be32(40), SECRET);
            byte[] badFlags = concat(be32(SECRET.length), new byte[]{(byte) 0xB7, (byte) 0x80, 0, 0}, be32(2), be32(0), SECRET);
            attack(paguma.port(), concat(login, error, badFlags), false);
            byte[] badLogin = concat(be32(SECRET.length), new byte[]{(byte) 0xB7, 0, 0, 0}, be32(3), be32(0), SECRET);
            attack(paguma.port(), badLogin, false);
            paguma.stop();
            Server prefixed = Server.builder().config(Servers.config().name("prefixed").codec("length-field").warnInterval(Duration.ZERO)
                    .set(LengthFieldConfig.SECTION, LengthFieldConfig.PREFIX, "aa55")
                    .set(LengthFieldConfig.SECTION, LengthFieldConfig.LENGTH_OFFSET, 2).build()).route(0, r -> { }).build().start();
            attack(prefixed.port(), SECRET, false);
            prefixed.stop();

            assertThat(authFailures.get()).isEqualTo(1);
            await().atMost(WAIT).untilAsserted(() -> assertThat(logs.at("WARN")).hasSizeGreaterThanOrEqualTo(9));
            assertThat(logs.lines(MARKER)).as("lines showing the payload").isEmpty();
            assertThat(logs.lines(toHex(SECRET).substring(0, 16))).as("lines showing the payload in hex").isEmpty();
            System.out.println("LOG-HYGIENE " + logs.at("WARN").size() + " WARN lines about hostile input, none with payload bytes");
        }
    }

    private static String toHex(byte[] b) {
        StringBuilder sb = new StringBuilder();
        for (byte x : b) sb.append(String.format("%02x", x));
        return sb.toString();
    }
}
