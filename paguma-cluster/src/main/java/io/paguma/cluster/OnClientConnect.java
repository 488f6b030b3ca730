package io.paguma.cluster;

/**
 * An optional event interface of a {@link Service}: A client connected to a gateway, on any node (its id is still the anonymous one). Called on the daemon's event thread,
 * one event at a time in the order this node learnt them; must not block for long.
 */
@FunctionalInterface
public interface OnClientConnect {
    void clientConnected(ClientEvent event);
}
