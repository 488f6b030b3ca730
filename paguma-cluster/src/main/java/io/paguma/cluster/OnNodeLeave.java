package io.paguma.cluster;

/**
 * An optional event interface of a {@link Service}: a node left the cluster, in order or because it
 * stopped answering ({@code reason}). Requests to it have failed by the time this is called.
 * Called on the daemon's event thread, one event at a time; must not block for long.
 */
@FunctionalInterface
public interface OnNodeLeave {
    void nodeLeft(NodeInfo node, String reason);
}
