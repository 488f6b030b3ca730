package io.paguma;

import java.net.InetSocketAddress;
import java.util.List;

/**
 * A WebSocket upgrade request as a server's {@link WebSocketAuth} sees it, before the connection
 * exists: its path, query, headers and the peer's address. Values set with {@link #property} are
 * the new connection's properties from its start, so {@code onConnStart} and routers can read
 * what the check found (the user a token names, say).
 */
public interface WebSocketUpgrade {
    /** The request target as sent: path and query ({@code /chat?token=abc}). */
    String uri();

    /** The path of {@link #uri()}, without the query. */
    String path();

    /** The first value of query parameter {@code name} (decoded), or null. */
    String query(String name);

    /** The first value of header {@code name} (any case), or null. */
    String header(String name);

    /** Every value of header {@code name} (any case); empty if there is none. */
    List<String> headers(String name);

    /** The {@code Origin} header a browser sends, or null (not from a browser). */
    default String origin() {
        return header("Origin");
    }

    /** The peer's address. */
    InetSocketAddress remoteAddress();

    /** Sets a property the connection will carry from its start (see {@link Connection#property(String, Object)}). */
    void property(String key, Object value);
}
