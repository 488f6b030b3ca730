package io.paguma;

import io.paguma.testing.Servers;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/** Review of 3eafc4e / 5c8bd21: findings reproduced. */
/**
 * outboundPolicy wait and the size limits under attack (review of issue 11): a wait is bounded and
 * never on an IO thread; a request at maxPacketSize works on both transports.
 */
class WaitPolicyTest {
    private static final int ECHO = 4;
    private final List<Server> servers = new ArrayList<>();
    private final List<Client> clients = new ArrayList<>();

    @AfterEach
    void tearDown() {
        for (Client c : clients) c.close().orTimeout(10, TimeUnit.SECONDS).join();
        for (Server s : servers) s.stop();
    }

    private Server echoServer(boolean ws, int maxPacketSize) {
        PagumaConfig.Builder cfg = Servers.config().codec("paguma").maxPacketSize(maxPacketSize);
        if (ws) cfg.mode(PagumaConfig.Mode.WEBSOCKET).wsPort(0);
        Server s = Server.builder().config(cfg.build()).route(ECHO, r -> r.reply(ECHO, "ok")).build().start();
        servers.add(s);
        return s;
    }

    private Client client(Server s, boolean ws, int maxPacketSize) {
        PagumaConfig.Builder cfg = PagumaConfig.builder().host("127.0.0.1").codec("paguma").maxPacketSize(maxPacketSize);
        if (ws) cfg.mode(PagumaConfig.Mode.WEBSOCKET).wsPort(s.wsPort());
        else cfg.port(s.port());
        Client c = Client.builder().config(cfg.build()).build();
        clients.add(c);
        c.connect().orTimeout(10, TimeUnit.SECONDS).join();
        return c;
    }

    private static Throwable outcome(CompletableFuture<Message> f) {
        Throwable t = f.handle((m, e) -> e).orTimeout(10, TimeUnit.SECONDS).join();
        return t instanceof CompletionException ? t.getCause() : t;
    }

    /** Finding: WebSocket max message = 16 + maxPacketSize, but every request() carries a 20-byte header. */
    @Test
    void requestOfMaxPacketSizeWorksOnTcp() {
        Server s = echoServer(false, 1024);
        Client c = client(s, false, 1024);
        assertThat(outcome(c.request(ECHO, new byte[1024], Duration.ofSeconds(5)))).isNull();
    }

    @Test
    void requestOfMaxPacketSizeWorksOnWebSocket() {
        Server s = echoServer(true, 1024);
        Client c = client(s, true, 1024);
        // Fails: the server's WebSocket decoder refuses the 1044-byte message (limit 1040) and closes.
        assertThat(outcome(c.request(ECHO, new byte[1024], Duration.ofSeconds(5)))).isNull();
    }

    /** Finding: TOO_LARGE (status 5) is TCP only; on WebSocket the caller just sees the connection close. */
    /** Over WebSocket the WebSocket layer refuses an oversized message first (close 1009): no status 5 there (documented). */
    @Test
    void tooLargeRequestGetsStatus5OnTcpAndAClosedConnectionOnWebSocket() {
        Server tcp = echoServer(false, 1024);
        assertThat(outcome(client(tcp, false, 1 << 20).request(ECHO, new byte[4096], Duration.ofSeconds(5))))
                .isInstanceOf(RemoteException.class);
        Server ws = echoServer(true, 1024);
        assertThat(outcome(client(ws, true, 1 << 20).request(ECHO, new byte[4096], Duration.ofSeconds(5))))
                .isInstanceOf(ConnectionClosedException.class);
    }

    /**
     * Two Paguma peers in wait mode streaming at each other can each wait for the other to read
     * (each stops reading while its own writes are above the mark). The wait is bounded by
     * requestTimeout: the blocked send fails with a timeout, the worker is free again.
     */
    @Test
    void twoWaitingPeersStreamingAtEachOtherDoNotHangForGood() throws Exception {
        int chunk = 8 * 1024;
        long total = 64L * 1024 * 1024;
        CompletableFuture<Throwable> serverSendFailed = new CompletableFuture<>();
        Server server = Server.builder()
                .config(Servers.config().codec("paguma").outboundPolicy(PagumaConfig.OutboundPolicy.WAIT)
                        .requestTimeout(Duration.ofSeconds(1)).workerPoolSize(1).build())
                .route(1, r -> {
                    Connection c = r.connection();
                    byte[] b = new byte[chunk];
                    for (long sent = 0; sent < total; sent += chunk) {
                        CompletableFuture<Void> f = c.send(2, b);
                        if (f.isCompletedExceptionally()) {
                            serverSendFailed.complete(f.handle((v, e) -> e).join());
                            return;
                        }
                    }
                    serverSendFailed.complete(null);
                })
                .route(5, r -> { })
                .route(ECHO, r -> r.reply(ECHO, "free"))
                .build().start();
        servers.add(server);
        Client client = Client.builder()
                .config(PagumaConfig.builder().host("127.0.0.1").port(server.port()).codec("paguma")
                        .maxPacketSize(1 << 20).requestTimeout(Duration.ofSeconds(1))
                        .outboundPolicy(PagumaConfig.OutboundPolicy.WAIT).build())
                .route(2, r -> { })
                .build();
        clients.add(client);
        client.connect().orTimeout(10, TimeUnit.SECONDS).join();
        client.send(1, "go");
        AtomicLong uploaded = new AtomicLong();
        Thread uploader = new Thread(() -> {
            byte[] b = new byte[chunk];
            for (long sent = 0; sent < total && client.isConnected(); sent += chunk) {
                if (client.send(5, b).isCompletedExceptionally()) return;
                uploaded.addAndGet(chunk);
            }
        });
        uploader.setDaemon(true);
        uploader.start();
        // Either the streams got through, or a wait ran out: never a hang.
        Throwable t = serverSendFailed.get(60, TimeUnit.SECONDS);
        if (t != null) {
            Throwable cause = t instanceof CompletionException ? t.getCause() : t;
            assertThat(cause).isInstanceOf(java.util.concurrent.TimeoutException.class)
                    .hasMessageContaining("did not catch up within 1000 ms");
        }
        uploader.join(30_000);
        assertThat(uploader.isAlive()).as("the client's uploader is not stuck either").isFalse();
    }

