package io.paguma.internal;

import io.paguma.Connection;
import io.paguma.ConnectionManager;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * {@link ConnectionManager} over a concurrent map, with a reservation count for {@code maxConn}: a
 * place is taken when a socket is accepted and given back when it closes; the connection stays
 * listed until its {@code onConnStop} has run.
 */
public final class DefaultConnectionManager implements ConnectionManager {
    private final ConcurrentHashMap<Long, ChannelConnection> connections = new ConcurrentHashMap<>();
    private final AtomicInteger reserved = new AtomicInteger();
    private final int max;

    DefaultConnectionManager(int max) {
        this.max = max;
    }

    /** Takes one of the {@code maxConn} places, or returns false if none is left. */
    boolean tryReserve() {
        for (;;) {
            int n = reserved.get();
            if (n >= max) return false;
            if (reserved.compareAndSet(n, n + 1)) return true;
        }
    }

    int max() {
        return max;
    }

    void add(ChannelConnection c) {
        connections.put(c.id(), c);
    }

    /**
     * Gives back the place {@code c} took: called once, when its socket has closed (on its IO
     * thread), so a place is free again as soon as the socket is, even while {@code onConnStop} is
     * still to run. {@code maxConn} thus bounds open sockets, not connections listed here.
     */
    void release(ChannelConnection c) {
        reserved.decrementAndGet();
    }

    /** Removes {@code c} from the list, after its {@code onConnStop} has run; its place was released before. */
    void remove(ChannelConnection c) {
        connections.remove(c.id(), c);
    }

    @Override
    public Connection get(long id) {
        return connections.get(id);
    }

    @Override
    public int count() {
        return connections.size();
    }

    @Override
    public Collection<Connection> all() {
        return new ArrayList<>(connections.values());
    }

    /** The open connections with their internal type. */
    public List<ChannelConnection> snapshot() {
        return new ArrayList<>(connections.values());
    }

    @Override
    public void clear() {
        for (ChannelConnection c : snapshot()) c.close();
    }
}
