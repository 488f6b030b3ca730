package io.paguma.cli.demo;

import io.paguma.Connection;
import io.paguma.Request;

import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The demo's chat service: named users in rooms, built only from routes, hooks and connection
 * properties. Messages are UTF-8 text; everything the server tells a client arrives on
 * {@link #EVENT}.
 *
 * <p>Routers of different connections run concurrently on the workers; rooms are concurrent sets
 * changed inside {@code compute} so a room is removed exactly when its last member leaves.
 *
 * <p>Everything relayed ends up on other people's terminals: names and room names that could hide
 * or reorder text are refused, and said text is cleaned and cut, see {@link ChatText}.
 */
public final class ChatRoom {
    /** Client → server: set my name. */
    public static final int NICK = 10;
    /** Client → server: join a room (leaving the current one). */
    public static final int JOIN = 11;
    /** Client → server: say something to my room. */
    public static final int SAY = 12;
    /** Client → server: leave my room. */
    public static final int LEAVE = 13;
    /** Server → client: a line of text to show. */
    public static final int EVENT = 20;

    private static final String NAME = "name";
    private static final String ROOM = "room";
    /** Names and room names: at most this many code points. */
    private static final int MAX_NAME = 32;
    /** Said text: longer is cut to this many code points. */
    private static final int MAX_TEXT = 1000;

    private final Map<String, Set<Connection>> rooms = new ConcurrentHashMap<>();

    /** onConnStart: every connection starts as a guest. */
    public void onConnect(Connection c) {
        c.property(NAME, "guest-" + c.id());
    }

    /** onConnStop: a closed connection leaves its room. */
    public void onDisconnect(Connection c) {
        leave(c, " left (disconnected)");
    }

    public void nick(Request r) {
        String name = r.text().strip();
        if (!ChatText.isName(name, MAX_NAME)) {
            r.reply(EVENT, "a name is 1 to " + MAX_NAME + " visible characters without spaces");
            return;
        }
        String old = r.connection().property(NAME, name);
        r.reply(EVENT, "you are now " + name);
        String room = r.connection().property(ROOM);
        if (room != null) broadcast(room, old + " is now known as " + name);
    }

    public void join(Request r) {
        String room = r.text().strip();
        if (!ChatText.isRoomName(room, MAX_NAME)) {
            r.reply(EVENT, "a room name is 1 to " + MAX_NAME + " visible characters or spaces");
            return;
        }
        Connection c = r.connection();
        leave(c, " left");
        rooms.compute(room, (k, members) -> {
            Set<Connection> set = members != null ? members : ConcurrentHashMap.newKeySet();
            set.add(c);
            return set;
        });
        c.property(ROOM, room);
        broadcast(room, c.property(NAME) + " joined #" + room + " (" + rooms.getOrDefault(room, Set.of()).size() + " here)");
    }

    public void say(Request r) {
        Connection c = r.connection();
        String room = c.property(ROOM);
        if (room == null) {
            r.reply(EVENT, "join a room first (message " + JOIN + ")");
            return;
        }
        String text = ChatText.forOthers(r.text(), MAX_TEXT);
        broadcast(room, "[" + room + "] " + c.property(NAME) + ": " + text);
    }

    public void leave(Request r) {
        if (!leave(r.connection(), " left")) r.reply(EVENT, "you are not in a room");
    }

    private boolean leave(Connection c, String how) {
        String room = c.removeProperty(ROOM);
        if (room == null) return false;
        rooms.computeIfPresent(room, (k, members) -> {
            members.remove(c);
            return members.isEmpty() ? null : members;
        });
        broadcast(room, c.property(NAME) + how + " #" + room);
        if (c.isOpen()) c.send(EVENT, "you left #" + room);
        return true;
    }

    private void broadcast(String room, String line) {
        Set<Connection> members = rooms.get(room);
        if (members == null) return;
        for (Connection m : members) m.send(EVENT, line);
    }

    /** How many people are in {@code room}. */
    public int size(String room) {
        Set<Connection> members = rooms.get(room);
        return members == null ? 0 : members.size();
    }
}
