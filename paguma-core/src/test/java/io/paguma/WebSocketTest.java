package io.paguma;

import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.paguma.testing.FrameSocket;
import io.paguma.testing.Servers;
import io.paguma.testing.WsFrameSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * What only the WebSocket transport has (B4): the upgrade and its checks, frames that are not
 * one whole message, Close frames, and TCP and WebSocket side by side. What both transports share
 * (echo, requests, close, maxPacketSize, heartbeats, traffic, TLS) runs on both in the tests
 * parameterized with {@link io.paguma.testing.Wire}.
 */
class WebSocketTest {
    private final List<Server> servers = new ArrayList<>();
    private final List<Client> clients = new ArrayList<>();
    private final List<String> refusals = new CopyOnWriteArrayList<>();
    private final List<String> rejected = new CopyOnWriteArrayList<>();

    private final EndpointListener recorder = new EndpointListener() {
        @Override
        public void refused(InetSocketAddress peer, String reason) {
            refusals.add(reason);
        }

        @Override
        public void frameRejected(Connection connection, String reason) {
            rejected.add(reason);
        }
    };

    @AfterEach
    void tearDown() {
        for (Client c : clients) c.close().orTimeout(10, TimeUnit.SECONDS).join();
        for (Server s : servers) s.stop();
    }

    private Server start(PagumaConfig.Builder config, Server.Builder b) {
        Server s = b.config(config.build()).eventListener(recorder)
                .route(1, r -> r.reply(1, r.data()))
                .build().start();
        servers.add(s);
        return s;
    }

    private static PagumaConfig.Builder ws() {
        return Servers.config().mode(PagumaConfig.Mode.WEBSOCKET).wsPort(0);
    }

    private static URI uri(Server s, String path) {
        return URI.create("ws://127.0.0.1:" + s.wsPort() + path);
    }

