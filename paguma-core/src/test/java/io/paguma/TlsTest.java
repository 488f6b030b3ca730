package io.paguma;

import io.paguma.testing.FrameSocket;
import io.paguma.testing.Servers;
import io.paguma.testing.Wire;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import javax.net.ssl.SSLException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/** TLS on server and client (B3), with the self-signed pair in src/test/resources/tls. */
class TlsTest {
    private static String pem(String name) {
        try {
            return Path.of(TlsTest.class.getResource("/tls/" + name).toURI()).toString();
        } catch (java.net.URISyntaxException e) {
            throw new AssertionError(e);
        }
    }

    private static Server tlsServer() {
        return tlsServer(Wire.TCP);
    }

    private static Server tlsServer(Wire wire) {
        return Server.builder()
                .config(wire.server(Servers.config()).codec("paguma").tls(true).tlsCert(pem("cert.pem")).tlsKey(pem("key.pem")).build())
                .route(1, r -> r.reply(1, "tls:" + r.text()))
                .build().start();
    }

    private static Client client(Server server, String trust, boolean reconnect, ClientListener listener) {
        return client(Wire.TCP, server, trust, reconnect, listener);
    }

    private static Client client(Wire wire, Server server, String trust, boolean reconnect, ClientListener listener) {
        return Client.builder()
                .config(wire.client(PagumaConfig.builder(), server).codec("paguma")
                        .tls(true).tlsTrust(pem(trust)).reconnect(reconnect)
                        .reconnectBase(Duration.ofMillis(50)).reconnectAttempts(2).build())
                .listener(listener)
                .build();
    }

    @ParameterizedTest
    @EnumSource(Wire.class)
    void requestsRoundTripOverTls(Wire wire) {
        Server server = tlsServer(wire);
        Client client = client(wire, server, "cert.pem", true, new ClientListener() { });
        try {
            client.connect().orTimeout(10, TimeUnit.SECONDS).join();
            for (int i = 0; i < 100; i++) {
                assertThat(client.request(1, "hello " + i).orTimeout(10, TimeUnit.SECONDS).join().text()).isEqualTo("tls:hello " + i);
            }
            // Bytes are counted before encryption: the frames, not the records.
            long frames = client.connection().traffic().bytesOut();
            // paguma: a 16-byte header and the request's 4-byte time limit.
            assertThat(frames).isEqualTo(100L * 20 + java.util.stream.IntStream.range(0, 100).map(i -> ("hello " + i).length()).sum());
        } finally {
            client.close().orTimeout(10, TimeUnit.SECONDS).join();
            server.stop();
        }
    }

    @Test
    void aClientThatDoesNotTrustTheCertificateFailsItsAttemptsAndTheServerCarriesOn() {
        Server server = tlsServer();
        List<Throwable> causes = new CopyOnWriteArrayList<>();
        Client wrong = client(server, "other-cert.pem", true, new ClientListener() {
            @Override
            public void reconnecting(int attempt, Duration delay, Throwable cause) {
                causes.add(cause);
            }
        });
        Client right = client(server, "cert.pem", false, new ClientListener() { });
        try {
            assertThatThrownBy(() -> wrong.connect().orTimeout(10, TimeUnit.SECONDS).join())
                    .hasCauseInstanceOf(ConnectionClosedException.class);
            assertThat(causes).isNotEmpty();
            assertThat(causes.get(0)).isInstanceOf(SSLException.class);
            assertThat(wrong.state()).isEqualTo(Client.State.CLOSED);
            right.connect().orTimeout(10, TimeUnit.SECONDS).join();
            assertThat(right.request(1, "still fine").orTimeout(10, TimeUnit.SECONDS).join().text()).isEqualTo("tls:still fine");
        } finally {
            wrong.close().orTimeout(10, TimeUnit.SECONDS).join();
            right.close().orTimeout(10, TimeUnit.SECONDS).join();
            server.stop();
        }
    }

