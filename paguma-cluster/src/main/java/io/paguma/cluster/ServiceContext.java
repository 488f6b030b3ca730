package io.paguma.cluster;

import io.paguma.Message;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * A service's handle to the cluster (SPEC H3–H5), given to {@link Service#mount}. Safe from any
 * thread; nothing here blocks but {@link #call}.
 */
public interface ServiceContext {

    /** This node. */
    NodeInfo node();

    /** The cluster's nodes as this node knows them, by id (this node included). */
    Map<String, NodeInfo> nodes();

    /**
     * Sends to one client, wherever it is connected. Fails with {@link ClientGoneException} when
     * no connection has that id now.
     */
    CompletableFuture<Void> send(String clientId, int id, byte[] data);

    /**
     * Adds the client's current connection to {@code group} (a room): completes with whether it
     * was not in it yet. A group lives with its members' connections: a member leaves it when it
     * disconnects, so a late disconnect can never remove a newer login from a room.
     */
    CompletableFuture<Boolean> join(String group, String clientId);

    /** Removes the client's connection from {@code group}; completes with whether it was in it. */
    CompletableFuture<Boolean> leave(String group, String clientId);

    /**
     * Sends to every member of {@code group} on every node: once to each node (which delivers to
     * its own members), not once per member. Completes when every node has been handed it.
     */
    CompletableFuture<Void> sendToGroup(String group, int id, byte[] data);

    /** Sends to every client connected to any node. */
    CompletableFuture<Void> broadcast(int id, byte[] data);

    /**
     * A request to service {@code service} (on this node if it runs it, else on one that does),
     * with the cluster's {@code requestTimeout} as its deadline. See {@link #request(String, int, byte[], Duration)}.
     */
    CompletableFuture<Message> request(String service, int id, byte[] data);

    /**
     * A request to service {@code service}: completes with its reply, or fails —
     * {@link io.paguma.RemoteException} when its router failed or refused
     * ({@code UNAVAILABLE} at once when no node runs the service), a
     * {@link java.util.concurrent.TimeoutException} at the deadline (which the serving node is told
     * too, and drops the request if it has not started it), {@link io.paguma.ConnectionClosedException}
     * when the link to its node breaks or the node leaves. Never left pending.
     */
    CompletableFuture<Message> request(String service, int id, byte[] data, Duration timeout);

    /**
     * {@link #request(String, int, byte[], Duration)}, waiting for the reply: for worker threads.
     * Refused on an IO thread with {@link IllegalStateException} (it would stall every connection
     * of that thread). Throws the request's failure: {@link io.paguma.RemoteException},
     * {@link ServiceCallException} (wrapping a timeout or a closed link).
     */
    Message call(String service, int id, byte[] data, Duration timeout);

    /** The cluster's shared data (SPEC H4). */
    SharedData sharedData();

    /**
     * A client's store (seed 003's "sharepreference"): values by name that services on any node
     * read by client id; cleared when the client's login ends, unless {@code cluster.keepClientStore}.
     */
    ClientStore clientStore(String clientId);
}
