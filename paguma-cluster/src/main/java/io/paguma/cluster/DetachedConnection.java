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
 * A {@link Connection} a route sees that is no socket of this node: a client on another node
 * ({@link RemoteClient}) or the service that made a service request ({@link ServiceCaller}). It has
 * no channel and no local address, counts no traffic here ({@link #traffic()} throws), cannot be
 * sent a request of its own (the future fails), and keeps its properties for itself (one object
 * per message). Subclasses say where sends go.
 */
abstract class DetachedConnection implements Connection {
    /** Guarded by this. */
    private Map<String, Object> properties;

    @Override
    public InetSocketAddress localAddress() {
        return null;
    }

    @Override
    public Channel channel() {
        return null;
    }

    @Override
    public CompletableFuture<Message> request(Message message) {
        return CompletableFuture.failedFuture(new UnsupportedOperationException(
                this + " is not a connection of this node: it cannot be sent a request (answer the one it made)"));
    }

    @Override
    public CompletableFuture<Message> request(Message message, Duration timeout) {
        return request(message);
    }

    @Override
    public Traffic traffic() {
        throw new UnsupportedOperationException(this + " is not a connection of this node: its traffic is not counted here");
    }

    @Override
    @SuppressWarnings("unchecked")
    public synchronized <T> T property(String key) {
        return properties == null ? null : (T) properties.get(key);
    }

    @Override
    @SuppressWarnings("unchecked")
    public synchronized <T> T property(String key, Object value) {
        if (properties == null) properties = new HashMap<>();
        return (T) properties.put(key, value);
    }

    @Override
    @SuppressWarnings("unchecked")
    public synchronized <T> T removeProperty(String key) {
        return properties == null ? null : (T) properties.remove(key);
    }
}