    @Test
    void mutualTlsAcceptsAClientCertificateAndRefusesAClientWithout() {
        Server server = Server.builder()
                .config(Servers.config().codec("paguma").tls(true).tlsCert(pem("cert.pem")).tlsKey(pem("key.pem"))
                        .tlsTrust(pem("cert.pem")).build())
                .route(1, r -> r.reply(1, "mtls:" + r.text()))
                .build().start();
        PagumaConfig.Builder base = PagumaConfig.builder().host("127.0.0.1").port(server.port()).codec("paguma")
                .tls(true).tlsTrust(pem("cert.pem")).reconnect(false);
        Client withCert = Client.builder().config(base.tlsCert(pem("cert.pem")).tlsKey(pem("key.pem")).build()).build();
        Client without = Client.builder().config(base.tlsCert("").tlsKey("").build()).build();
        try {
            withCert.connect().orTimeout(10, TimeUnit.SECONDS).join();
            assertThat(withCert.request(1, "hi").orTimeout(10, TimeUnit.SECONDS).join().text()).isEqualTo("mtls:hi");
            without.connect();
            // The server refuses the handshake; with TLS 1.3 the client may only learn it after its side finished.
            await().atMost(Duration.ofSeconds(10)).until(() -> without.state() == Client.State.CLOSED);
            // The refused connection leaves the server's list once the server has seen it close too.
            await().atMost(Duration.ofSeconds(10)).until(() -> server.connections().count() == 1);
            assertThat(withCert.connection().isOpen()).isTrue();
        } finally {
            withCert.close().orTimeout(10, TimeUnit.SECONDS).join();
            without.close().orTimeout(10, TimeUnit.SECONDS).join();
            server.stop();
        }
    }

    /** Each implementation against the other, both ways, with a client certificate: OpenSSL and the JDK's TLS interoperate. */
    @ParameterizedTest
    @EnumSource(value = PagumaConfig.TlsProvider.class, names = {"JDK", "OPENSSL"})
    void eachTlsImplementationServesTheOther(PagumaConfig.TlsProvider serverSide) {
        // netty-tcnative is a test dependency; it loads on Linux, macOS and Windows (x86_64, aarch64 for the first two).
        org.junit.jupiter.api.Assumptions.assumeTrue(io.netty.handler.ssl.OpenSsl.isAvailable(), "OpenSSL does not load on this platform");
        PagumaConfig.TlsProvider clientSide = serverSide == PagumaConfig.TlsProvider.JDK ? PagumaConfig.TlsProvider.OPENSSL : PagumaConfig.TlsProvider.JDK;
        PagumaConfig serverConfig = Servers.config().codec("paguma").tls(true).tlsCert(pem("cert.pem")).tlsKey(pem("key.pem"))
                .tlsTrust(pem("cert.pem")).tlsProvider(serverSide).maxPacketSize(1 << 20).build();
        assertThat(io.paguma.internal.Tls.forServer(serverConfig).getClass().getSimpleName())
                .startsWith(serverSide == PagumaConfig.TlsProvider.JDK ? "Jdk" : "OpenSsl");
        Server server = Server.builder().config(serverConfig).route(1, r -> r.reply(1, "tls:" + r.text()))
                .route(2, r -> r.reply(2, r.data())).build().start();
        PagumaConfig clientConfig = PagumaConfig.builder().host("127.0.0.1").port(server.port()).codec("paguma").reconnect(false)
                .tls(true).tlsTrust(pem("cert.pem")).tlsCert(pem("cert.pem")).tlsKey(pem("key.pem")).tlsProvider(clientSide).maxPacketSize(1 << 20).build();
        Client client = Client.builder().config(clientConfig).build();
        try {
            client.connect().orTimeout(10, TimeUnit.SECONDS).join();
            byte[] big = new byte[200_000];
            new java.util.Random(7).nextBytes(big);
            for (int i = 0; i < 20; i++) {
                assertThat(client.request(1, "hello " + i).orTimeout(10, TimeUnit.SECONDS).join().text()).isEqualTo("tls:hello " + i);
            }
            // Larger than a TLS record (16 KiB): split and joined again on the way.
            assertThat(client.request(2, big).orTimeout(10, TimeUnit.SECONDS).join().data()).isEqualTo(big);
        } finally {
            client.close().orTimeout(10, TimeUnit.SECONDS).join();
            server.stop();
        }
    }

