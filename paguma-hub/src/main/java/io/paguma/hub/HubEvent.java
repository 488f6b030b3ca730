package io.paguma.hub;

import java.util.Map;

/**
 * Something that happened on the network since the last {@code update()}: a dict received, a
 * link made or lost, an error. {@link NetHub#update()} and {@link ConnectionMgr#update()} hand
 * them to the thread that calls them, in the order they happened per link.
 *
 * <p>Events of a {@link NetHub} name their peer by {@link #ip()} and {@link #port()}, the address
 * to {@link NetHub#send} to; events of a {@link ConnectionMgr} also carry the
 * {@link #connectionId()} (0 on a hub).
 */
public final class HubEvent {

    /** What happened. */
    public enum Type {
        /** A link to the peer is up: dicts flow both ways. */
        CONNECTED,
        /** The link to the peer is gone; {@link #error()} says why when it was not closed on purpose. */
        DISCONNECTED,
        /** A dict arrived: {@link #dict()}. */
        RECEIVED,
        /** Something failed: {@link #error()} says what (a peer that cannot be reached, a listen refused, ...). */
        ERROR
    }

    private final Type type;
    private final String ip;
    private final int port;
    private final int connectionId;
    private final Map<String, Object> dict;
    private final Throwable error;
    /** Which life of a typed connection it belongs to: events of a life ended by close(id) are dropped. */
    final int life;

    HubEvent(Type type, String ip, int port, int connectionId, Map<String, Object> dict, Throwable error) {
        this(type, ip, port, connectionId, 0, dict, error);
    }

    HubEvent(Type type, String ip, int port, int connectionId, int life, Map<String, Object> dict, Throwable error) {
        this.life = life;
        this.type = type;
        this.ip = ip;
        this.port = port;
        this.connectionId = connectionId;
        this.dict = dict;
        this.error = error;
    }

    public Type type() {
        return type;
    }

    /** The peer's IP (as it identified itself), or the listen address of an error about a listen; may be null. */
    public String ip() {
        return ip;
    }

    /** The peer's listen port (the port to send to), or the port of an error about a listen. */
    public int port() {
        return port;
    }

    /** {@code ip:port} ({@code [ip]:port} for IPv6). */
    public String peer() {
        return PeerKey.format(ip, port);
    }

    /** The typed connection it happened on ({@link ConnectionMgr}); 0 for a {@link NetHub}. */
    public int connectionId() {
        return connectionId;
    }

    /** The received dict ({@link Type#RECEIVED}), else null. The application owns it. */
    public Map<String, Object> dict() {
        return dict;
    }

    /** What went wrong ({@link Type#ERROR}, and {@link Type#DISCONNECTED} when the link broke), else null. */
    public Throwable error() {
        return error;
    }

    @Override
    public String toString() {
        StringBuilder b = new StringBuilder(type.name()).append(' ').append(peer());
        if (connectionId != 0) b.append(" #").append(connectionId);
        if (dict != null) b.append(' ').append(dict);
        if (error != null) b.append(": ").append(error.getMessage());
        return b.toString();
    }
}
