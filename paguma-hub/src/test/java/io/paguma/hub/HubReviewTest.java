package io.paguma.hub;

import io.paguma.PagumaConfig;
import io.paguma.testing.LogCapture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/** The defects a review of the hub found (issue 12), each kept as a test of the fixed behaviour. */
class HubReviewTest {
    private final List<AutoCloseable> toClose = new ArrayList<>();
    private final DictCodec dicts = new DictCodec();

    @AfterEach
    void tearDown() throws Exception {
        for (int i = toClose.size() - 1; i >= 0; i--) toClose.get(i).close();
    }

    private static PagumaConfig config() {
        return PagumaConfig.builder().connectTimeout(Duration.ofMillis(500)).warnInterval(Duration.ofSeconds(30)).build();
    }

    private NetHub hub(String name, Duration redial) {
        NetHub h = NetHub.builder().name(name).config(config()).redialDelay(redial).build();
        toClose.add(h);
        return h;
    }

    private Socket dial(int port) throws IOException {
        Socket s = new Socket(InetAddress.getLoopbackAddress(), port);
        s.setSoTimeout(5_000);
        toClose.add(s);
        return s;
    }




    /** Review 1: a peer that takes the socket but never answers the hello no longer holds the dial forever. */
    @Test
    void aPeerThatNeverWelcomesCountsAsUnreachableAfterConnectTimeout() throws Exception {
        ServerSocket mute = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());   // never accept(): the backlog completes TCP
        toClose.add(mute);
        NetHub hub = hub("hub-mute", Duration.ofMillis(100));
        CompletableFuture<Void> f = hub.send("127.0.0.1", mute.getLocalPort(), Map.of("a", 1));
        assertThatThrownBy(() -> f.get(5, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                .hasCauseInstanceOf(HubException.class).hasMessageContaining("cannot reach 127.0.0.1:" + mute.getLocalPort());
        ConnectionMgr mgr = ConnectionMgr.builder(new ConnectionFactory().register("c", HubConnection::new)).config(config()).build();
        toClose.add(mgr);
        int id = mgr.createConnection("c");
        CompletableFuture<Void> done = mgr.connect(id, "127.0.0.1", mute.getLocalPort());
        assertThatThrownBy(() -> done.get(5, TimeUnit.SECONDS)).hasCauseInstanceOf(HubException.class);
        assertThat(mgr.connection(id).state()).isEqualTo(HubConnection.State.IDLE);
    }

    /** Review 5: accepted connections end with their links; the manager does not keep them. */
    @Test
    void acceptedConnectionsAreForgottenOnceTheirLinksEnd() throws Exception {
        ConnectionMgr mgr = ConnectionMgr.builder(new ConnectionFactory()
                .registerListenable("server", HubConnection::new, "session")
                .register("session", HubConnection::new)).config(config()).build();
        toClose.add(mgr);
        int server = mgr.createConnection("server");
        int port = mgr.listen(server, "127.0.0.1", 0).join().getPort();
        int n = 50;
        for (int i = 0; i < n; i++) {
            try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
                s.setSoTimeout(5_000);
                RawFrames.write(s.getOutputStream(), DataPack.HELLO, RawFrames.hello(i + 1, 0, null));
                assertThat(RawFrames.read(s.getInputStream()).getKey()).isEqualTo(DataPack.WELCOME);
            }
        }
        Loop loop = new Loop(mgr::update);
        loop.untilCount(HubEvent.Type.DISCONNECTED, n);
        assertThat(mgr.ids()).containsExactly(server);
    }

    /** Review 2 and 3: an IP a hello claims is not believed, and no name in it is looked up. */
    @Test
    void aHelloCannotClaimAnotherAddress() throws Exception {
        NetHub hub = hub("hub-spoof", Duration.ofMillis(100));
        int port = hub.listen("127.0.0.1", 0).join().getPort();
        Socket s = dial(port);
        RawFrames.write(s.getOutputStream(), DataPack.HELLO, RawFrames.hello(9, 7001, "10.20.30.40"));
        assertThat(RawFrames.read(s.getInputStream()).getKey()).isEqualTo(DataPack.WELCOME);
        Socket t = dial(port);
        RawFrames.write(t.getOutputStream(), DataPack.HELLO, RawFrames.hello(10, 7002, "some.host.invalid"));
        assertThat(RawFrames.read(t.getInputStream()).getKey()).isEqualTo(DataPack.WELCOME);
        assertThat(hub.linkedPeers()).containsExactlyInAnyOrder("127.0.0.1:7001", "127.0.0.1:7002");
        assertThat(hub.isLinked("10.20.30.40", 7001)).isFalse();
    }

