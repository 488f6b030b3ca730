package io.paguma.cli.demo;

import io.paguma.Request;
import io.paguma.Routes;
import io.paguma.cluster.ClientConnection;
import io.paguma.cluster.ClientEvent;
import io.paguma.cluster.OnClientDisconnect;
import io.paguma.cluster.Service;
import io.paguma.cluster.ServiceContext;
import io.paguma.cluster.SharedData;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;

/**
 * The demo's chat room as a cluster service ({@code ./paguma node}): the same message ids as
 * {@link ChatRoom}, so {@code ./paguma chat} talks to it unchanged, but its users may be connected
 * to any node. A name is a login (the same name on another connection displaces the first); a
 * room is a group; each user's room is kept in the shared data as {@code chat:room:<name>} =
 * {@code <epoch>|<room>}, so that a late disconnect of an older login cannot take a newer one out
 * of its room.
 */
public final class ClusterChat implements Service, OnClientDisconnect {
    private static final int MAX_NAME = 32;
    private static final int MAX_TEXT = 1000;
    private volatile ServiceContext ctx;

    @Override
    public String name() {
        return "chat";
    }

    @Override
    public void mount(ServiceContext context, Routes.Builder routes) {
        this.ctx = context;
        routes.route(ChatRoom.NICK, this::nick);
        routes.route(ChatRoom.JOIN, this::join);
        routes.route(ChatRoom.SAY, this::say);
        routes.route(ChatRoom.LEAVE, this::leave);
    }

    private static String roomKey(String name) {
        return "chat:room:" + name;
    }

    private record Place(long epoch, String room) {
        static Place parse(byte[] b) {
            if (b == null) return null;
            String s = new String(b, StandardCharsets.UTF_8);
            int bar = s.indexOf('|');
            try {
                return bar < 0 ? null : new Place(Long.parseLong(s.substring(0, bar)), s.substring(bar + 1));
            } catch (NumberFormatException e) {
                return null;
            }
        }

        byte[] bytes() {
            return (epoch + "|" + room).getBytes(StandardCharsets.UTF_8);
        }
    }

    private void nick(Request r) {
        ClientConnection c = ClientConnection.of(r);
        String name = r.text().strip();
        if (!ChatText.isName(name, MAX_NAME) || name.startsWith("@")) {
            r.reply(ChatRoom.EVENT, "a name is 1 to " + MAX_NAME + " visible characters without spaces, not starting with @");
            return;
        }
        if (c.epoch() > 0 && !c.clientId().equals(name)) {
            r.reply(ChatRoom.EVENT, "you are " + c.clientId() + " on this connection; reconnect to change your name");
            return;
        }
        c.login(name).whenComplete((epoch, e) -> r.reply(ChatRoom.EVENT, e != null ? "could not take the name " + name + ": "
                + rootMessage(e) : "you are now " + name + " (on node " + c.nodeId() + ")"));
    }

    private void join(Request r) {
        ClientConnection c = ClientConnection.of(r);
        String room = r.text().strip();
        if (!ChatText.isRoomName(room, MAX_NAME)) {
            r.reply(ChatRoom.EVENT, "a room name is 1 to " + MAX_NAME + " visible characters or spaces");
            return;
        }
        if (c.epoch() == 0) {
            r.reply(ChatRoom.EVENT, "set a name first (message " + ChatRoom.NICK + ")");
            return;
        }
        String name = c.clientId();
        SharedData data = ctx.sharedData();
        data.get(roomKey(name)).thenCompose(old -> {
            Place was = Place.parse(old);
            CompletableFuture<Void> left = was == null || was.room.equals(room) ? CompletableFuture.completedFuture(null)
                    : ctx.leave(was.room, name).thenCompose(x -> announce(was.room, name + " left #" + was.room));
            return left.thenCompose(x -> data.set(roomKey(name), new Place(c.epoch(), room).bytes()))
                    .thenCompose(x -> ctx.join(room, name))
                    .thenCompose(x -> announce(room, name + " joined #" + room));
        }).whenComplete((x, e) -> {
            if (e != null) r.reply(ChatRoom.EVENT, "could not join #" + room + ": " + rootMessage(e));
        });
    }

    private void say(Request r) {
        ClientConnection c = ClientConnection.of(r);
        if (c.epoch() == 0) {
            r.reply(ChatRoom.EVENT, "set a name first (message " + ChatRoom.NICK + ")");
            return;
        }
        String name = c.clientId();
        String text = ChatText.forOthers(r.text(), MAX_TEXT);
        ctx.sharedData().get(roomKey(name)).thenCompose(b -> {
            Place p = Place.parse(b);
            if (p == null) {
                r.reply(ChatRoom.EVENT, "join a room first (message " + ChatRoom.JOIN + ")");
                return CompletableFuture.completedFuture(null);
            }
            return announce(p.room, "[" + p.room + "] " + name + ": " + text);
        });
    }

    private void leave(Request r) {
        ClientConnection c = ClientConnection.of(r);
        String name = c.clientId();
        ctx.sharedData().get(roomKey(name)).thenCompose(b -> {
            Place p = Place.parse(b);
            if (p == null || c.epoch() == 0) {
                r.reply(ChatRoom.EVENT, "you are not in a room");
                return CompletableFuture.completedFuture(null);
            }
            return ctx.sharedData().compareAndSet(roomKey(name), b, null)
                    .thenCompose(x -> ctx.leave(p.room, name))
                    .thenCompose(x -> announce(p.room, name + " left #" + p.room))
                    .thenRun(() -> r.reply(ChatRoom.EVENT, "you left #" + p.room));
        });
    }

    /**
     * Every node hears a disconnect; the client's own node speaks for it. Only the login that
     * joined the room may take it out: a late disconnect of an older login finds a newer epoch and
     * does nothing.
     */
    @Override
    public void clientDisconnected(ClientEvent e) {
        if (!e.loggedIn() || !e.nodeId().equals(ctx.node().id())) return;
        String name = e.clientId();
        ctx.sharedData().get(roomKey(name)).thenCompose(b -> {
            Place p = Place.parse(b);
            if (p == null || p.epoch != e.epoch()) return CompletableFuture.completedFuture(null);
            return ctx.sharedData().compareAndSet(roomKey(name), b, null)
                    .thenCompose(removed -> removed ? announce(p.room, name + " left (" + e.reason() + ")")
                            : CompletableFuture.completedFuture(null));
        });
    }

    private CompletableFuture<Void> announce(String room, String line) {
        return ctx.sendToGroup(room, ChatRoom.EVENT, line.getBytes(StandardCharsets.UTF_8));
    }

    private static String rootMessage(Throwable e) {
        while (e.getCause() != null && (e instanceof java.util.concurrent.CompletionException
                || e instanceof java.util.concurrent.ExecutionException)) {
            e = e.getCause();
        }
        return String.valueOf(e.getMessage());
    }
}
