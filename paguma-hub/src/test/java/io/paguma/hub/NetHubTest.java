package io.paguma.hub;

import io.paguma.testing.LogCapture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class NetHubTest {
    private final List<NetHub> hubs = new ArrayList<>();

    @AfterEach
    void destroyHubs() {
        for (NetHub h : hubs) h.destroy();
    }

    private NetHub hub(String name) {
        NetHub h = NetHub.builder().name(name).build();
        hubs.add(h);
        return h;
    }

    private static int listen(NetHub hub) {
        return hub.listen("127.0.0.1", 0).join().getPort();
    }

    @Test
    void sendsBeforeTheLinkIsUpArriveInOrderTaggedWithTheSendersListenAddress() {
        NetHub a = hub("hub-a");
        NetHub b = hub("hub-b");
        int portA = listen(a);
        int portB = listen(b);
        List<CompletableFuture<Void>> sent = new ArrayList<>();
        for (int i = 0; i < 500; i++) sent.add(a.send("127.0.0.1", portB, Map.of("i", i)));
        Loop atB = new Loop(b);
        atB.untilCount(HubEvent.Type.RECEIVED, 500);
        for (int i = 0; i < 500; i++) assertThat(atB.dicts().get(i)).isEqualTo(Map.of("i", i));
        for (HubEvent e : atB.of(HubEvent.Type.RECEIVED)) assertThat(e.peer()).isEqualTo("127.0.0.1:" + portA);
        assertThat(atB.of(HubEvent.Type.CONNECTED)).singleElement().extracting(HubEvent::port).isEqualTo(portA);
        CompletableFuture.allOf(sent.toArray(new CompletableFuture[0])).join();

        // The reply goes back on the same link: no second one.
        b.send("127.0.0.1", portA, Map.of("reply", "ok")).join();
        Loop atA = new Loop(a);
        atA.untilCount(HubEvent.Type.RECEIVED, 1);
        assertThat(atA.dicts()).containsExactly(Map.of("reply", "ok"));
        assertThat(a.linkedPeers()).containsExactly("127.0.0.1:" + portB);
        assertThat(b.linkedPeers()).containsExactly("127.0.0.1:" + portA);
    }

    @Test
    void listeningTwiceOnAPortIsReportedAndTheFirstListenerCarriesOn() throws Exception {
        NetHub a = hub("hub-dup-listen");
        int port = listen(a);
        try (LogCapture logs = LogCapture.start()) {
            CompletableFuture<InetSocketAddress> again = a.listen("127.0.0.1", port);
            assertThat(again).isCompletedExceptionally();
            assertThatThrownBy(again::join).hasCauseInstanceOf(HubException.class)
                    .hasMessageContaining("listens on port " + port + " already");
            assertThat(logs.lines("hub-dup-listen", "cannot listen", String.valueOf(port))).hasSize(1);
        }
        Loop loop = new Loop(a);
        assertThat(loop.untilCount(HubEvent.Type.ERROR, 1).get(0).port()).isEqualTo(port);
        NetHub b = hub("hub-dup-listen-b");
        b.send("127.0.0.1", port, Map.of("still", true)).get(10, TimeUnit.SECONDS);
        loop.untilCount(HubEvent.Type.RECEIVED, 1);
        assertThat(a.listenAddresses()).hasSize(1);
    }

    @Test
    void aPortAnotherProcessHoldsIsReportedNotThrown() throws Exception {
        NetHub a = hub("hub-busy-port");
        try (ServerSocket taken = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            CompletableFuture<InetSocketAddress> f = a.listen("127.0.0.1", taken.getLocalPort());
            assertThatThrownBy(f::join).hasCauseInstanceOf(HubException.class).hasMessageContaining("cannot listen");
        }
        assertThat(new Loop(a).untilCount(HubEvent.Type.ERROR, 1)).hasSize(1);
    }

    @Test
    void anUnreachablePeerFailsOnlyItsOwnSends() throws Exception {
        NetHub a = hub("hub-unreach-a");
        NetHub b = hub("hub-unreach-b");
        int portB = listen(b);
        int dead;
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            dead = s.getLocalPort();
        }
        List<CompletableFuture<Void>> toDead = new ArrayList<>();
        List<CompletableFuture<Void>> toB = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            toDead.add(a.send("127.0.0.1", dead, Map.of("i", i)));
            toB.add(a.send("127.0.0.1", portB, Map.of("i", i)));
        }
        for (CompletableFuture<Void> f : toDead) {
            assertThatThrownBy(() -> f.get(10, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                    .hasCauseInstanceOf(HubException.class).hasMessageContaining("cannot reach 127.0.0.1:" + dead);
        }
        CompletableFuture.allOf(toB.toArray(new CompletableFuture[0])).get(10, TimeUnit.SECONDS);
        Loop atA = new Loop(a);
        assertThat(atA.untilCount(HubEvent.Type.ERROR, 1).get(0).peer()).isEqualTo("127.0.0.1:" + dead);
        // Within redialDelay a further send fails at once, naming the cause; other peers are untouched.
        assertThat(a.send("127.0.0.1", dead, Map.of("x", 1))).isCompletedExceptionally();
        a.send("127.0.0.1", portB, Map.of("i", 50)).get(10, TimeUnit.SECONDS);
        Loop atB = new Loop(b);
        atB.untilCount(HubEvent.Type.RECEIVED, 51);
    }

    @Test
    void aFullQueueFailsTheSendThatDoesNotFit() {
        NetHub a = NetHub.builder().name("hub-full").maxPending(3).build();
        hubs.add(a);
        int blackHole;
        // A peer that accepts but never answers the hello: the dicts wait.
        try (ServerSocket s = new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress())) {
            blackHole = s.getLocalPort();
            List<CompletableFuture<Void>> f = new ArrayList<>();
            for (int i = 0; i < 4; i++) f.add(a.send("127.0.0.1", blackHole, Map.of("i", i)));
            assertThat(f.get(3)).isCompletedExceptionally();
            assertThatThrownBy(f.get(3)::join).hasMessageContaining("is full (3, hub.maxPending)");
            assertThat(f.subList(0, 3)).allMatch(x -> !x.isDone());
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void simultaneousDialsEndWithOneLinkAndEveryDictDelivered() {
        for (int round = 0; round < 20; round++) {
            NetHub a = hub("hub-sim-a" + round);
            NetHub b = hub("hub-sim-b" + round);
            int portA = listen(a);
            int portB = listen(b);
            CompletableFuture<Void> fa = a.send("127.0.0.1", portB, Map.of("from", "a"));
            CompletableFuture<Void> fb = b.send("127.0.0.1", portA, Map.of("from", "b"));
            CompletableFuture.allOf(fa, fb).orTimeout(10, TimeUnit.SECONDS).join();
            Loop atA = new Loop(a);
            Loop atB = new Loop(b);
            atA.untilCount(HubEvent.Type.RECEIVED, 1);
            atB.untilCount(HubEvent.Type.RECEIVED, 1);
            assertThat(atA.dicts()).containsExactly(Map.of("from", "b"));
            assertThat(atB.dicts()).containsExactly(Map.of("from", "a"));
            assertThat(a.linkedPeers()).containsExactly("127.0.0.1:" + portB);
            assertThat(b.linkedPeers()).containsExactly("127.0.0.1:" + portA);
            // Exactly one socket between them: each side sees one link made and none lost.
            atA.until(s -> true);
            atB.until(s -> true);
            assertThat(atA.of(HubEvent.Type.CONNECTED)).hasSize(1);
            assertThat(atB.of(HubEvent.Type.CONNECTED)).hasSize(1);
            assertThat(atA.of(HubEvent.Type.DISCONNECTED)).isEmpty();
            a.destroy();
            b.destroy();
        }
    }

    @Test
    void anApplicationThatFallsBehindHoldsItsPeersBackInsteadOfQueueingWithoutEnd() {
        NetHub slow = NetHub.builder().name("hub-slow-app").maxQueued(100).build();
        hubs.add(slow);
        List<io.paguma.EndpointListener.PauseCause> pauses = new java.util.concurrent.CopyOnWriteArrayList<>();
        slow.runtime().addEventListener(new io.paguma.EndpointListener() {
            @Override
            public void readingPaused(io.paguma.Connection connection, PauseCause cause) {
                pauses.add(cause);
            }
        });
        NetHub fast = hub("hub-flooder");
        int port = listen(slow);
        byte[] pad = new byte[180];
        int n = 10_000;                    // about 2 MB
        fast.send("127.0.0.1", port, Map.of("i", 0, "pad", pad)).join();     // the link is up: nothing waits in hub.maxPending
        List<CompletableFuture<Void>> sent = new ArrayList<>();
        for (int i = 1; i < n; i++) sent.add(fast.send("127.0.0.1", port, Map.of("i", i, "pad", pad)));
        assertThat(sent).noneMatch(CompletableFuture::isCompletedExceptionally);
        // The slow application does not call update(): once 100 events wait, its link stops
        // reading (what one read burst already holds is still delivered); TCP holds the rest.
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10))
                .until(() -> pauses.contains(io.paguma.EndpointListener.PauseCause.APPLICATION));
        List<HubEvent> first = slow.update();
        assertThat(first.size()).as("events queued while the application did not update").isBetween(100, n - 1);
        // Once it updates again, everything arrives, in order.
        Loop loop = new Loop(slow);
        loop.seen.addAll(first);
        loop.untilCount(HubEvent.Type.RECEIVED, n);
        List<Map<String, Object>> got = loop.dicts();
        for (int i = 0; i < n; i++) assertThat(got.get(i).get("i")).isEqualTo(i);
        assertThat(fast.linkedPeers()).containsExactly("127.0.0.1:" + port);
    }

    @Test
    void updateWithAWaitReturnsAsSoonAsSomethingHappensAndAtTheLatestAfterTheWait() throws Exception {
        NetHub a = hub("hub-wait-a");
        NetHub b = hub("hub-wait-b");
        int portB = listen(b);
        long t0 = System.nanoTime();
        assertThat(b.update(java.time.Duration.ofMillis(200))).isEmpty();
        assertThat(System.nanoTime() - t0).isGreaterThanOrEqualTo(TimeUnit.MILLISECONDS.toNanos(190));
        // A loop that waits up to a minute is woken by the first event.
        CompletableFuture<List<HubEvent>> woken = CompletableFuture.supplyAsync(() -> b.update(java.time.Duration.ofMinutes(1)));
        a.send("127.0.0.1", portB, Map.of("wake", true)).get(10, TimeUnit.SECONDS);
        List<HubEvent> first = woken.get(10, TimeUnit.SECONDS);
        assertThat(first).isNotEmpty();
        Loop loop = new Loop(b);
        loop.seen.addAll(first);
        assertThat(loop.untilCount(HubEvent.Type.RECEIVED, 1).get(0).dict()).isEqualTo(Map.of("wake", true));
        // An interrupt ends the wait and stays set.
        CompletableFuture<Boolean> interrupted = new CompletableFuture<>();
        Thread waiter = new Thread(() -> {
            b.update(java.time.Duration.ofMinutes(1));
            interrupted.complete(Thread.currentThread().isInterrupted());
        });
        waiter.start();
        waiter.interrupt();
        assertThat(interrupted.get(10, TimeUnit.SECONDS)).isTrue();
    }
}