    /** The HTTP status a plain socket gets for {@code request} (the refusals are plain HTTP). */
    private static String statusLineFor(int port, String request) throws Exception {
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
            s.setSoTimeout(10_000);
            s.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
            InputStream in = s.getInputStream();
            String response = new String(in.readAllBytes(), StandardCharsets.US_ASCII);
            return response.lines().findFirst().orElse("");
        }
    }

    @Test
    void eachMessageGoesOutAsABinaryFrameOfItsOwnEvenWhenRepliesAreBatched() throws Exception {
        Server server = start(ws().workerPoolSize(0), Server.builder().route(2, r -> {
            // Three replies made in one turn share one batch buffer: still three frames.
            for (int i = 0; i < 3; i++) r.reply(2, "part " + i);
        }));
        try (WsFrameSocket peer = WsFrameSocket.connect(server.wsPort())) {
            peer.send(2, "go");
            for (int i = 0; i < 3; i++) assertThat(peer.read().text()).isEqualTo("part " + i);
            // Several whole frames in one binary message are read one by one.
            byte[] a = peer.encode(new Message(1, "a".getBytes()));
            byte[] b = peer.encode(new Message(1, "b".getBytes()));
            byte[] both = new byte[a.length + b.length];
            System.arraycopy(a, 0, both, 0, a.length);
            System.arraycopy(b, 0, both, a.length, b.length);
            peer.sendRaw(both);
            assertThat(peer.read().text()).isEqualTo("a");
            assertThat(peer.read().text()).isEqualTo("b");
        }
    }

    @Test
    void tcpAndWebSocketSideBySideShareRoutesConnectionsAndMaxConn() throws Exception {
        Server server = start(Servers.config().mode(PagumaConfig.Mode.BOTH).wsPort(0).maxConn(2), Server.builder());
        try (FrameSocket tcp = FrameSocket.connect(server.port()); WsFrameSocket ws = WsFrameSocket.connect(server.wsPort())) {
            tcp.send(1, "over tcp");
            ws.send(1, "over ws");
            assertThat(tcp.read().text()).isEqualTo("over tcp");
            assertThat(ws.read().text()).isEqualTo("over ws");
            assertThat(server.connections().count()).isEqualTo(2);
            // maxConn counts both: a third, on either transport, is refused; a browser is told in HTTP.
            assertThatThrownBy(() -> WsFrameSocket.connect(server.wsPort()))
                    .isInstanceOfSatisfying(WsFrameSocket.UpgradeRefused.class, e -> assertThat(e.status).isEqualTo(503));
            try (FrameSocket third = FrameSocket.connect(server.port())) {
                assertThat(third.closedByPeer()).isTrue();
            }
            assertThat(refusals).hasSize(2).allMatch(r -> r.contains("maxConn 2"));
            assertThat(server.stats().refused()).isEqualTo(2);
            ws.send(1, "still here");
            assertThat(ws.read().text()).isEqualTo("still here");
        }
        // The places are given back: a WebSocket connects again.
        await().atMost(Duration.ofSeconds(5)).until(() -> server.connections().count() == 0);
        try (WsFrameSocket again = WsFrameSocket.connect(server.wsPort())) {
            again.send(1, "again");
            assertThat(again.read().text()).isEqualTo("again");
        }
    }

    @Test
    void upgradesToAnotherPathOrFromAForeignOriginAreRefused() throws Exception {
        Server server = start(ws().wsPath("/game").wsOrigins("https://game.example.com, https://admin.example.com"),
                Server.builder());
        assertThatThrownBy(() -> WsFrameSocket.connect(uri(server, "/other"), Codecs.LTV_LE, null, null))
                .isInstanceOfSatisfying(WsFrameSocket.UpgradeRefused.class, e -> assertThat(e.status).isEqualTo(404));
        assertThatThrownBy(() -> WsFrameSocket.connect(uri(server, "/game"), Codecs.LTV_LE, null,
                new DefaultHttpHeaders().add("Origin", "https://evil.example.net")))
                .isInstanceOfSatisfying(WsFrameSocket.UpgradeRefused.class, e -> assertThat(e.status).isEqualTo(403));
        assertThat(refusals).hasSize(2);
        assertThat(refusals.get(0)).contains("/other");
        assertThat(refusals.get(1)).contains("https://evil.example.net");
        // A listed origin, and a client that sends none (not a browser), are accepted.
        try (WsFrameSocket listed = WsFrameSocket.connect(uri(server, "/game"), Codecs.LTV_LE, null,
                new DefaultHttpHeaders().add("Origin", "https://admin.example.com"));
             WsFrameSocket none = WsFrameSocket.connect(uri(server, "/game?x=1"), Codecs.LTV_LE, null, null)) {
            listed.send(1, "admin");
            none.send(1, "tool");
            assertThat(listed.read().text()).isEqualTo("admin");
            assertThat(none.read().text()).isEqualTo("tool");
        }
        // A plain HTTP request (no upgrade) gets an answer too, not a hang.
        assertThat(statusLineFor(server.wsPort(), "GET /nothing HTTP/1.1\r\nHost: x\r\n\r\n")).contains("404");
    }

    @Test
    void theUpgradeHookCanRefuseAndCanGiveTheConnectionItsProperties() throws Exception {
        List<String> users = new CopyOnWriteArrayList<>();
        Server server = start(ws(), Server.builder()
                .webSocketAuth(upgrade -> {
                    String token = upgrade.query("token");
                    if (!"s3cret".equals(token)) throw new SecurityException("bad token " + token);
                    upgrade.property("user", "alice");
                })
                .onConnStart(c -> users.add(c.property("user")))
                .route(3, r -> r.reply(3, (String) r.connection().property("user"))));
        assertThatThrownBy(() -> WsFrameSocket.connect(uri(server, "/?token=guess"), Codecs.LTV_LE, null, null))
                .isInstanceOfSatisfying(WsFrameSocket.UpgradeRefused.class, e -> assertThat(e.status).isEqualTo(403));
        assertThat(refusals).singleElement().asString().contains("bad token guess");
        try (WsFrameSocket peer = WsFrameSocket.connect(uri(server, "/?token=s3cret"), Codecs.LTV_LE, null, null)) {
            peer.send(3, "who am i");
            assertThat(peer.read().text()).isEqualTo("alice");
        }
        // Paguma's client sends the query of its URL with every upgrade.
        CompletableFuture<String> answer = new CompletableFuture<>();
        Client client = Client.builder().url("ws://127.0.0.1:" + server.wsPort() + "/?token=s3cret")
                .route(3, r -> answer.complete(r.text())).build();
        clients.add(client);
        client.connect().orTimeout(10, TimeUnit.SECONDS).join();
        client.send(3, "and me?");
        assertThat(answer.get(10, TimeUnit.SECONDS)).isEqualTo("alice");
        assertThat(users).containsExactly("alice", "alice");
        assertThat(server.stats().accepted()).isEqualTo(2);
    }

    @Test
    void aClientWhoseUpgradeIsRefusedFailsItsAttemptsAndGivesUp() {
        Server server = start(ws(), Server.builder().webSocketAuth(u -> {
            throw new SecurityException("nobody gets in");
        }));
        List<Throwable> causes = new CopyOnWriteArrayList<>();
        Client client = Client.builder().url("ws://127.0.0.1:" + server.wsPort() + "/")
                .config(PagumaConfig.builder().reconnectBase(Duration.ofMillis(20)).reconnectAttempts(2).build())
                .listener(new ClientListener() {
                    @Override
                    public void reconnecting(int attempt, Duration delay, Throwable cause) {
                        causes.add(cause);
                    }
                })
                .build();
        clients.add(client);
        assertThatThrownBy(() -> client.connect().orTimeout(10, TimeUnit.SECONDS).join())
                .hasCauseInstanceOf(ConnectionClosedException.class);
        assertThat(causes).hasSize(2).allSatisfy(c -> assertThat(c).hasMessageContaining("403"));
        assertThat(client.state()).isEqualTo(Client.State.CLOSED);
        assertThat(server.stats().refused()).isEqualTo(3);
    }

    @Test
    void textFramesAndMessagesEndingInsideAFrameCloseOnlyThatConnection() throws Exception {
        Server server = start(ws(), Server.builder());
        try (WsFrameSocket good = WsFrameSocket.connect(server.wsPort());
             WsFrameSocket text = WsFrameSocket.connect(server.wsPort());
             WsFrameSocket cut = WsFrameSocket.connect(server.wsPort())) {
            text.sendText("{\"hello\":1}");
            assertThat(text.closedByPeer()).isTrue();
            byte[] frame = cut.encode(new Message(1, "complete".getBytes()));
            cut.sendRaw(java.util.Arrays.copyOf(frame, frame.length - 3));
            assertThat(cut.closedByPeer()).isTrue();
            good.send(1, "unharmed");
            assertThat(good.read().text()).isEqualTo("unharmed");
        }
        assertThat(rejected).hasSize(2);
        assertThat(rejected).anyMatch(r -> r.contains("text frame"));
        assertThat(rejected).anyMatch(r -> r.contains("ended inside a frame"));
        assertThat(server.stats().framesRejected()).isEqualTo(2);
    }

    @Test
    void aPeerThatNeverUpgradesIsClosedAfterTheHandshakeTimeoutAndFreesItsPlace() throws Exception {
        Server server = start(ws().maxConn(1).wsHandshakeTimeout(Duration.ofMillis(300)), Server.builder());
        try (Socket silent = new Socket(InetAddress.getLoopbackAddress(), server.wsPort())) {
            silent.setSoTimeout(10_000);
            long begin = System.nanoTime();
            assertThat(silent.getInputStream().read()).isEqualTo(-1);
            assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - begin)).isBetween(250L, 5000L);
        }
        assertThat(refusals).singleElement().asString().contains("wsHandshakeTimeout");
        // Its place is free again.
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
            try (WsFrameSocket peer = WsFrameSocket.connect(server.wsPort())) {
                peer.send(1, "in");
                assertThat(peer.read().text()).isEqualTo("in");
            }
        });
    }

    @Test
    void aCloseFrameFromThePeerStillGetsTheRepliesToWhatItSentFirst() throws Exception {
        java.util.concurrent.CountDownLatch closeSent = new java.util.concurrent.CountDownLatch(1);
        Server server = start(ws().workerPoolSize(1), Server.builder().route(4, r -> {
            try {
                // The router holds its requests until the peer's Close frame is on its way.
                closeSent.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            r.reply(4, r.data());
        }));
        try (WsFrameSocket peer = WsFrameSocket.connect(server.wsPort())) {
            for (int i = 0; i < 5; i++) peer.send(4, "r" + i);
            peer.sendClose();
            closeSent.countDown();
            for (int i = 0; i < 5; i++) assertThat(peer.read().text()).isEqualTo("r" + i);
            assertThat(peer.closedByPeer()).isTrue();
            assertThat(peer.closeStatus()).isEqualTo(1000);
        }
    }

    @Test
    void aMessageOverTheSizeLimitIsRefusedBeforeItIsBuffered() throws Exception {
        Server server = start(ws().maxPacketSize(1024), Server.builder());
        try (WsFrameSocket big = WsFrameSocket.connect(server.wsPort())) {
            big.send(1, new byte[64 * 1024]);
            assertThat(big.closedByPeer()).isTrue();
            assertThat(big.closeStatus()).isEqualTo(1009);
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> server.stats().framesRejected() == 1);
        assertThat(rejected).singleElement().asString().contains("WebSocket");
    }

    @Test
    void stopClosesWebSocketsWithACloseFrameAndPeersStillInTheirUpgrade() throws Exception {
        Server server = start(ws(), Server.builder());
        try (WsFrameSocket open = WsFrameSocket.connect(server.wsPort());
             Socket upgrading = new Socket(InetAddress.getLoopbackAddress(), server.wsPort())) {
            upgrading.setSoTimeout(10_000);
            open.send(1, "before stop");
            assertThat(open.read().text()).isEqualTo("before stop");
            CompletableFuture<StopReport> stopped = CompletableFuture.supplyAsync(server::stop);
            assertThat(open.closedByPeer()).isTrue();
            assertThat(open.closeStatus()).isEqualTo(1000);
            assertThat(upgrading.getInputStream().read()).isEqualTo(-1);
            assertThat(stopped.get(10, TimeUnit.SECONDS).connectionsClosed()).isEqualTo(1);
        }
    }

    @Test
    void clientUrlsSetTheModeAndAddress() {
        Client ws = Client.builder().url("wss://example.com:8443/chat").build();
        assertThat(ws.config().mode()).isEqualTo(PagumaConfig.Mode.WEBSOCKET);
        assertThat(ws.config().tls()).isTrue();
        assertThat(ws.config().wsPort()).isEqualTo(8443);
        assertThat(ws.config().wsPath()).isEqualTo("/chat");
        assertThat(ws.port()).isEqualTo(8443);
        // The scheme decides: ws:// is plain even with tls in the config.
        assertThat(Client.builder().config(PagumaConfig.builder().tls(true).build()).url("ws://h:1/").build().config().tls())
                .isFalse();
        Client tcp = Client.builder().url("tcp://[::1]:7000").build();
        assertThat(tcp.config().mode()).isEqualTo(PagumaConfig.Mode.TCP);
        assertThat(tcp.host()).isEqualTo("::1");
        assertThat(tcp.port()).isEqualTo(7000);
        assertThatThrownBy(() -> Client.builder().url("http://x:1/")).hasMessageContaining("tcp, ws or wss");
        assertThatThrownBy(() -> Client.builder().config(PagumaConfig.builder().mode(PagumaConfig.Mode.BOTH).build()).build())
                .isInstanceOf(ConfigException.class).hasMessageContaining("mode both is for servers");
        assertThatThrownBy(() -> PagumaConfig.builder().wsPath("chat").build()).hasMessageContaining("wsPath");
    }
    // --- What a hostile or clumsy peer does (review of the WebSocket transport) ---

    @Test
    void pingsAndPongsDoNotDefeatBackpressureOnAPausedConnection() throws Exception {
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        Server server = start(ws().workerPoolSize(1).maxWorkerTaskLen(4), Server.builder().route(9, r -> release.await()));
        byte[] request = io.paguma.testing.RawWs.frame(io.paguma.testing.RawWs.BINARY, io.paguma.testing.RawWs.ltv(9, new byte[1024]));
        byte[] pong = io.paguma.testing.RawWs.frame(io.paguma.testing.RawWs.PONG, new byte[0]);
        try (Socket s = io.paguma.testing.RawWs.send(server.wsPort(), io.paguma.testing.RawWs.UPGRADE)) {
            assertThat(io.paguma.testing.RawWs.readHead(s.getInputStream())).startsWith("HTTP/1.1 101");
            java.io.OutputStream out = s.getOutputStream();
            Thread writer = new Thread(() -> {
                try {
                    // A pong after every request: Netty asks for a read after each control frame.
                    java.io.ByteArrayOutputStream chunk = new java.io.ByteArrayOutputStream();
                    for (int i = 0; i < 64; i++) {
                        chunk.writeBytes(request);
                        chunk.writeBytes(pong);
                    }
                    byte[] c = chunk.toByteArray();
                    for (int i = 0; i < 1024; i++) out.write(c);
                } catch (java.io.IOException stopped) {
                    // The socket closed under the writer at the end of the test.
                }
            });
            writer.setDaemon(true);
            writer.start();
            java.util.concurrent.atomic.AtomicLong last = new java.util.concurrent.atomic.AtomicLong(-1);
            await().atMost(Duration.ofSeconds(60)).during(Duration.ofSeconds(1)).until(() -> {
                long now = server.traffic().bytesIn();
                return now > 32L * 1024 * 1024 || now == last.getAndSet(now);
            });
            // Reading stopped with the worker full: the connection holds a few frames, not the stream.
            assertThat(server.traffic().bytesIn()).as("bytes read into a paused connection").isLessThan(1024 * 1024);
        } finally {
            release.countDown();
        }
    }

    @Test
    void everyHttpRequestOnAConnectionIsCheckedNotOnlyTheFirst() throws Exception {
        List<String> authSaw = new CopyOnWriteArrayList<>();
        Server server = start(ws().wsPath("/ws").wsOrigins("https://good.example"), Server.builder().webSocketAuth(u -> {
            authSaw.add(u.uri());
            if (!"abc".equals(u.query("token"))) throw new SecurityException("bad token");
        }));
        String up = "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                + "Sec-WebSocket-Version: 13\r\n";
        // The first path is /ws only once percent-decoded: Netty would not take it as the WebSocket
        // path, and a second request on the same connection must not slip past the checks.
        try (Socket s = io.paguma.testing.RawWs.send(server.wsPort(), "GET /w%73?token=abc HTTP/1.1\r\nHost: x\r\n" + up + "\r\n"
                + "GET /ws?token=wrong HTTP/1.1\r\nHost: x\r\nOrigin: https://evil.example\r\n" + up + "\r\n")) {
            String head = io.paguma.testing.RawWs.readHead(s.getInputStream());
            assertThat(head).startsWith("HTTP/1.1 404");
            assertThat(s.getInputStream().readAllBytes()).asString(StandardCharsets.ISO_8859_1).doesNotContain("101");
        }
        assertThat(authSaw).isEmpty();
    }

    @Test
    void malformedUpgradesAreRefusedCountedAndClosedAtOnce() throws Exception {
        Server server = start(ws(), Server.builder());
        String key = "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n";
        String[][] cases = {
                {"POST / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" + key
                        + "Sec-WebSocket-Version: 13\r\nContent-Length: 0\r\n\r\n", "400"},
                {"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" + key
                        + "Sec-WebSocket-Version: 8\r\n\r\n", "426"},
                {"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" + key
                        + "Sec-WebSocket-Version: 13\r\nContent-Length: 3\r\n\r\nabc", "400"},
                {"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" + key
                        + "Sec-WebSocket-Version: 13\r\nContent-Length: 20000\r\n\r\n" + "x".repeat(20000), "413"},
        };
        for (String[] c : cases) {
            long begin = System.nanoTime();
            try (Socket s = io.paguma.testing.RawWs.send(server.wsPort(), c[0])) {
                assertThat(io.paguma.testing.RawWs.readHead(s.getInputStream())).startsWith("HTTP/1.1 " + c[1]);
                assertThat(s.getInputStream().readAllBytes()).isNotNull(); // closed, not left open
            }
            assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - begin)).as(c[1]).isLessThan(5000);
        }
        assertThat(refusals).hasSize(4);
        assertThat(server.stats().refused()).isEqualTo(4);
        try (WsFrameSocket peer = WsFrameSocket.connect(server.wsPort())) {
            peer.send(1, "in");
            assertThat(peer.read().text()).isEqualTo("in");
        }
    }

    @Test
    void aFrameSentBeforeThe101IsNotLostWithoutAWord() throws Exception {
        Server server = start(ws(), Server.builder());
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), server.wsPort())) {
            s.setSoTimeout(10_000);
            java.io.ByteArrayOutputStream both = new java.io.ByteArrayOutputStream();
            both.writeBytes(io.paguma.testing.RawWs.UPGRADE.getBytes(StandardCharsets.US_ASCII));
            both.writeBytes(io.paguma.testing.RawWs.frame(io.paguma.testing.RawWs.BINARY,
                    io.paguma.testing.RawWs.ltv(1, "hello".getBytes(StandardCharsets.UTF_8))));
            s.getOutputStream().write(both.toByteArray());
            InputStream in = s.getInputStream();
            assertThat(io.paguma.testing.RawWs.readHead(in)).startsWith("HTTP/1.1 101");
            byte[] rest = in.readAllBytes();
            // Either the message was handled, or the connection was closed and the event says why.
            String text = new String(rest, StandardCharsets.ISO_8859_1);
            if (!text.contains("hello")) {
                await().atMost(Duration.ofSeconds(5)).until(() -> server.stats().refused() + server.stats().framesRejected() >= 1);
            }
        }
    }

    @Test
    void aMessageInTooManyFragmentsIsRefused() throws Exception {
        Server server = start(ws().maxPacketSize(64 * 1024), Server.builder());
        try (Socket s = io.paguma.testing.RawWs.send(server.wsPort(), io.paguma.testing.RawWs.UPGRADE)) {
            InputStream in = s.getInputStream();
            assertThat(io.paguma.testing.RawWs.readHead(in)).startsWith("HTTP/1.1 101");
            byte[] message = io.paguma.testing.RawWs.ltv(1, new byte[3000]);
            java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
            out.writeBytes(io.paguma.testing.RawWs.frame(io.paguma.testing.RawWs.BINARY, new byte[] {message[0]}, false));
            for (int i = 1; i < message.length; i++) {
                out.writeBytes(io.paguma.testing.RawWs.frame(io.paguma.testing.RawWs.CONTINUATION, new byte[] {message[i]},
                        i == message.length - 1));
            }
            try {
                s.getOutputStream().write(out.toByteArray());
            } catch (java.io.IOException closedMeanwhile) {
                // The server may close before it has read everything.
            }
            try {
                in.readAllBytes();
            } catch (java.io.IOException reset) {
                // A reset is fine too: what matters is that it was refused.
            }
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> server.stats().framesRejected() == 1);
        assertThat(rejected).singleElement().asString().contains("fragments");
    }
}
