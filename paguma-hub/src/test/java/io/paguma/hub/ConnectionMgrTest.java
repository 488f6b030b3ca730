package io.paguma.hub;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ConnectionMgrTest {
    private final List<ConnectionMgr> mgrs = new ArrayList<>();
    /** What the callbacks saw, and on which thread. */
    private static final List<String> calls = new CopyOnWriteArrayList<>();

    @AfterEach
    void destroy() {
        for (ConnectionMgr m : mgrs) m.destroy();
        calls.clear();
    }

    /** The seed's client (§2.6): connects, sends on success, closes once it receives. */
    static class SeedClient extends HubConnection {
        @Override
        protected void onConnect() {
            calls.add("client connected on " + Thread.currentThread().getName());
            send(Map.of("hello", "server"));
        }

        @Override
        protected void onReceive(Map<String, Object> dict) {
            calls.add("client received " + dict);
            close();
        }

        @Override
        protected void onDisconnect(Throwable cause) {
            calls.add("client disconnected");
        }
    }

    /** The seed's server side (§2.6): receives, replies, waits for the peer to close. */
    static class SeedSession extends HubConnection {
        @Override
        protected void onConnect() {
            calls.add("session connected from " + targetIp());
        }

        @Override
        protected void onReceive(Map<String, Object> dict) {
            calls.add("session received " + dict);
            send(Map.of("reply", dict.get("hello")));
        }

        @Override
        protected void onDisconnect(Throwable cause) {
            calls.add("session disconnected");
        }
    }

    private ConnectionMgr mgr(String name, ConnectionFactory f) {
        ConnectionMgr m = ConnectionMgr.builder(f).name(name).build();
        mgrs.add(m);
        return m;
    }

    private static ConnectionFactory types() {
        return new ConnectionFactory()
                .registerListenable("server", HubConnection::new, "session")
                .register("session", SeedSession::new)
                .register("client", SeedClient::new);
    }

    @Test
    void theSeedsOwnTestPlanClientConnectsSendsReceivesAndClosesServerRepliesAndSeesTheClose() {
        ConnectionMgr serverSide = mgr("mgr-server", types());
        ConnectionMgr clientSide = mgr("mgr-client", types());
        int server = serverSide.createConnection("server");
        int port = serverSide.listen(server, "127.0.0.1", 0).join().getPort();
        assertThat(serverSide.connection(server).state()).isEqualTo(HubConnection.State.LISTENING);

        int client = clientSide.createConnection("127.0.0.1", port, Map.of("type", "client", "user", "ada"));
        assertThat(clientSide.connection(client).createData()).containsEntry("user", "ada");
        clientSide.connect(client).orTimeout(10, TimeUnit.SECONDS).join();

        Loop serverLoop = new Loop(serverSide::update);
        Loop clientLoop = new Loop(clientSide::update);
        clientLoop.untilCount(HubEvent.Type.CONNECTED, 1);        // onConnect sends
        serverLoop.untilCount(HubEvent.Type.RECEIVED, 1);         // the session replies
        clientLoop.untilCount(HubEvent.Type.RECEIVED, 1);         // the client closes
        assertThat(clientSide.connection(client).state()).isEqualTo(HubConnection.State.IDLE);
        serverLoop.untilCount(HubEvent.Type.DISCONNECTED, 1);     // the session sees it

        assertThat(calls).containsSubsequence("client connected on " + Thread.currentThread().getName(),
                "client received {reply=server}");
        assertThat(calls).containsSubsequence("session connected from 127.0.0.1", "session received {hello=server}",
                "session disconnected");
        // close(id) is the application's own: no onDisconnect for it.
        assertThat(calls).doesNotContain("client disconnected");
        int session = serverLoop.of(HubEvent.Type.CONNECTED).get(0).connectionId();
        assertThat(session).isNotEqualTo(server);
        // An accepted connection ends with its link: once its onDisconnect has run, the manager forgets it.
        assertThat(serverSide.ids()).containsExactly(server);
        assertThatThrownBy(() -> serverSide.connection(session)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void everyOperationChecksTheState() {
        ConnectionMgr m = mgr("mgr-states", types());
        assertThatThrownBy(() -> m.createConnection("nope")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'nope' is not registered");
        int client = m.createConnection("client");
        assertThatThrownBy(() -> m.listen(client, "127.0.0.1", 0)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("type 'client' is not listenable");
        assertThatThrownBy(() -> m.send(client, Map.of("a", 1))).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("connect it first");
        assertThatThrownBy(() -> m.connect(client)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("has no target");
        assertThatThrownBy(() -> m.send(999, Map.of())).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("no connection #999");
        assertThatThrownBy(() -> m.createConnection("127.0.0.1", 1, Map.of("user", "x")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("dict key \"type\"");

        int server = m.createConnection("server");
        int port = m.listen(server, "127.0.0.1", 0).join().getPort();
        assertThatThrownBy(() -> m.listen(server, "127.0.0.1", 0)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("it is LISTENING, not IDLE");
        assertThatThrownBy(() -> m.send(server, Map.of())).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("it listens");
        // A second listener on the same port: reported, the first carries on.
        int other = m.createConnection("server");
        assertThatThrownBy(() -> m.listen(other, "127.0.0.1", port).join()).hasCauseInstanceOf(HubException.class)
                .hasMessageContaining("listens on it already");
        assertThat(m.connection(other).state()).isEqualTo(HubConnection.State.IDLE);

        m.connect(client, "127.0.0.1", port).orTimeout(10, TimeUnit.SECONDS).join();
        assertThatThrownBy(() -> m.connect(client, "127.0.0.1", port)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("it is CONNECTED, not IDLE");

        m.destroy();
        assertThatThrownBy(() -> m.createConnection("client")).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("destroyed");
        assertThatThrownBy(() -> m.send(client, Map.of())).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> m.connect(client)).isInstanceOf(IllegalStateException.class);
        assertThat(m.connection(client).state()).isEqualTo(HubConnection.State.DESTROYED);
    }

    @Test
    void closeResetsTheConnectionSoTheSameIdConnectsAndListensAgain() {
        ConnectionFactory plain = new ConnectionFactory().registerListenable("server", HubConnection::new, "session")
                .register("session", HubConnection::new).register("client", HubConnection::new);
        ConnectionMgr a = mgr("mgr-reuse-a", plain);
        ConnectionMgr b = mgr("mgr-reuse-b", plain);
        int server = b.createConnection("server");
        int port = b.listen(server, "127.0.0.1", 0).join().getPort();
        b.close(server);
        assertThat(b.connection(server).state()).isEqualTo(HubConnection.State.IDLE);
        // Listening again with the same id, on the same port.
        assertThat(b.listen(server, "127.0.0.1", port).join().getPort()).isEqualTo(port);

        int c = a.createConnection("client");
        Loop bLoop = new Loop(b::update);
        for (int round = 0; round < 3; round++) {
            a.connect(c, "127.0.0.1", port).orTimeout(10, TimeUnit.SECONDS).join();
            a.send(c, Map.of("round", round)).orTimeout(10, TimeUnit.SECONDS).join();
            int r = round;
            bLoop.until(s -> s.stream().anyMatch(e -> e.type() == HubEvent.Type.RECEIVED
                    && Integer.valueOf(r).equals(e.dict().get("round"))));
            a.close(c);
            assertThat(a.connection(c).state()).isEqualTo(HubConnection.State.IDLE);
            assertThat(a.connection(c).id()).isEqualTo(c);
        }
        assertThat(bLoop.untilCount(HubEvent.Type.DISCONNECTED, 3)).hasSize(3);
        assertThat(a.ids()).containsExactly(c);
    }

    @Test
    void sendsWhileConnectingWaitAndGoOutInOrder() {
        ConnectionMgr a = mgr("mgr-order-a", types());
        ConnectionMgr b = mgr("mgr-order-b", new ConnectionFactory()
                .registerListenable("server", HubConnection::new, "session").register("session", HubConnection::new));
        int server = b.createConnection("server");
        int port = b.listen(server, "127.0.0.1", 0).join().getPort();
        int c = a.createConnection("client");
        CompletableFuture<Void> connected = a.connect(c, "127.0.0.1", port);
        List<CompletableFuture<Void>> sent = new ArrayList<>();
        for (int i = 0; i < 300; i++) sent.add(a.send(c, Map.of("i", i)));
        connected.orTimeout(10, TimeUnit.SECONDS).join();
        CompletableFuture.allOf(sent.toArray(new CompletableFuture[0])).orTimeout(10, TimeUnit.SECONDS).join();
        Loop loop = new Loop(b::update);
        loop.untilCount(HubEvent.Type.RECEIVED, 300);
        for (int i = 0; i < 300; i++) assertThat(loop.dicts().get(i)).isEqualTo(Map.of("i", i));
    }

    @Test
    void aTargetThatCannotBeReachedFailsTheConnectAndItsSendsAndCallsOnError() throws Exception {
        List<Throwable> errors = new CopyOnWriteArrayList<>();
        ConnectionMgr a = mgr("mgr-unreach", new ConnectionFactory().register("client", () -> new HubConnection() {
            @Override
            protected void onError(Throwable error) {
                errors.add(error);
            }
        }));
        int dead;
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            dead = s.getLocalPort();
        }
        int c = a.createConnection("client");
        CompletableFuture<Void> f = a.connect(c, "127.0.0.1", dead);
        CompletableFuture<Void> s = a.send(c, Map.of("x", 1));
        assertThatThrownBy(() -> f.get(10, TimeUnit.SECONDS)).hasCauseInstanceOf(HubException.class)
                .hasMessageContaining("cannot reach 127.0.0.1:" + dead);
        assertThat(s).isCompletedExceptionally();
        new Loop(a::update).untilCount(HubEvent.Type.ERROR, 1);
        assertThat(errors).hasSize(1);
        assertThat(a.connection(c).state()).isEqualTo(HubConnection.State.IDLE);
    }

    /**
     * A send that races the network's end of a dial or link (CI saw a refused dial end before the
     * send right after connect) fails its future with that reason; it does not throw, since the
     * caller could not have known. After close(id), or before any connect, it is a usage error.
     */
    @Test
    void aSendAfterTheNetworkEndedTheDialOrTheLinkFailsItsFutureInsteadOfThrowing() throws Exception {
        ConnectionFactory plain = new ConnectionFactory().registerListenable("server", HubConnection::new, "session")
                .register("session", HubConnection::new).register("client", HubConnection::new);
        ConnectionMgr a = mgr("mgr-race-a", plain);
        ConnectionMgr b = mgr("mgr-race-b", plain);
        int dead;
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            dead = s.getLocalPort();
        }
        int c = a.createConnection("client");
        CompletableFuture<Void> f = a.connect(c, "127.0.0.1", dead);
        assertThatThrownBy(() -> f.get(10, TimeUnit.SECONDS)).hasCauseInstanceOf(HubException.class);
        CompletableFuture<Void> afterDial = a.send(c, Map.of("x", 1));
        assertThatThrownBy(() -> afterDial.get(10, TimeUnit.SECONDS)).hasCauseInstanceOf(HubException.class)
                .hasMessageContaining("cannot send").hasMessageContaining("cannot reach 127.0.0.1:" + dead);

        // A link the peer ends: the same.
        int server = b.createConnection("server");
        int port = b.listen(server, "127.0.0.1", 0).join().getPort();
        a.connect(c, "127.0.0.1", port).orTimeout(10, TimeUnit.SECONDS).join();
        b.close(server);     // stops the listener and the links it accepted
        Loop aLoop = new Loop(a::update);
        aLoop.untilCount(HubEvent.Type.DISCONNECTED, 1);
        CompletableFuture<Void> afterLink = a.send(c, Map.of("x", 2));
        assertThatThrownBy(() -> afterLink.get(10, TimeUnit.SECONDS)).hasCauseInstanceOf(HubException.class)
                .hasMessageContaining("lost its link to 127.0.0.1:" + port);

        // The caller's own close clears it: a send is a usage error again.
        a.close(c);
        assertThatThrownBy(() -> a.send(c, Map.of("x", 3))).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("connect it first");
    }
}
