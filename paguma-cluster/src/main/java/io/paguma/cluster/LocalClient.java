package io.paguma.cluster;

import io.netty.channel.Channel;
import io.paguma.Connection;
import io.paguma.Message;
import io.paguma.Traffic;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/**
 * A client connected to this node's gateway, as services see it: the gateway's connection, plus
 * the client's id and login epoch. One per connection, made when it opens.
 */
final class LocalClient implements ClientConnection {
    private final ClusterNode node;
    final Connection connection;
    /** Written by the login that wins, on whatever thread completes it; read anywhere. */
    private volatile String clientId;
    private volatile long epoch;
    /** Why the daemon closed it, when it did (null: the peer went away or the transport cut it). */
    volatile String closeReason;
    /** Its first (anonymous) id: the key that keeps it to one node of a service, before and after a login. */
    final String stickyKey;
    /** The fields of a FORWARD that describe it ([i64 connection][str id][i64 epoch][str address]), made again at login. */
    private volatile byte[] forwardHeader;
    /** Guards {@link #closed} against a login being claimed: see ClusterNode.claim and clientClosed. */
    final Object state = new Object();
    /** Guarded by {@link #state}. */
    boolean closed;
    /** The groups it is in; guarded by itself. */
    final java.util.Set<String> groups = new java.util.HashSet<>();

    LocalClient(ClusterNode node, Connection connection) {
        this.node = node;
        this.connection = connection;
        this.clientId = "@" + node.id() + "/" + node.incarnation + "/" + connection.id();
        this.stickyKey = clientId;
    }

    void loggedIn(String id, long epoch) {
        this.clientId = id;
        this.epoch = epoch;
        this.forwardHeader = null;
    }

    byte[] forwardHeader() {
        byte[] h = forwardHeader;
        if (h == null) {
            h = new io.paguma.cluster.internal.Wire.Writer(48).i64(connection.id()).str(clientId).i64(epoch).str(address()).toBytes();
            forwardHeader = h;
        }
        return h;
    }

    String address() {
        InetSocketAddress a = connection.remoteAddress();
        return a == null ? "?" : a.getHostString() + ":" + a.getPort();
    }

    @Override
    public String clientId() {
        return clientId;
    }

    @Override
    public long epoch() {
        return epoch;
    }

    @Override
    public String nodeId() {
        return node.id();
    }

    @Override
    public CompletableFuture<Long> login(String id) {
        return node.login(this, id);
    }

    @Override
    public long id() {
        return connection.id();
    }

    @Override
    public InetSocketAddress remoteAddress() {
        return connection.remoteAddress();
    }

    @Override
    public InetSocketAddress localAddress() {
        return connection.localAddress();
    }

    @Override
    public Channel channel() {
        return connection.channel();
    }

    @Override
    public boolean isOpen() {
        return connection.isOpen();
    }

    @Override
    public CompletableFuture<Void> send(Message message) {
        return connection.send(message);
    }

    @Override
    public CompletableFuture<Message> request(Message message) {
        return connection.request(message);
    }

    @Override
    public CompletableFuture<Message> request(Message message, Duration timeout) {
        return connection.request(message, timeout);
    }

    @Override
    public Traffic traffic() {
        return connection.traffic();
    }

    @Override
    public CompletableFuture<Void> close() {
        if (closeReason == null) closeReason = "closed by a service";
        return connection.close();
    }

    CompletableFuture<Void> close(String reason) {
        if (closeReason == null) closeReason = reason;
        return connection.close();
    }

    @Override
    public boolean isWritable() {
        return connection.isWritable();
    }

    @Override
    public CompletableFuture<Void> writable() {
        return connection.writable();
    }

    @Override
    public CompletableFuture<Void> closeFuture() {
        return connection.closeFuture();
    }

    @Override
    public <T> T property(String key) {
        return connection.property(key);
    }

    @Override
    public <T> T property(String key, Object value) {
        return connection.property(key, value);
    }

    @Override
    public <T> T removeProperty(String key) {
        return connection.removeProperty(key);
    }

    @Override
    public String toString() {
        return "client " + clientId + (epoch > 0 ? " epoch " + epoch : "") + " (" + connection + ")";
    }
}
