package io.paguma;

import java.util.Collection;

/**
 * The open connections of one server (P10). The server adds each connection when it is set up and
 * removes it after {@code onConnStop} has run; the application looks connections up, counts them,
 * or closes them all. The {@code maxConn} limit is enforced here: a connection beyond it is
 * refused before it is added. Safe from any thread.
 */
public interface ConnectionManager {

    /** The open connection with this id, or null. */
    Connection get(long id);

    /** How many connections are open. */
    int count();

    /** A snapshot of the open connections. */
    Collection<Connection> all();

    /** Closes every open connection (each runs {@code onConnStop} once). */
    void clear();
}