    /**
     * Finding: with outboundPolicy wait, request(message, timeout) can block its caller far past
     * its timeout (forever, while the peer does not read): paceSender() has no deadline.
     */
    @Test
    void requestWithShortTimeoutReturnsPromptlyInWaitMode() throws Exception {
        try (java.net.ServerSocket silent = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            Client client = Client.builder()
                    .config(PagumaConfig.builder().host("127.0.0.1").port(silent.getLocalPort()).codec("paguma")
                            .maxPacketSize(1 << 20).stopGracePeriod(Duration.ofSeconds(1))
                            .outboundPolicy(PagumaConfig.OutboundPolicy.WAIT).build())
                    .build();
            clients.add(client);
            client.connect().orTimeout(10, TimeUnit.SECONDS).join();
            try (java.net.Socket peer = silent.accept()) {
                Thread filler = new Thread(() -> {
                    byte[] b = new byte[64 * 1024];
                    for (int i = 0; i < 1000 && client.isConnected(); i++) client.send(5, b);
                });
                filler.setDaemon(true);
                filler.start();
                org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> !client.connection().isWritable());
                CompletableFuture<CompletableFuture<Message>> call =
                        CompletableFuture.supplyAsync(() -> client.request(ECHO, new byte[10], Duration.ofMillis(200)));
                Throwable t = call.handle((f, e) -> e == null ? null : e).completeOnTimeout(new java.util.concurrent.TimeoutException("request() still blocked after 3 s"), 3, TimeUnit.SECONDS).join();
                assertThat(t).as("request(…, 200 ms) returned its future within 3 s").isNull();
            }
        }
    }

    /**
     * Finding: outboundPolicy wait blocks an IO thread. paceSender() exempts only the target
     * connection's own event loop, so a router on an IO thread (workerPoolSize 0), or any callback
     * run by an IO thread, that sends to a connection on another loop waits there; every connection
     * of the blocked loop stops (CONFIG.md says the wait is "never an IO thread").
     */
    @Test
    void aBroadcastFromAnIoThreadNeverBlocksThatIoThread() throws Exception {
        java.util.concurrent.atomic.AtomicReference<Connection> victim = new java.util.concurrent.atomic.AtomicReference<>();
        Server server = Server.builder()
                .config(Servers.config().codec("paguma").workerPoolSize(0).ioThreads(2)
                        .outboundPolicy(PagumaConfig.OutboundPolicy.WAIT).build())
                .route(6, r -> {
                    victim.set(r.connection());
                    r.reply(6, "registered");
                })
                .route(8, r -> r.reply(8, victim.get().channel().eventLoop() == r.connection().channel().eventLoop() ? "same" : "diff"))
                .route(7, r -> {
                    byte[] b = new byte[64 * 1024];
                    // A broadcast to the other connection, from this connection's IO thread.
                    for (int i = 0; i < 1024 && victim.get().isOpen(); i++) victim.get().send(9, b);
                    r.reply(7, "sent");
                })
                .build().start();
        servers.add(server);
        try (io.paguma.testing.FrameSocket b = io.paguma.testing.FrameSocket.connect(server.port(), Codecs.PAGUMA)) {
            b.send(6, "register me");
            assertThat(b.read().text()).isEqualTo("registered");
            io.paguma.testing.FrameSocket a = null;
            List<io.paguma.testing.FrameSocket> opened = new ArrayList<>();
            try {
                for (int i = 0; i < 4 && a == null; i++) {
                    io.paguma.testing.FrameSocket s = io.paguma.testing.FrameSocket.connect(server.port(), Codecs.PAGUMA);
                    opened.add(s);
                    s.send(8, "which loop");
                    if (s.read().text().equals("diff")) a = s;
                }
                assertThat(a).as("a connection on the other IO thread").isNotNull();
                a.socket().setSoTimeout(10_000);
                a.send(7, "broadcast");
                // b never reads. With the bug, a's IO thread waits for b forever: no reply, ever.
                Message m;
                try {
                    m = a.read();
                } catch (java.net.SocketTimeoutException e) {
                    m = null;
                }
                assertThat(m).as("reply of the router that broadcast from an IO thread, within 10 s").isNotNull();
            } finally {
                for (io.paguma.testing.FrameSocket s : opened) s.close();
            }
        }
    }
}
