package io.paguma.cluster;

/**
 * An optional event interface of a {@link Service}: A client's connection ended, on any node, normally or not ({@code event.reason()}, {@code event.abnormal()}). Free what the client held; compare {@code event.epoch()} with a newer login's before undoing what that login set up. Called on the daemon's event thread,
 * one event at a time in the order this node learnt them; must not block for long.
 */
@FunctionalInterface
public interface OnClientDisconnect {
    void clientDisconnected(ClientEvent event);
}
