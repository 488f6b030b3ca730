package io.paguma.cluster;

/**
 * An optional event interface of a {@link Service}: A client logged in, on any node; {@code event.epoch()} is the new login's epoch. Called on the daemon's event thread,
 * one event at a time in the order this node learnt them; must not block for long.
 */
@FunctionalInterface
public interface OnClientLogin {
    void clientLoggedIn(ClientEvent event);
}