    /**
     * Review 7: a peer that restarted (a new nonce) replaces its own dead link instead of being
     * locked out, once that link has been quiet for connectTimeout (500 ms here); attack 2: while
     * the old link is alive, a hello with another nonce is refused.
     */
    @Test
    void aRestartedPeerReplacesItsOldLinkOnceThatIsQuiet() throws Exception {
        NetHub hub = hub("hub-restart", Duration.ofMillis(100));
        int port = hub.listen("127.0.0.1", 0).join().getPort();
        Socket old = dial(port);                       // stands for a half-open link of a crashed process
        RawFrames.write(old.getOutputStream(), DataPack.HELLO, RawFrames.hello(111, 7001, null));
        RawFrames.read(old.getInputStream());
        // While the old link carries dicts, another nonce from its address is refused.
        java.util.concurrent.ScheduledExecutorService traffic = java.util.concurrent.Executors.newSingleThreadScheduledExecutor();
        try {
            traffic.scheduleAtFixedRate(() -> {
                try {
                    RawFrames.write(old.getOutputStream(), DataPack.DICT, dicts.encode(Map.of("alive", true)));
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }, 0, 50, TimeUnit.MILLISECONDS);
            for (int i = 0; i < 5; i++) {
                Socket intruder = dial(port);
                RawFrames.write(intruder.getOutputStream(), DataPack.HELLO, RawFrames.hello(333 + i, 7001, null));
                Map.Entry<Integer, Map<String, Object>> answer = RawFrames.read(intruder.getInputStream());
                assertThat(answer.getKey()).isEqualTo(DataPack.REFUSE);
                assertThat(answer.getValue()).containsEntry("code", "duplicate");
            }
        } finally {
            traffic.shutdownNow();
            traffic.awaitTermination(5, TimeUnit.SECONDS);
        }
        // The old link goes quiet (its process "crashed"): the restarted peer's hello is taken.
        Socket[] restarted = new Socket[1];
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100)).until(() -> {
            Socket s = dial(port);
            RawFrames.write(s.getOutputStream(), DataPack.HELLO, RawFrames.hello(222, 7001, null));
            if (RawFrames.read(s.getInputStream()).getKey() != DataPack.WELCOME) return false;
            restarted[0] = s;
            return true;
        });
        assertThat(old.getInputStream().read()).isEqualTo(-1);
        hub.send("127.0.0.1", 7001, Map.of("to", "new")).get(5, TimeUnit.SECONDS);
        assertThat(RawFrames.read(restarted[0].getInputStream()).getValue()).containsEntry("to", "new");
        // The same nonce again is a duplicate, as before.
        Socket dup = dial(port);
        RawFrames.write(dup.getOutputStream(), DataPack.HELLO, RawFrames.hello(222, 7001, null));
        assertThat(RawFrames.read(dup.getInputStream()).getValue()).containsEntry("code", "duplicate");
    }

    /** Attack 3: a hello's integers in CBOR's shortest form (as any CBOR library writes them) are taken. */
    @Test
    void aHelloWithSmallIntegersInTheirShortestFormIsWelcomed() throws Exception {
        NetHub hub = hub("hub-small-nonce", Duration.ofMillis(100));
        int port = hub.listen("127.0.0.1", 0).join().getPort();
        for (int nonce : new int[] {0, 1, 777, -5, Integer.MAX_VALUE}) {
            Socket s = dial(port);
            Map<String, Object> h = new LinkedHashMap<>();
            h.put("nonce", nonce);                       // an Integer: CBOR's shortest form on the wire
            h.put("port", 7100 + (nonce & 0xff));
            RawFrames.write(s.getOutputStream(), DataPack.HELLO, dicts.encode(h));
            assertThat(RawFrames.read(s.getInputStream()).getKey()).as("nonce %d", nonce).isEqualTo(DataPack.WELCOME);
        }
    }

    /** Review 6: peers that could not be reached are forgotten once their backoff has passed. */
    @Test
    void peersThatCouldNotBeReachedAreForgotten() throws Exception {
        NetHub hub = hub("hub-dead", Duration.ofMillis(1));
        for (int i = 0; i < 20; i++) {
            int port;
            try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
                port = s.getLocalPort();   // closed again: connecting to it is refused
            }
            assertThatThrownBy(() -> hub.send("127.0.0.1", port, Map.of("x", 1)).get(5, TimeUnit.SECONDS))
                    .isInstanceOf(ExecutionException.class);
        }
        java.lang.reflect.Field f = NetHub.class.getDeclaredField("peers");
        f.setAccessible(true);
        Map<?, ?> peers = (Map<?, ?>) f.get(hub);
        assertThat(peers).hasSize(20);
        // update() sweeps at most once a second.
        await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(50)).until(() -> {
            hub.update();
            return peers.isEmpty();
        });
    }

    /** Review 9: a peer cannot flood the log: one line per kind per warnInterval, with a count. */
    @Test
    void badConnectionsAreLoggedAtMostOncePerWarnInterval() throws Exception {
        NetHub hub = hub("hub-logs", Duration.ofMillis(100));
        int port = hub.listen("127.0.0.1", 0).join().getPort();
        try (LogCapture logs = LogCapture.start()) {
            for (int i = 0; i < 200; i++) {
                try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
                    s.setSoTimeout(5_000);
                    RawFrames.write(s.getOutputStream(), DataPack.DICT, dicts.encode(Map.of("x", 1)));   // a dict before its hello
                    assertThat(s.getInputStream().read()).isEqualTo(-1);
                }
            }
            assertThat(logs.lines("hub-logs", "before its hello")).hasSize(1);
        }
    }

    /** Second review 1: an accepted connection cannot be dialled or listened with (it ends with its link). */
    @Test
    void anAcceptedConnectionCannotConnectOrListen() throws Exception {
        ConnectionMgr mgr = ConnectionMgr.builder(new ConnectionFactory()
                .registerListenable("server", HubConnection::new, "session")
                .registerListenable("session", HubConnection::new, "session")).config(config()).build();
        toClose.add(mgr);
        int port = mgr.listen(mgr.createConnection("server"), "127.0.0.1", 0).join().getPort();
        Socket s = dial(port);
        RawFrames.write(s.getOutputStream(), DataPack.HELLO, RawFrames.hello(1, 0, null));
        RawFrames.read(s.getInputStream());
        Loop loop = new Loop(mgr::update);
        int session = loop.untilCount(HubEvent.Type.CONNECTED, 1).get(0).connectionId();
        assertThatThrownBy(() -> mgr.connect(session, "127.0.0.1", port)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("was accepted");
        assertThatThrownBy(() -> mgr.listen(session, "127.0.0.1", 0)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("was accepted");
    }

    /** Second review 5: destroy wakes a loop waiting in update(maxWait); a wait of "forever" is allowed. */
    @Test
    void destroyWakesALoopWaitingInUpdate() throws Exception {
        NetHub hub = hub("hub-wake-on-destroy", Duration.ofMillis(100));
        CompletableFuture<List<HubEvent>> waiting = CompletableFuture.supplyAsync(
                () -> hub.update(java.time.temporal.ChronoUnit.FOREVER.getDuration()));
        await().atMost(Duration.ofSeconds(5)).until(() -> {
            // The waiter has parked once it is registered; destroy must end its wait.
            java.lang.reflect.Field f = Links.class.getDeclaredField("waiter");
            f.setAccessible(true);
            java.lang.reflect.Field l = NetHub.class.getDeclaredField("links");
            l.setAccessible(true);
            return f.get(l.get(hub)) != null;
        });
        hub.destroy();
        assertThat(waiting.get(10, TimeUnit.SECONDS)).isEmpty();
    }
}