    @Test
    void autoPicksOpenSslWhenItIsOnTheClassPath() {
        // netty-tcnative is a test dependency of this module, so auto finds it where it loads.
        assertThat(io.paguma.internal.Tls.provider(PagumaConfig.defaults())).isEqualTo(io.netty.handler.ssl.OpenSsl.isAvailable()
                ? io.netty.handler.ssl.SslProvider.OPENSSL : io.netty.handler.ssl.SslProvider.JDK);
        assertThat(io.paguma.internal.Tls.provider(PagumaConfig.builder().tlsProvider(PagumaConfig.TlsProvider.JDK).build()))
                .isEqualTo(io.netty.handler.ssl.SslProvider.JDK);
        assertThat(PagumaConfig.load(null, java.util.Map.of("PAGUMA_TLS_PROVIDER", "openssl"), java.util.Map.of()).tlsProvider())
                .isEqualTo(PagumaConfig.TlsProvider.OPENSSL);
    }

    @Test
    void plainTextOnATlsPortIsClosedWithoutHarmingOthers() throws Exception {
        Server server = tlsServer();
        try (FrameSocket plain = FrameSocket.connect(server.port(), Codecs.byName("paguma"))) {
            plain.send(1, "not encrypted");
            await().atMost(Duration.ofSeconds(10)).until(() -> server.connections().count() == 0);
        } finally {
            server.stop();
        }
    }

    /** A TLS client on a plaintext port: its ClientHello is a malformed frame; closed with one line, the handshake fails at once. */
    @ParameterizedTest
    @EnumSource(value = PagumaConfig.TlsProvider.class, names = {"JDK", "OPENSSL"})
    void aTlsClientOnAPlaintextPortIsRefusedCleanly(PagumaConfig.TlsProvider provider) throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(provider == PagumaConfig.TlsProvider.JDK || io.netty.handler.ssl.OpenSsl.isAvailable());
        Server plain = Server.builder().config(Servers.config().build()).route(1, r -> r.reply(1, r.data())).build().start();
        Client tls = Client.builder().config(PagumaConfig.builder().host("127.0.0.1").port(plain.port()).reconnect(false)
                .tls(true).tlsTrust(pem("cert.pem")).tlsProvider(provider).build()).build();
        try (io.paguma.testing.LogCapture logs = io.paguma.testing.LogCapture.start();
             FrameSocket honest = FrameSocket.connect(plain.port())) {
            long t0 = System.nanoTime();
            assertThatThrownBy(() -> tls.connect().get(10, TimeUnit.SECONDS)).isInstanceOf(java.util.concurrent.ExecutionException.class);
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(5));
            await().atMost(Duration.ofSeconds(10)).until(() -> plain.stats().framesRejected() == 1);
            assertThat(logs.at("WARN", "closed")).hasSize(1);
            honest.send(1, "still fine");
            assertThat(honest.read().text()).isEqualTo("still fine");
        } finally {
            tls.close().get(10, TimeUnit.SECONDS);
            plain.stop();
        }
    }

    @Test
    void aTlsServerWithoutACertificateFailsToStartNamingTheKey() {
        assertThatThrownBy(() -> Server.builder().config(Servers.config().tls(true).build()).build().start())
                .isInstanceOf(ConfigException.class).hasMessageContaining("tlsCert");
        assertThatThrownBy(() -> Server.builder().config(Servers.config().tls(true).tlsCert("/nonexistent.pem")
                .tlsKey("/nonexistent.key").build()).build().start())
                .isInstanceOf(ConfigException.class).hasMessageContaining("cannot read file");
    }
}
