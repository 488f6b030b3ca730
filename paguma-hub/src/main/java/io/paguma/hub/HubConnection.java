package io.paguma.hub;

import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * One typed connection of a {@link ConnectionMgr} (seed 002's {@code XxConnection}): a link this
 * process dials, listens with, or accepted. Subclass it per connection type and register the type
 * in a {@link ConnectionFactory}; override the callbacks you need.
 *
 * <p>The callbacks run on the thread that calls {@link ConnectionMgr#update()}, never on a network
 * thread, in the order things happened on the link. The constructor of an accepted connection runs
 * on a network thread: keep it cheap.
 */
public class HubConnection {

    /** Where a connection is in its life. {@link ConnectionMgr#close(int)} brings it back to {@link #IDLE}. */
    public enum State {
        /** Created or closed: it may listen (if its type is listenable) or connect. */
        IDLE,
        /** Listening: accepted links become new connections of the type's accepted type. */
        LISTENING,
        /** Dialling: sends wait, in order, until the link is up. */
        CONNECTING,
        /** The link is up: dicts flow both ways. */
        CONNECTED,
        /** Its manager was destroyed. */
        DESTROYED
    }

    // Set by the manager; the state fields are guarded by the manager's lock.
    ConnectionMgr mgr;
    int id;
    String type;
    volatile State state = State.IDLE;
    volatile String targetIp;
    volatile int targetPort;
    Map<String, Object> createData = Map.of();
    /** Made for a link a listener accepted: it ends with that link (the manager forgets it). */
    boolean accepted;
    /** Incremented by {@link ConnectionMgr#close(int)}, so that events from before it are dropped. */
    volatile int life;
    volatile io.paguma.Connection link;
    io.paguma.Client client;
    io.paguma.Server server;
    final java.util.ArrayDeque<PendingSend> pending = new java.util.ArrayDeque<>();
    CompletableFuture<Void> connecting;
    /**
     * Why the last dial or link of this connection ended without {@link ConnectionMgr#close(int)}:
     * a send racing that end fails with it instead of throwing. Cleared by connect and close.
     */
    HubException lastLoss;

    /** The id the manager gave it, never reused by that manager. */
    public final int id() {
        return id;
    }

    /** Its type, as registered in the factory. */
    public final String type() {
        return type;
    }

    public final State state() {
        return state;
    }

    /** The address it dials ({@code m_szTargetIp}), listens on, or was accepted from; null before any. */
    public final String targetIp() {
        return targetIp;
    }

    /** The port it dials ({@code m_nTargetPort}), listens on, or the peer's listen port when accepted. */
    public final int targetPort() {
        return targetPort;
    }

    /** The dict given to {@link ConnectionMgr#createConnection(String, int, Map)}; empty otherwise. */
    public final Map<String, Object> createData() {
        return createData;
    }

    /** {@link ConnectionMgr#send(int, Map)} on this connection. */
    public final CompletableFuture<Void> send(Map<String, ?> dict) {
        return mgr.send(id, dict);
    }

    /** {@link ConnectionMgr#close(int)} on this connection. */
    public final void close() {
        mgr.close(id);
    }

    /** The manager it belongs to. */
    public final ConnectionMgr manager() {
        return mgr;
    }

    /** The link is up ({@code OnConnect}). */
    protected void onConnect() {
    }

    /**
     * The link is gone ({@code OnDisconnect}): the peer closed it or it broke ({@code cause} says
     * how, or is null for an orderly close). Not called for {@link ConnectionMgr#close(int)}. A
     * connection this process created is {@link State#IDLE} again and may connect anew; one a
     * listener accepted ends here: its manager forgets it.
     */
    protected void onDisconnect(Throwable cause) {
    }

    /** A dict arrived on the link. */
    protected void onReceive(Map<String, Object> dict) {
    }

    /** Something failed: a dial that could not reach its target, a refused link, a listen refused. */
    protected void onError(Throwable error) {
    }

    @Override
    public String toString() {
        return "connection #" + id + " (" + type + ", " + state + (targetIp != null ? ", " + PeerKey.format(targetIp, targetPort) : "")
                + ")";
    }
}
