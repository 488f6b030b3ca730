package io.paguma.hub;

import io.paguma.testing.LogCapture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** What a hostile or clumsy peer does to a hub, and what destroy leaves behind. */
class HubAbuseTest {
    private final List<NetHub> hubs = new ArrayList<>();
    private final List<Socket> sockets = new ArrayList<>();
    private final DictCodec dicts = new DictCodec();

    @AfterEach
    void close() throws IOException {
        for (Socket s : sockets) s.close();
        for (NetHub h : hubs) h.destroy();
    }

    private NetHub hub(String name) {
        NetHub h = NetHub.builder().name(name).config(io.paguma.PagumaConfig.builder().connectTimeout(Duration.ofSeconds(2)).build())
                .build();
        hubs.add(h);
        return h;
    }

    private Socket dial(int port) throws IOException {
        Socket s = new Socket(InetAddress.getLoopbackAddress(), port);
        s.setSoTimeout(10_000);
        sockets.add(s);
        return s;
    }




    @Test
    void aSecondLinkFromAPeerThatIsLinkedAlreadyIsRefusedAndLoggedTheFirstCarriesOn() throws Exception {
        NetHub hub = hub("hub-dup-peer");
        int port = hub.listen("127.0.0.1", 0).join().getPort();
        Socket first = dial(port);
        RawFrames.write(first.getOutputStream(), DataPack.HELLO, RawFrames.hello(42, 7777, null));
        assertThat(RawFrames.read(first.getInputStream()).getKey()).isEqualTo(DataPack.WELCOME);
        try (LogCapture logs = LogCapture.start()) {
            Socket second = dial(port);
            RawFrames.write(second.getOutputStream(), DataPack.HELLO, RawFrames.hello(42, 7777, null));
            Map.Entry<Integer, Map<String, Object>> answer = RawFrames.read(second.getInputStream());
            assertThat(answer.getKey()).isEqualTo(DataPack.REFUSE);
            assertThat(answer.getValue()).containsEntry("code", "duplicate");
            assertThat(second.getInputStream().read()).isEqualTo(-1);
            assertThat(logs.lines("hub-dup-peer", "127.0.0.1:7777 is linked already")).hasSize(1);
        }
        // The first link still carries dicts both ways.
        RawFrames.write(first.getOutputStream(), DataPack.DICT, dicts.encode(Map.of("still", "here")));
        Loop loop = new Loop(hub);
        assertThat(loop.untilCount(HubEvent.Type.RECEIVED, 1).get(0).peer()).isEqualTo("127.0.0.1:7777");
        hub.send("127.0.0.1", 7777, Map.of("back", 1)).get(10, TimeUnit.SECONDS);
        Map.Entry<Integer, Map<String, Object>> back = RawFrames.read(first.getInputStream());
        assertThat(back.getKey()).isEqualTo(DataPack.DICT);
        assertThat(back.getValue()).isEqualTo(Map.of("back", 1));
        assertThat(hub.linkedPeers()).containsExactly("127.0.0.1:7777");
    }

    @Test
    void aMalformedDictClosesOnlyItsLinkWithOneLogLine() throws Exception {
        NetHub hub = hub("hub-bad-dict");
        int port = hub.listen("127.0.0.1", 0).join().getPort();
        Socket good = dial(port);
        RawFrames.write(good.getOutputStream(), DataPack.HELLO, RawFrames.hello(1, 7001, null));
        RawFrames.read(good.getInputStream());
        Socket bad = dial(port);
        RawFrames.write(bad.getOutputStream(), DataPack.HELLO, RawFrames.hello(2, 7002, null));
        RawFrames.read(bad.getInputStream());
        try (LogCapture logs = LogCapture.start()) {
            RawFrames.write(bad.getOutputStream(), DataPack.DICT, new byte[] {(byte) 0xa1, 0x61, 'k', (byte) 0xc2, 0x41, 0});   // a tag
            assertThat(bad.getInputStream().read()).isEqualTo(-1);
            await().atMost(Duration.ofSeconds(10)).until(() -> !logs.lines("hub-bad-dict", "malformed dict").isEmpty());
            assertThat(logs.lines("hub-bad-dict", "malformed dict")).hasSize(1);
        }
        RawFrames.write(good.getOutputStream(), DataPack.DICT, dicts.encode(Map.of("ok", true)));
        Loop loop = new Loop(hub);
        loop.until(s -> loop.of(HubEvent.Type.RECEIVED).size() == 1 && loop.of(HubEvent.Type.DISCONNECTED).size() == 1);
        assertThat(loop.of(HubEvent.Type.RECEIVED).get(0).peer()).isEqualTo("127.0.0.1:7001");
        assertThat(loop.of(HubEvent.Type.DISCONNECTED).get(0).peer()).isEqualTo("127.0.0.1:7002");
    }

