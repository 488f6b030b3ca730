package io.paguma.cluster;

/**
 * An optional event interface of a {@link Service}: A node joined the cluster (this node's own join is not told). Called on the daemon's event thread,
 * one event at a time in the order this node learnt them; must not block for long.
 */
@FunctionalInterface
public interface OnNodeJoin {
    void nodeJoined(NodeInfo node);
}
