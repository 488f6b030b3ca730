package io.paguma.cluster;

/**
 * An optional event interface of a {@link Service}: service {@code service} was mounted on
 * {@code node} (this node's own services too, once the daemon has started them). Called on the
 * daemon's event thread, one event at a time; must not block for long.
 */
@FunctionalInterface
public interface OnServiceMount {
    void serviceMounted(String service, NodeInfo node);
}