    @Test
    void framesThatBreakTheRulesCloseTheirLink() throws Exception {
        NetHub hub = hub("hub-rules");
        int port = hub.listen("127.0.0.1", 0).join().getPort();
        // A dict before any hello.
        Socket s1 = dial(port);
        RawFrames.write(s1.getOutputStream(), DataPack.DICT, dicts.encode(Map.of("a", 1)));
        assertThat(s1.getInputStream().read()).isEqualTo(-1);
        // A header size out of range.
        Socket s2 = dial(port);
        s2.getOutputStream().write(new byte[] {0, 2, 0, 0});
        assertThat(s2.getInputStream().read()).isEqualTo(-1);
        // An oversized data length (4 GiB - 1), refused from the header alone.
        Socket s3 = dial(port);
        s3.getOutputStream().write(new byte[] {0, 6, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, 0, 16});
        assertThat(s3.getInputStream().read()).isEqualTo(-1);
        // A frame of a kind the hub does not know, after a proper hello.
        Socket s4 = dial(port);
        RawFrames.write(s4.getOutputStream(), DataPack.HELLO, RawFrames.hello(9, 7009, null));
        RawFrames.read(s4.getInputStream());
        RawFrames.write(s4.getOutputStream(), 999, new byte[0]);
        assertThat(s4.getInputStream().read()).isEqualTo(-1);
        // A hello without a port.
        Socket s5 = dial(port);
        RawFrames.write(s5.getOutputStream(), DataPack.HELLO, dicts.encode(Map.of("nonce", 5L)));
        assertThat(RawFrames.read(s5.getInputStream()).getKey()).isEqualTo(DataPack.REFUSE);
        // A socket that never says hello is closed after connectTimeout (2 s here).
        Socket s6 = dial(port);
        long t0 = System.nanoTime();
        assertThat(s6.getInputStream().read()).isEqualTo(-1);
        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0)).isBetween(1_000L, 8_000L);
        // Through all of that the hub still links and delivers.
        NetHub other = hub("hub-rules-peer");
        other.send("127.0.0.1", port, Map.of("fine", true)).get(10, TimeUnit.SECONDS);
        Loop loop = new Loop(hub);
        loop.until(s -> loop.of(HubEvent.Type.RECEIVED).size() == 1);
    }

    @Test
    void aPeerThatBreaksFailsOnlyItsOwnSendsAndTheNextSendDialsAgain() throws Exception {
        NetHub a = NetHub.builder().name("hub-break-a").redialDelay(Duration.ofMillis(200)).build();
        hubs.add(a);
        NetHub b = hub("hub-break-b");
        NetHub c = hub("hub-break-c");
        int portB = b.listen("127.0.0.1", 0).join().getPort();
        int portC = c.listen("127.0.0.1", 0).join().getPort();
        a.send("127.0.0.1", portB, Map.of("n", 0)).get(10, TimeUnit.SECONDS);
        a.send("127.0.0.1", portC, Map.of("n", 0)).get(10, TimeUnit.SECONDS);
        b.destroy();
        Loop atA = new Loop(a);
        atA.until(s -> atA.of(HubEvent.Type.DISCONNECTED).size() == 1);
        assertThat(atA.of(HubEvent.Type.DISCONNECTED).get(0).peer()).isEqualTo("127.0.0.1:" + portB);
        // B is gone: a send to it dials, fails, and says why; C carries on meanwhile.
        CompletableFuture<Void> lost = a.send("127.0.0.1", portB, Map.of("n", 1));
        a.send("127.0.0.1", portC, Map.of("n", 1)).get(10, TimeUnit.SECONDS);
        assertThat(lost).failsWithin(Duration.ofSeconds(10)).withThrowableOfType(java.util.concurrent.ExecutionException.class)
                .withCauseInstanceOf(HubException.class).withMessageContaining("cannot reach 127.0.0.1:" + portB);
        Loop atC = new Loop(c);
        atC.until(s -> atC.of(HubEvent.Type.RECEIVED).size() == 2);
        // B comes back on its port: after redialDelay the next send dials it again.
        NetHub b2 = hub("hub-break-b2");
        b2.listen("127.0.0.1", portB).join();
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(50)).until(() -> {
            CompletableFuture<Void> f = a.send("127.0.0.1", portB, Map.of("n", 2));
            try {
                f.get(10, TimeUnit.SECONDS);
                return true;
            } catch (java.util.concurrent.ExecutionException e) {
                return false;
            }
        });
        Loop atB2 = new Loop(b2);
        atB2.until(s -> !atB2.of(HubEvent.Type.RECEIVED).isEmpty());
        assertThat(atB2.dicts().get(0)).isEqualTo(Map.of("n", 2));
    }

    @Test
    void destroyLeavesNoThreadAndNoSocket() throws Exception {
        // The JVM and Netty open a socket or two once per process (to probe what the OS
        // supports): a first hub, made and destroyed, leaves those behind before counting.
        NetHub warmUp = NetHub.builder().name("hub-warm-up").build();
        int warmPort = warmUp.listen("127.0.0.1", 0).join().getPort();
        NetHub warmPeer = NetHub.builder().name("hub-warm-up-peer").build();
        warmPeer.send("127.0.0.1", warmPort, Map.of("x", 1)).get(10, TimeUnit.SECONDS);
        warmPeer.destroy();
        warmUp.destroy();
        long socketsBefore = openSockets();
        NetHub a = NetHub.builder().name("hub-gone-a").build();
        NetHub b = NetHub.builder().name("hub-gone-b").build();
        int portA = a.listen("127.0.0.1", 0).join().getPort();
        int portB = b.listen("127.0.0.1", 0).join().getPort();
        a.send("127.0.0.1", portB, Map.of("x", 1)).get(10, TimeUnit.SECONDS);
        b.send("127.0.0.1", portA, Map.of("y", 1)).get(10, TimeUnit.SECONDS);
        // And typed connections: a manager listening, another connected to it.
        ConnectionFactory types = new ConnectionFactory().registerListenable("server", HubConnection::new, "session")
                .register("session", HubConnection::new).register("client", HubConnection::new);
        ConnectionMgr m1 = ConnectionMgr.builder(types).name("hub-gone-m1").build();
        ConnectionMgr m2 = ConnectionMgr.builder(types).name("hub-gone-m2").build();
        int server = m1.createConnection("server");
        int mport = m1.listen(server, "127.0.0.1", 0).join().getPort();
        int client = m2.createConnection("client");
        m2.connect(client, "127.0.0.1", mport).get(10, TimeUnit.SECONDS);
        m2.send(client, Map.of("z", 1)).get(10, TimeUnit.SECONDS);
        assertThat(threads("hub-gone-")).isNotEmpty();
        assertThat(openSockets()).isGreaterThanOrEqualTo(socketsBefore + 7);   // three listeners, both ends of two links
        a.destroy();
        b.destroy();
        m1.destroy();
        m2.destroy();
        assertThat(threads("hub-gone-")).isEmpty();
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(openSockets()).as(() -> describeSockets())
                .isLessThanOrEqualTo(socketsBefore));
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> a.send("127.0.0.1", portB, Map.of()))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("destroyed");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> a.listen("127.0.0.1", 0))
                .isInstanceOf(IllegalStateException.class);
    }

    private static List<String> threads(String part) {
        List<String> out = new ArrayList<>();
        for (Thread t : Thread.getAllStackTraces().keySet()) if (t.isAlive() && t.getName().contains(part)) out.add(t.getName());
        return out;
    }

    /** The sockets open now, with their lines of /proc/net/{tcp,tcp6,udp,udp6}. */
    private static String describeSockets() {
        StringBuilder b = new StringBuilder();
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            for (Path p : (Iterable<Path>) fds::iterator) {
                String link;
                try {
                    link = Files.readSymbolicLink(p).toString();
                } catch (IOException e) {
                    continue;
                }
                if (!link.startsWith("socket:")) continue;
                String inode = link.substring(8, link.length() - 1);
                b.append(p.getFileName()).append(' ').append(link);
                for (String table : List.of("tcp", "tcp6", "udp", "udp6", "unix", "netlink", "raw", "raw6")) {
                    for (String line : Files.readAllLines(Path.of("/proc/net/" + table))) {
                        if (line.contains(" " + inode + " ")) b.append(" ").append(table).append(": ").append(line.trim());
                    }
                }
                b.append('\n');
            }
        } catch (IOException e) {
            b.append(e);
        }
        return b.toString();
    }

    /** Sockets this JVM has open, from /proc/self/fd. */
    private static long openSockets() throws IOException {
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            return fds.filter(p -> {
                try {
                    return Files.readSymbolicLink(p).toString().startsWith("socket:");
                } catch (IOException e) {
                    return false;
                }
            }).count();
        }
    }
}
