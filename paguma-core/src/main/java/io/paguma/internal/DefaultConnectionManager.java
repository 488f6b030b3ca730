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
    /** maxConnPerIp: open sockets per remote address (only while the limit is set). */
    private final ConcurrentHashMap<java.net.InetAddress, Integer> perIp = new ConcurrentHashMap<>();
    /** Closed connections still listed because their onConnStop has not run yet. */
    private final AtomicInteger closing = new AtomicInteger();
    private final int max;

    DefaultConnectionManager(int max) {
        this.max = max;
    }

    /**
     * Takes one of the {@code maxConn} places, or returns false if none is left. Also false while
     * more than {@code maxConn} closed connections still wait for their {@code onConnStop}: each
     * holds its state and a queued hook, so a peer that connects and closes in a loop against a
     * slow worker cannot make them pile up without bound (about twice {@code maxConn} are listed
     * at most).
     */
    boolean tryReserve() {
        if (closingFull()) return false;
        for (;;) {
            int n = reserved.get();
            if (n >= max) return false;
            if (reserved.compareAndSet(n, n + 1)) return true;
        }
    }

    /**
     * What maxConnPerIp counts for an address: an IPv4 address itself; an IPv6 address by its /64
     * (one subscriber's prefix: an IPv6 peer can pick any of 2^64 addresses in it).
     */
    static java.net.InetAddress ipKey(java.net.InetAddress ip) {
        if (!(ip instanceof java.net.Inet6Address)) return ip;
        byte[] a = ip.getAddress();
        java.util.Arrays.fill(a, 8, 16, (byte) 0);
        try {
            return java.net.InetAddress.getByAddress(a);
        } catch (java.net.UnknownHostException impossible) {
            return ip;
        }
    }

    /** maxConnPerIp: whether {@code ip} (see {@link #ipKey}) has its {@code limit} connections open already. */
    boolean ipFull(java.net.InetAddress ip, int limit) {
        Integer open = perIp.get(ipKey(ip));
        return open != null && open >= limit;
    }

    /** maxConnPerIp: takes one of {@code ip}'s {@code limit} places, or returns false if none is left. */
    boolean tryReserveIp(java.net.InetAddress ip, int limit) {
        boolean[] taken = {false};
        perIp.compute(ipKey(ip), (k, n) -> {
            int open = n == null ? 0 : n;
            if (open >= limit) return n;
            taken[0] = true;
            return open + 1;
        });
        return taken[0];
    }

    /** Gives back a place {@link #tryReserveIp} took; the entry goes when its count reaches 0. */
    void releaseIp(java.net.InetAddress ip) {
        perIp.computeIfPresent(ipKey(ip), (k, n) -> n <= 1 ? null : n - 1);
    }

    /** Whether more than {@code maxConn} closed connections wait for their onConnStop. */
    boolean closingFull() {
        return closing.get() > max;
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
        closing.incrementAndGet();
        reserved.decrementAndGet();
    }

    /** Gives back a place taken for a channel that closed before it became a connection (a WebSocket's upgrade). */
    void releaseReservation() {
        reserved.decrementAndGet();
    }

    /** Removes {@code c} from the list, after its {@code onConnStop} has run; its place was released before. */
    void remove(ChannelConnection c) {
        if (connections.remove(c.id(), c)) closing.decrementAndGet();
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
