package io.paguma;

import io.paguma.testing.FrameSocket;
import io.paguma.testing.Servers;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Every event an {@link EndpointListener} hears is provoked here and seen by a listener on the
 * endpoint, by one on the runtime, and by the counters of both.
 */
class EventsTest {
    private static final Duration WAIT = Duration.ofSeconds(20);

    private final Recorder onRuntime = new Recorder();
    private final PagumaRuntime rt = PagumaRuntime.create(PagumaConfig.builder().name("events")
            .ioThreads(2).workerPoolSize(2).maxWorkerTaskLen(2).build());
    private final List<Server> servers = new ArrayList<>();

    {
        rt.addEventListener(onRuntime);
    }

    /** Records every event by name. */
    static final class Recorder implements EndpointListener {
        final Queue<String> events = new ConcurrentLinkedQueue<>();
        private final boolean timing;

        Recorder() {
            this(false);
        }

        Recorder(boolean timing) {
            this.timing = timing;
        }

        boolean heard(String event) {
            return events.contains(event);
        }

        @Override public void accepted(Connection c) { events.add("accepted"); }
        @Override public void refused(InetSocketAddress peer, String reason) { events.add("refused"); }
        @Override public void frameRejected(Connection c, String reason) { events.add("frameRejected"); }
        @Override public void unknownMessage(Connection c, int id) { events.add("unknownMessage " + id); }
        @Override public void routerFailed(Request r, Throwable t) { events.add("routerFailed " + t.getMessage()); }
        @Override public void idleClosed(Connection c, Duration silence) { events.add("idleClosed"); }
        @Override public void slowPeerCut(Connection c, long pending) { events.add("slowPeerCut"); }
        @Override public void readingPaused(Connection c, PauseCause cause) { events.add("readingPaused " + cause); }
        @Override public void readingResumed(Connection c) { events.add("readingResumed"); }
        @Override public void requestTimedOut(Connection c, int id, Duration timeout) { events.add("requestTimedOut " + id); }
        @Override public void reconnecting(String client, int attempt, Duration delay, Throwable cause) { events.add("reconnecting"); }
        @Override public void gaveUp(String client, int attempts, Throwable cause) { events.add("gaveUp"); }
        @Override public boolean timesRouters() { return timing; }
        @Override public void routerTimed(Request r, long nanos) { events.add("routerTimed " + (nanos > 0)); }
    }

    @AfterEach
    void tearDown() {
        rt.close();
    }

    private Server server(Recorder listener, PagumaConfig.Builder config, Server.Builder b) {
        Server s = b.runtime(rt).config(config.build()).eventListener(listener).build().start();
        servers.add(s);
        return s;
    }

    /** Awaits {@code event} on both listeners. */
    private void heardOnBoth(Recorder own, String event) {
        await().atMost(WAIT).untilAsserted(() -> {
            assertThat(own.events).as("the endpoint's listener").contains(event);
            assertThat(onRuntime.events).as("the runtime's listener").contains(event);
        });
    }

    @Test
    void acceptedRefusedAndUnknownMessage() throws Exception {
        Recorder own = new Recorder();
        Server server = server(own, Servers.config().maxConn(1).serverFullMessage("full"), Server.builder());
        try (FrameSocket first = FrameSocket.connect(server.port())) {
            await().atMost(WAIT).until(() -> server.connections().count() == 1);
            try (FrameSocket second = FrameSocket.connect(server.port())) {
                assertThat(second.read().text()).isEqualTo("full");
            }
            first.send(42, "nobody routes this");
            heardOnBoth(own, "accepted");
            heardOnBoth(own, "refused");
            heardOnBoth(own, "unknownMessage 42");
        }
        EndpointStats stats = server.stats();
        assertThat(stats.accepted()).isEqualTo(1);
        assertThat(stats.refused()).isEqualTo(1);
        assertThat(stats.unknownMessages()).isEqualTo(1);
        assertThat(rt.stats().refused()).isEqualTo(1);
    }

    @Test
    void oversizedAndMalformedFramesAreRejected() throws Exception {
        Recorder own = new Recorder();
        Server server = server(own, Servers.config().codec("tron").maxPacketSize(64), Server.builder());
        try (FrameSocket big = FrameSocket.connect(server.port(), Codecs.TRON)) {
            big.send(1, new String(new char[100]));
            assertThat(big.closedByPeer()).isTrue();
        }
        try (FrameSocket bad = FrameSocket.connect(server.port(), Codecs.TRON)) {
            byte[] frame = bad.encode(new Message(1, "x".getBytes()));
            frame[frame.length - 1] = 'X'; // a broken "\r\n" delimiter
            bad.sendRaw(frame);
            assertThat(bad.closedByPeer()).isTrue();
        }
        await().atMost(WAIT).until(() -> server.stats().framesRejected() == 2);
        assertThat(own.events.stream().filter("frameRejected"::equals)).hasSize(2);
        assertThat(rt.stats().framesRejected()).isEqualTo(2);
    }

    @Test
    void routerFailuresAndRouterTimings() throws Exception {
        Recorder own = new Recorder(true);
        Server server = server(own, Servers.config(), Server.builder()
                .route(1, r -> r.reply(1, r.data()))
                .route(2, r -> {
                    throw new IllegalStateException("boom");
                }));
        try (FrameSocket s = FrameSocket.connect(server.port())) {
            s.send(2, "fail");
            s.send(1, "ok");
            assertThat(s.read().text()).isEqualTo("ok");
        }
        heardOnBoth(own, "routerFailed boom");
        await().atMost(WAIT).until(() -> own.heard("routerTimed true"));
        assertThat(server.stats().routerFailures()).isEqualTo(1);
        // Only the listener that asked for timings hears them.
        assertThat(onRuntime.events).noneMatch(e -> e.startsWith("routerTimed"));
    }

