package io.paguma.internal;

import io.paguma.Connection;
import io.paguma.ConnectionManager;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/** {@link ConnectionManager} over a concurrent map, with a reservation count for {@code maxConn}. */
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

    /** Removes {@code c} and gives its place back. */
    void remove(ChannelConnection c) {
        if (connections.remove(c.id(), c)) reserved.decrementAndGet();
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
