package io.paguma.cluster;

import io.paguma.Routes;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The test's chat service: login, rooms, talk, echo, and a record of every event it hears.
 * Ids: 10 login(name) → epoch; 11 join(room); 12 say("room:text") → 13 to the room;
 * 20 echo → "node:data"; 21 fail (throws); 22 slow (never answers).
 */
final class ChatService implements Service, OnClientConnect, OnClientLogin, OnClientDisconnect, OnServiceMount,
        OnServiceUnmount, OnNodeJoin, OnNodeLeave {
    static final int LOGIN = 10, JOIN = 11, SAY = 12, HEARD = 13, ECHO = 20, FAIL = 21, SLOW = 22, WHOAMI = 23;

    final List<ClientEvent> clientEvents = new CopyOnWriteArrayList<>();
    final List<String> clusterEvents = new CopyOnWriteArrayList<>();
    volatile ServiceContext ctx;
    volatile boolean unmounted;

    @Override
    public String name() {
        return "chat";
    }

    @Override
    public void mount(ServiceContext context, Routes.Builder routes) {
        this.ctx = context;
        routes.route(LOGIN, r -> {
            ClientConnection c = ClientConnection.of(r);
            c.login(r.text()).whenComplete((epoch, e) -> {
                if (e != null) r.fail(500, String.valueOf(e));
                else r.reply(LOGIN, String.valueOf(epoch));
            });
        });
        routes.route(JOIN, r -> {
            ClientConnection c = ClientConnection.of(r);
            context.join(r.text(), c.clientId()).whenComplete((added, e) -> {
                if (e != null) r.fail(500, String.valueOf(e));
                else r.reply(JOIN, String.valueOf(added));
            });
        });
        routes.route(SAY, r -> {
            String[] p = r.text().split(":", 2);
            context.sendToGroup(p[0], HEARD, p[1].getBytes(StandardCharsets.UTF_8))
                    .whenComplete((v, e) -> r.reply(SAY, e == null ? "ok" : String.valueOf(e)));
        });
        routes.respond(ECHO, r -> (context.node().id() + ":" + r.text()).getBytes(StandardCharsets.UTF_8));
        routes.respond(FAIL, r -> {
            throw new IllegalStateException("fails on purpose");
        });
        routes.route(SLOW, r -> {
            // never answers
        });
        routes.respond(WHOAMI, r -> {
            ClientConnection c = ClientConnection.of(r);
            return (c.clientId() + "|" + c.epoch() + "|" + c.nodeId() + "|" + context.node().id()).getBytes(StandardCharsets.UTF_8);
        });
    }

    @Override
    public void unmount() {
        unmounted = true;
    }

    @Override
    public void clientConnected(ClientEvent event) {
        clientEvents.add(event);
    }

    @Override
    public void clientLoggedIn(ClientEvent event) {
        clientEvents.add(event);
    }

    @Override
    public void clientDisconnected(ClientEvent event) {
        clientEvents.add(event);
    }

    @Override
    public void serviceMounted(String service, NodeInfo node) {
        clusterEvents.add("mounted " + service + " on " + node.id());
    }

    @Override
    public void serviceUnmounted(String service, NodeInfo node, String reason) {
        clusterEvents.add("unmounted " + service + " on " + node.id());
    }

    @Override
    public void nodeJoined(NodeInfo node) {
        clusterEvents.add("joined " + node.id());
    }

    @Override
    public void nodeLeft(NodeInfo node, String reason) {
        clusterEvents.add("left " + node.id());
    }
}