    @Test
    void idleClose() throws Exception {
        Recorder own = new Recorder();
        Server server = server(own, Servers.config().heartbeatMax(Duration.ofMillis(200)), Server.builder());
        try (FrameSocket silent = FrameSocket.connect(server.port())) {
            assertThat(silent.closedByPeer()).isTrue();
        }
        heardOnBoth(own, "idleClosed");
        assertThat(server.stats().idleCloses()).isEqualTo(1);
    }

    @Test
    void readingPausedWhileTheWorkerIsFullThenResumed() throws Exception {
        Recorder own = new Recorder();
        CountDownLatch release = new CountDownLatch(1);
        Server server = server(own, Servers.config(), Server.builder().route(1, r -> {
            release.await();
            r.reply(1, r.data());
        }));
        try (FrameSocket s = FrameSocket.connect(server.port())) {
            // maxWorkerTaskLen is 2 on this runtime: the fourth request cannot be queued.
            for (int i = 0; i < 6; i++) s.send(1, "r" + i);
            heardOnBoth(own, "readingPaused WORKER_FULL");
            release.countDown();
            for (int i = 0; i < 6; i++) assertThat(s.read().text()).isEqualTo("r" + i);
            heardOnBoth(own, "readingResumed");
        } finally {
            release.countDown();
        }
        assertThat(server.stats().readPauses()).isPositive();
    }

    @Test
    void aPeerThatDoesNotReadPausesReadingThenIsCutOff() throws Exception {
        // Its own threads, routers on the IO thread: no full worker queue pauses reading here.
        Recorder own = new Recorder();
        Server server = Server.builder().eventListener(own).config(Servers.config().workerPoolSize(0)
                .writeBufferLowWaterMark(8 * 1024).writeBufferHighWaterMark(16 * 1024)
                .maxPendingWriteBytes(64 * 1024).build())
                .route(1, r -> r.reply(1, r.data()))
                // Pushes far more than the peer reads, without waiting for it.
                .route(2, r -> {
                    for (int i = 0; i < 400 && r.connection().isOpen(); i++) r.connection().send(new Message(3, new byte[64 * 1024]));
                })
                .build().start();
        try {
            try (Socket greedy = new Socket()) {
                greedy.setReceiveBufferSize(4096);
                greedy.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), server.port()));
                OutputStream out = greedy.getOutputStream();
                // Replies nobody reads: once the kernel's buffers are full and the high water mark is
                // passed, reading stops (and this writer blocks until the socket is closed).
                byte[] echo = frame(1, 1000);
                Thread writer = new Thread(() -> {
                    try {
                        for (int i = 0; i < 200_000; i++) out.write(echo);
                    } catch (java.io.IOException closedAtTheEnd) {
                        // the test closes the socket to end the writer
                    }
                });
                writer.setDaemon(true);
                writer.start();
                await().atMost(WAIT).until(() -> own.heard("readingPaused PEER_NOT_READING"));
            }
            try (Socket pushedTo = new Socket()) {
                pushedTo.setReceiveBufferSize(4096);
                pushedTo.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), server.port()));
                pushedTo.getOutputStream().write(frame(2, 0));
                await().atMost(WAIT).until(() -> own.heard("slowPeerCut"));
            }
            assertThat(server.stats().slowPeerCuts()).isPositive();
            assertThat(server.stats().readPauses()).isPositive();
        } finally {
            server.stop();
        }
    }

    /** An ltv-le frame: length and id little-endian, then the payload. */
    private static byte[] frame(int id, int length) {
        return ByteBuffer.allocate(8 + length).order(ByteOrder.LITTLE_ENDIAN).putInt(length).putInt(id).array();
    }

    @Test
    void clientEventsRequestTimeoutReconnectingAndGaveUp() throws Exception {
        Server server = server(new Recorder(), Servers.config().codec("paguma"), Server.builder().route(5, r -> { }));
        Recorder own = new Recorder();
        Client client = Client.builder().runtime(rt).eventListener(own)
                .config(PagumaConfig.builder().name("events-client").host("127.0.0.1").port(server.port()).codec("paguma")
                        .reconnectBase(Duration.ofMillis(20)).reconnectJitter(0).reconnectAttempts(1).build())
                .build();
        client.connect().orTimeout(10, TimeUnit.SECONDS).join();
        assertThat(client.request(5, new byte[0], Duration.ofMillis(100)))
                .failsWithin(WAIT).withThrowableOfType(java.util.concurrent.ExecutionException.class)
                .withCauseInstanceOf(java.util.concurrent.TimeoutException.class);
        heardOnBoth(own, "requestTimedOut 5");
        // The server goes away: one retry, refused, then the client gives up.
        server.stop();
        heardOnBoth(own, "reconnecting");
        heardOnBoth(own, "gaveUp");
        EndpointStats stats = client.stats();
        assertThat(stats.requestTimeouts()).isEqualTo(1);
        assertThat(stats.reconnects()).isGreaterThanOrEqualTo(1);
        assertThat(stats.gaveUp()).isEqualTo(1);
        assertThat(rt.stats().gaveUp()).isEqualTo(1);
    }
}
