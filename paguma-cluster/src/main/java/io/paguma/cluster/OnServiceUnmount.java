package io.paguma.cluster;

/**
 * An optional event interface of a {@link Service}: service {@code service} no longer runs on
 * {@code node} (unmounted, or the node left: {@code reason}). Called on the daemon's event
 * thread, one event at a time; must not block for long.
 */
@FunctionalInterface
public interface OnServiceUnmount {
    void serviceUnmounted(String service, NodeInfo node, String reason);
}
