package io.paguma;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.util.ReferenceCountUtil;
import io.paguma.testing.Servers;
import org.junit.jupiter.api.Test;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;

import static java.util.concurrent.TimeUnit.MILLISECONDS;
import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;

/** A TLS close whose close_notify cannot be written (the peer stopped reading) still ends in bounded time. */
class TlsCloseTest {

    private static String pem(String name) throws Exception {
        return Path.of(TlsCloseTest.class.getResource("/tls/" + name).toURI()).toString();
    }

    /**
     * Stands in for a full socket at the moment the close begins: the replies already flushed went
     * out, but nothing written from now on (the close_notify record) ever completes, as when the
     * peer's receive window and our send buffer are both full.
     */
    private static final class StuckSocket extends ChannelOutboundHandlerAdapter {
        @Override
        public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
            if (msg instanceof ByteBuf b && !b.isReadable()) {
                ctx.write(msg, promise);
            } else {
                ReferenceCountUtil.release(msg); // never completes: the bytes cannot leave
            }
        }
    }

    @Test
    void aTlsCloseWhoseCloseNotifyCannotBeFlushedEndsWithinTheFlushDeadline() throws Exception {
        Duration grace = Duration.ofSeconds(1);
        Duration linger = Duration.ofMillis(500);
        CountDownLatch stopped = new CountDownLatch(1);
        Server server = Server.builder()
                .config(Servers.config().tls(true).tlsCert(pem("cert.pem")).tlsKey(pem("key.pem"))
                        .stopGracePeriod(grace).closeLinger(linger).build())
                .route(1, r -> {
                    r.connection().channel().pipeline().addFirst("stuck", new StuckSocket());
                    r.connection().close();
                })
                .onConnStop(c -> stopped.countDown())
                .build().start();
        SSLContext ssl = SSLContext.getInstance("TLS");
        ssl.init(null, new TrustManager[] {new X509TrustManager() {
            @Override
            public void checkClientTrusted(X509Certificate[] chain, String authType) {
            }

            @Override
            public void checkServerTrusted(X509Certificate[] chain, String authType) {
            }

            @Override
            public X509Certificate[] getAcceptedIssuers() {
                return new X509Certificate[0];
            }
        }}, null);
        try (SSLSocket s = (SSLSocket) ssl.getSocketFactory().createSocket()) {
            s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), server.port()));
            s.startHandshake();
            s.getOutputStream().write(new byte[] {0, 0, 0, 0, 1, 0, 0, 0});
            s.getOutputStream().flush();
            long t0 = System.nanoTime();
            long bound = grace.plus(linger).plusSeconds(8).toMillis();
            assertThat(stopped.await(bound, MILLISECONDS))
                    .as("the connection ended within stopGracePeriod + closeLinger + 8 s").isTrue();
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofMillis(bound));
        } finally {
            server.stop();
        }
        assertThat(stopped.await(1, SECONDS)).isTrue();
    }
}
