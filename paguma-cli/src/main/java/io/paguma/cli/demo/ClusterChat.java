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
import java.util.concurrent.ConcurrentHashMap;

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
    /**
     * Per connection (node/connection): the end of what its messages started. A client sends its
     * name, room and words without waiting for answers; each step here is asynchronous (a login,
     * shared data), so each connection's steps are chained, in the order its messages came.
     */
    private final ConcurrentHashMap<String, CompletableFuture<Void>> steps = new ConcurrentHashMap<>();
    /** Per connection: the name and login epoch its NICK got (a message forwarded before the login ended carries none). */
    private final ConcurrentHashMap<String, Login> logins = new ConcurrentHashMap<>();

    private record Login(String name, long epoch) {
    }

    private static String key(ClientConnection c) {
        return c.nodeId() + "/" + c.id();
    }

    /** Runs {@code step} after the connection's earlier steps have ended. */
    private void then(ClientConnection c, java.util.function.Supplier<CompletableFuture<?>> step) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        CompletableFuture<Void> before = steps.put(key(c), done);
        (before == null ? CompletableFuture.<Void>completedFuture(null) : before)
                .thenCompose(x -> step.get())
                .whenComplete((x, e) -> done.complete(null));
    }

    /** Who the client is: its login, if it has one (now or from an earlier NICK of this connection). */
    private Login who(ClientConnection c) {
        if (c.epoch() > 0) return new Login(c.clientId(), c.epoch());
        return logins.get(key(c));
    }

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
        then(c, () -> c.login(name).whenComplete((epoch, e) -> {
            if (e == null) logins.put(key(c), new Login(name, epoch));
            r.reply(ChatRoom.EVENT, e != null ? "could not take the name " + name + ": " + rootMessage(e)
                    : "you are now " + name + " (on node " + c.nodeId() + ")");
        }));
    }

    private void join(Request r) {
        ClientConnection c = ClientConnection.of(r);
        String room = r.text().strip();
        if (!ChatText.isRoomName(room, MAX_NAME)) {
            r.reply(ChatRoom.EVENT, "a room name is 1 to " + MAX_NAME + " visible characters or spaces");
            return;
        }
        then(c, () -> join(r, c, room));
    }

    private CompletableFuture<?> join(Request r, ClientConnection c, String room) {
        Login me = who(c);
        if (me == null) {
            r.reply(ChatRoom.EVENT, "set a name first (message " + ChatRoom.NICK + ")");
            return CompletableFuture.completedFuture(null);
        }
        String name = me.name();
        SharedData data = ctx.sharedData();
        return data.get(roomKey(name)).thenCompose(old -> {
            Place was = Place.parse(old);
            CompletableFuture<Void> left = was == null || was.room.equals(room) ? CompletableFuture.completedFuture(null)
                    : ctx.leave(was.room, name).thenCompose(x -> announce(was.room, name + " left #" + was.room));
            return left.thenCompose(x -> data.set(roomKey(name), new Place(me.epoch(), room).bytes()))
                    .thenCompose(x -> ctx.join(room, name))
                    .thenCompose(x -> announce(room, name + " joined #" + room));
        }).whenComplete((x, e) -> {
            if (e != null) r.reply(ChatRoom.EVENT, "could not join #" + room + ": " + rootMessage(e));
        });
    }

    private void say(Request r) {
        ClientConnection c = ClientConnection.of(r);
        String text = ChatText.forOthers(r.text(), MAX_TEXT);
        then(c, () -> say(r, c, text));
    }

    private CompletableFuture<?> say(Request r, ClientConnection c, String text) {
        Login me = who(c);
        if (me == null) {
            r.reply(ChatRoom.EVENT, "set a name first (message " + ChatRoom.NICK + ")");
            return CompletableFuture.completedFuture(null);
        }
        String name = me.name();
        return ctx.sharedData().get(roomKey(name)).thenCompose(b -> {
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
        then(c, () -> leave(r, c));
    }

    private CompletableFuture<?> leave(Request r, ClientConnection c) {
        Login me = who(c);
        String name = me == null ? c.clientId() : me.name();
        return ctx.sharedData().get(roomKey(name)).thenCompose(b -> {
            Place p = Place.parse(b);
            if (p == null || me == null) {
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
     * Every node hears a disconnect; the client's own node speaks for it (another when it died).
     * Only the login that
     * joined the room may take it out: a late disconnect of an older login finds a newer epoch and
     * does nothing.
     */
    @Override
    public void clientDisconnected(ClientEvent e) {
        String k = e.nodeId() + "/" + e.connectionId();
        steps.remove(k);
        logins.remove(k);
        if (!e.loggedIn() || !speaksFor(e.nodeId())) return;
        String name = e.clientId();
        ctx.sharedData().get(roomKey(name)).thenCompose(b -> {
            Place p = Place.parse(b);
            if (p == null || p.epoch != e.epoch()) return CompletableFuture.completedFuture(null);
            return ctx.sharedData().compareAndSet(roomKey(name), b, null)
                    .thenCompose(removed -> removed ? announce(p.room, name + " left (" + e.reason() + ")")
                            : CompletableFuture.completedFuture(null));
        });
    }

    /**
     * Whether this node tells the rooms of a disconnect on {@code node}: that node itself, or, when
     * it is gone (died), the live node with the smallest id that runs the chat.
     */
    private boolean speaksFor(String node) {
        String me = ctx.node().id();
        if (node.equals(me)) return true;
        java.util.Map<String, io.paguma.cluster.NodeInfo> nodes = ctx.nodes();
        if (nodes.containsKey(node)) return false;
        return nodes.values().stream().filter(n -> n.runs(name())).map(io.paguma.cluster.NodeInfo::id).sorted()
                .findFirst().map(me::equals).orElse(false);
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
