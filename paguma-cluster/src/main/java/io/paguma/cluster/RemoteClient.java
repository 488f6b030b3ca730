package io.paguma.cluster;

import io.netty.channel.Channel;
import io.paguma.Connection;
import io.paguma.Message;
import io.paguma.Traffic;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * A client connected to another node, as a service on this node sees it while handling one of its
 * messages: what it sends goes back over the link to the client's node. One per forwarded
 * message; its properties are its own (see {@link ClientConnection}).
 */
final class RemoteClient extends DetachedConnection implements ClientConnection {
    private final ClusterNode node;
    private final String nodeId;
    private final long connectionId;
    private final String address;
    private volatile String clientId;
    private volatile long epoch;
    /** The link request that carried the client's request, answered by the route's reply; null for a one-way message. */
    private final io.paguma.Request forward;
    private final int forwardSeq;
    private final java.util.concurrent.atomic.AtomicBoolean answered = new java.util.concurrent.atomic.AtomicBoolean();

    RemoteClient(ClusterNode node, String nodeId, long connectionId, String clientId, long epoch, String address,
                 io.paguma.Request forward, int forwardSeq) {
        this.node = node;
        this.forward = forward;
        this.forwardSeq = forwardSeq;
        this.nodeId = nodeId;
        this.connectionId = connectionId;
        this.clientId = clientId;
        this.epoch = epoch;
        this.address = address;
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
        return nodeId;
    }

    @Override
    public CompletableFuture<Long> login(String id) {
        return node.remoteLogin(nodeId, connectionId, id).thenApply(e -> {
            clientId = id;
            epoch = e;
            return e;
        });
    }

    @Override
    public long id() {
        return connectionId;
    }

    @Override
    public InetSocketAddress remoteAddress() {
        int colon = address.lastIndexOf(':');
        try {
            return colon < 0 ? null : InetSocketAddress.createUnresolved(address.substring(0, colon),
                    Integer.parseInt(address.substring(colon + 1)));
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    @Override
    public boolean isOpen() {
        return node.linked(nodeId);
    }

    @Override
    public CompletableFuture<Void> send(Message message) {
        if (forward != null && message.seq() == forwardSeq && answered.compareAndSet(false, true)) {
            // The answer to the client's request: the reply to the link request that carried it.
            if (message.status() != 0) return forward.fail(message.status(), message.text());
            // The link reply is the answer itself: matched by the link's sequence id, it keeps the answer's id.
            return forward.reply(message.id(), message.data());
        }
        return node.sendToRemoteClient(nodeId, connectionId, message);
    }

    @Override
    public CompletableFuture<Void> close() {
        return node.closeRemoteClient(nodeId, connectionId, "closed by a service on " + node.id());
    }

    @Override
    public CompletableFuture<Void> closeFuture() {
        // What this side can know: the client is gone for it once its node's link closes.
        return node.remoteCloseFuture(nodeId);
    }

    @Override
    public String toString() {
        return "client " + clientId + (epoch > 0 ? " epoch " + epoch : "") + " on node " + nodeId + "#" + connectionId
                + " (" + address + ")";
    }
}
