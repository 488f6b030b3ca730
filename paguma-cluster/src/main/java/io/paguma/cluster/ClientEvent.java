package io.paguma.cluster;

/**
 * Something that happened to a client, as every node's services hear it.
 *
 * @param type         connected, logged in, or disconnected
 * @param clientId     the client's id: {@code @node/connection} before it logs in, the id it
 *                     logged in with after
 * @param epoch        the login's epoch: 0 before a login; each login of one client id has a
 *                     larger one than the login before it, cluster-wide. A disconnect with a
 *                     smaller epoch than a login already seen is late: that login is newer and
 *                     must not be undone
 * @param nodeId       the node whose gateway holds the connection
 * @param connectionId the connection's id on that node
 * @param address      the client's address as the gateway saw it ({@code host:port})
 * @param reason       for a disconnect: why ("client closed", "idle", "logged in elsewhere",
 *                     "node stopping", a failure); null otherwise
 * @param abnormal     for a disconnect: true unless the client closed it or the node stopped
 *                     in order
 */
public record ClientEvent(Type type, String clientId, long epoch, String nodeId, long connectionId, String address,
                          String reason, boolean abnormal) {

    public enum Type { CONNECTED, LOGGED_IN, DISCONNECTED }

    /** Whether the client had logged in (its id is the one it logged in with). */
    public boolean loggedIn() {
        return epoch > 0;
    }

    @Override
    public String toString() {
        return type + " " + clientId + (epoch > 0 ? " epoch " + epoch : "") + " on " + nodeId + "#" + connectionId
                + (reason == null ? "" : " (" + reason + (abnormal ? ", abnormal" : "") + ")");
    }
}
