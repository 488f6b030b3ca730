package io.paguma;

import io.paguma.testing.Servers;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.util.concurrent.CountDownLatch;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;

/** A peer cut off for not reading (maxPendingWriteBytes) can tell the cut from a complete stream. */
class SlowPeerCutTest {

    @Test
    void aSlowReaderCutOffAtTheLimitSeesAResetNotACleanEnd() throws Exception {
        byte[] chunk = new byte[16 * 1024];
        CountDownLatch stopped = new CountDownLatch(1);
        Server server = Server.builder()
                .config(Servers.config().writeBufferLowWaterMark(8 * 1024).writeBufferHighWaterMark(16 * 1024)
                        .maxPendingWriteBytes(256 * 1024).build())
                .route(2, r -> {
                    for (int i = 0; i < 4000; i++) r.connection().send(3, chunk);
                })
                .onConnStop(c -> stopped.countDown())
                .build().start();
        try (Socket slow = new Socket()) {
            slow.setReceiveBufferSize(4096);
            slow.setSoTimeout(10_000);
            slow.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), server.port()));
            slow.getOutputStream().write(new byte[] {0, 0, 0, 0, 2, 0, 0, 0});
            // The server gives up on us while we are not reading.
            assertThat(stopped.await(20, SECONDS)).isTrue();
            // Now read slowly: what arrived is readable, but the end must not look like a complete stream.
            InputStream in = slow.getInputStream();
            byte[] buf = new byte[1024];
            long total = 0;
            IOException end = null;
            for (int i = 0; i < 1_000_000; i++) {
                int n;
                try {
                    n = in.read(buf);
                } catch (IOException e) {
                    end = e;
                    break;
                }
                if (n < 0) break;
                total += n;
            }
            assertThat(end).as("after %d bytes the stream ended with a clean FIN (%s); a cut-off peer must see a reset",
                    total, total % (8 + chunk.length) == 0 ? "at a frame boundary" : "mid-frame").isNotNull();
            assertThat(end).isInstanceOf(SocketException.class);
            assertThat(end.getMessage()).containsIgnoringCase("reset");
        } finally {
            server.stop();
        }
    }
}
