package io.paguma.cluster;

import io.paguma.Routes;

/**
 * A service (SPEC H2; seed 003): it owns message ids and handles its clients' messages with the
 * usual {@link io.paguma.Router}s, {@link io.paguma.Responder}s and {@link io.paguma.Interceptor}s,
 * wherever in the cluster those clients are connected. Mount it on a {@link Daemon}; the same
 * service may run on several nodes (see {@link Balance}).
 *
 * <pre>{@code
 * final class Echo implements Service, OnClientDisconnect {
 *     public String name() { return "echo"; }
 *     public void mount(ServiceContext ctx, Routes.Builder routes) {
 *         routes.respond(1, r -> r.data());
 *     }
 *     public void clientDisconnected(ClientEvent e) { ... free what the client held ... }
 * }
 * }</pre>
 *
 * <p>In a route, {@code request.connection()} is a {@link ClientConnection}: the client, on this
 * node or another; {@code request.reply(...)} reaches it either way. A service learns of clients
 * and of the cluster by implementing the optional event interfaces — {@link OnClientConnect},
 * {@link OnClientLogin}, {@link OnClientDisconnect}, {@link OnServiceMount},
 * {@link OnServiceUnmount}, {@link OnNodeJoin}, {@link OnNodeLeave} — which the daemon calls on
 * every node (seed 003's chosen design: no registration map).
 */
public interface Service {

    /** The service's name: unique per node, the same on every node that runs it; letters, digits, {@code . _ -}. */
    String name();

    /**
     * Declares the service's routes; called once, when the daemon mounts it (before the gateway
     * opens). Keep {@code context}: it is the service's handle to clients, groups, other services
     * and shared data. The ids declared here are the service's in the whole cluster: two
     * different services that declare one id fail the daemon's start (or, across nodes, are
     * refused by the node that mounts second).
     */
    void mount(ServiceContext context, Routes.Builder routes);

    /**
     * Whether clients may send to the service's ids (default true). A service that only other
     * services call ({@link ServiceContext#request}) returns false: no client of any gateway can
     * reach it, and its ids are its own (they may equal ids of client-facing services).
     */
    default boolean servesClients() {
        return true;
    }

    /** Called once when the daemon stops, after the service's last message and event. */
    default void unmount() {
    }
}
