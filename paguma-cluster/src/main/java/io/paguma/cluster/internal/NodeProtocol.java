package io.paguma.cluster.internal;

/**
 * The message ids of node-to-node links (codec {@code paguma}); fields are written with
 * {@link Wire}. docs/PROTOCOL.md, section "Node links", describes each.
 */
public final class NodeProtocol {
    private NodeProtocol() {
    }

    /** Request, dialler → dialled: [str from][str to][str incarnation][bytes mac]. Reply empty, or a failure and the link closes. */
    public static final int HELLO = 1;
    /**
     * A client's message for a service: [i64 conn][str client][i64 epoch][str address][str service][i32 id][i32 seq][bytes data].
     * A request when the client waits (its deadline in the frame; the reply is the answer itself — its id and data, matched by seq — or a failure), else one way.
     */
    public static final int FORWARD = 2;
    /** To one local client: [i64 conn][i32 id][i32 seq][i32 status][bytes data]. */
    public static final int TO_CLIENT = 3;
    /** To the local members of a group: [str group][i32 id][bytes data]. */
    public static final int TO_GROUP = 4;
    /** To every local client: [i32 id][bytes data]. */
    public static final int TO_ALL = 5;
    /** Request: [u8 join 1 / leave 0][i64 conn][str group]. Reply [u8 changed]. */
    public static final int GROUP = 6;
    /** A client event of the sender's: [u8 type][str client][i64 epoch][i64 conn][str address][str reason][u8 abnormal]. */
    public static final int EVENT = 7;
    /** Request to a service: [str service][i32 id][bytes data]; deadline in the frame. The reply is the answer itself (its id and data, matched by seq). */
    public static final int SERVICE_REQUEST = 8;
    /** Request: [i64 conn][str client]. Reply [i64 epoch]. */
    public static final int LOGIN = 9;
    /** Close a local client: [i64 conn][str reason]. */
    public static final int CLOSE = 10;
    /** A change of hosted shared data, to a subscribed store: [i32 store][bytes key][u8 type][u8 has value][bytes value]. */
    public static final int DATA_CHANGE = 11;
    /** The sender's clients, sent first on every link that comes up: [i32 n] n × [i64 conn][str client][i64 epoch][str address]. */
    public static final int CLIENTS = 12;
    /** Request, no fields, answered empty: everything sent before it on the link has been handled. */
    public static final int BYE = 13;
}
