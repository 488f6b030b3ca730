package io.paguma.cluster;

import io.paguma.Connection;
import io.paguma.Request;

import java.util.concurrent.CompletableFuture;

/**
 * A client as a service sees it, on this node or another (SPEC H3): {@code request.connection()}
 * in a service's route. {@link #send} and {@code request.reply(...)} reach the client wherever it
 * is connected; {@link #close()} closes it there.
 *
 * <p>A client has an anonymous id, {@code @<node>/<connection>}, until a service logs it in with
 * {@link #login}: from then on its id is the one given, services on any node reach it by that id,
 * and each login has an epoch (see {@link ClientEvent}). A login displaces an earlier login of
 * the same id anywhere in the cluster: that connection is closed with reason
 * "logged in elsewhere".
 *
 * <p>For a client on another node, {@link #channel()} and {@link #localAddress()} are null,
 * {@link #isOpen()} says whether its node is linked to this one, {@link #traffic()} throws (it is
 * counted on its node), a {@code request} to it fails (answer the one it made, or {@code send}),
 * and properties are this object's only (one per message): keep what must outlive a message in
 * {@link ServiceContext#clientStore}.
 */
public interface ClientConnection extends Connection {

    /** The client's id: anonymous until {@link #login}, then the id it logged in with. */
    String clientId();

    /** The current login's epoch; 0 before a login. */
    long epoch();

    /** The node whose gateway holds the client's connection. */
    String nodeId();

    /**
     * Logs the client in as {@code clientId} (not starting with {@code @}): completes with the
     * login's epoch once the cluster knows it — then messages to {@code clientId} reach this
     * connection, and every node's {@link OnClientLogin} services hear of it. A connection that
     * is already logged in as another id fails with {@link IllegalStateException}; logging in
     * again as the same id starts a new epoch.
     */
    CompletableFuture<Long> login(String clientId);

    /** The client of a service's request. */
    static ClientConnection of(Request request) {
        if (request.connection() instanceof ClientConnection c) {
            return c;
        }
        throw new IllegalArgumentException("request " + request + " did not come to a service through a daemon's gateway");
    }
}
