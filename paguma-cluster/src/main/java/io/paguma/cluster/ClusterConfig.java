package io.paguma.cluster;

import io.paguma.ConfigKey;
import io.paguma.ConfigSection;

import java.time.Duration;

/**
 * The cluster's keys: section {@code cluster:} of {@code application.yaml},
 * {@code PAGUMA_CLUSTER_<KEY>} environment variables, {@code paguma.cluster.<key>} system
 * properties. Which registry and which shared data a node uses, who the node is, and the times
 * that bound membership and requests. Redis's own keys are in section {@code redis:}
 * (paguma-redis).
 */
public final class ClusterConfig extends ConfigSection {
    /** Where the members of a cluster learn of each other. */
    public enum RegistryKind {
        /** Nodes in this JVM only ({@link InProcessRegistry}). */
        IN_PROCESS,
        /** The seed's registry node, {@code ./paguma registry}, at {@link #REGISTRY_ADDRESS}. */
        NODE,
        /** Redis, at section {@code redis:}'s address (needs paguma-redis). */
        REDIS
    }

    /** Where the cluster's shared data lives. */
    public enum SharedDataKind {
        /** In this process ({@link InProcessSharedData}): one machine. */
        IN_PROCESS,
        /** In a service on one node, reached by service requests (seed 003's design without Redis). */
        SERVICE,
        /** Redis (needs paguma-redis). */
        REDIS
    }

    public static final ConfigKey<String> NODE_ID = ConfigKey.string("nodeId", "")
            .check(v -> v.isEmpty() || NodeInfo.validId(v), "must be 1-64 letters, digits, '.', '_' or '-'")
            .doc("The node's id, unique in the cluster; empty: made from the host name and a random suffix at start.");
    public static final ConfigKey<String> NODE_NAME = ConfigKey.string("nodeName", "")
            .doc("The node's name for people and logs; empty: the id.");
    public static final ConfigKey<String> NODE_HOST = ConfigKey.string("nodeHost", "127.0.0.1")
            .check(v -> !v.isBlank(), "must not be blank")
            .doc("The address the node's node-to-node port listens on and that other nodes are told to dial.");
    public static final ConfigKey<Integer> NODE_PORT = ConfigKey.integer("nodePort", 0)
            .check(v -> v >= 0 && v <= 65535, "must be between 0 and 65535")
            .doc("The node-to-node port; 0: any free port (announced through the registry).");
    public static final ConfigKey<RegistryKind> REGISTRY = ConfigKey.enumOf("registry", RegistryKind.class, RegistryKind.IN_PROCESS)
            .doc("in-process, node (the registry node at registryAddress) or redis.");
    public static final ConfigKey<String> REGISTRY_ADDRESS = ConfigKey.string("registryAddress", "127.0.0.1:7700")
            .check(v -> v.lastIndexOf(':') > 0, "must be host:port")
            .doc("host:port of the registry node: where ./paguma registry listens and where nodes dial it.");
    public static final ConfigKey<Duration> MEMBER_TTL = ConfigKey.duration("memberTtl", Duration.ofSeconds(3))
            .check(v -> v.toMillis() >= 100, "must be at least 100ms")
            .doc("A member that has not refreshed itself for this long is dropped; members refresh at a third of it.");
    public static final ConfigKey<Duration> RESYNC_INTERVAL = ConfigKey.duration("resyncInterval", Duration.ofSeconds(5))
            .check(v -> v.toMillis() >= 100, "must be at least 100ms")
            .doc("How often a view re-reads the whole membership (Redis pub/sub may lose a message).");
    public static final ConfigKey<SharedDataKind> SHARED_DATA = ConfigKey.enumOf("sharedData", SharedDataKind.class, SharedDataKind.IN_PROCESS)
            .doc("in-process, service (hosted by the node that runs service shared-data) or redis.");
    public static final ConfigKey<Duration> REQUEST_TIMEOUT = ConfigKey.duration("requestTimeout", Duration.ofSeconds(5))
            .check(v -> v.toMillis() >= 1, "must be at least 1ms")
            .doc("The deadline of a service request that names none.");
    public static final ConfigKey<Boolean> KEEP_CLIENT_STORE = ConfigKey.bool("keepClientStore", false)
            .doc("Keep a client's per-client store after it disconnects (default: cleared when its login ends).");
    public static final ConfigKey<Integer> REGISTRY_MAX_MEMBERS = ConfigKey.integer("registryMaxMembers", 4096)
            .check(v -> v > 0, "must be > 0")
            .doc("The registry node holds at most this many members; a join beyond them fails.");
    public static final ConfigKey<Integer> REGISTRY_MAX_VIEWS = ConfigKey.integer("registryMaxViews", 1024)
            .check(v -> v > 0, "must be > 0")
            .doc("The registry node keeps at most this many connections (views and members); one more is refused.");
    public static final ConfigKey<Integer> REGISTRY_MAX_INFO_SIZE = ConfigKey.integer("registryMaxInfoSize", 16384)
            .check(v -> v >= 256, "must be at least 256")
            .doc("The largest message, in bytes, the registry node reads (a member's info as JSON); a larger one closes its connection.");

    public static final ConfigKey<Integer> LINK_MAX_PACKET_SIZE = ConfigKey.integer("linkMaxPacketSize", 8 << 20)
            .check(v -> v >= 4096, "must be at least 4096")
            .doc("The largest message on a node-to-node link (at least the gateway's maxPacketSize plus 2 KiB of routing fields is used).");

    public static final ConfigKey<String> SECRET = ConfigKey.string("secret", "")
            .doc("A secret every node of the cluster shares: a node link's HELLO must carry its HMAC, so that a stranger on the node port cannot link as a member. Empty: no check.");

    public ClusterConfig() {
        super("cluster", NODE_ID, NODE_NAME, NODE_HOST, NODE_PORT, REGISTRY, REGISTRY_ADDRESS, MEMBER_TTL,
                RESYNC_INTERVAL, SHARED_DATA, REQUEST_TIMEOUT, KEEP_CLIENT_STORE, LINK_MAX_PACKET_SIZE, SECRET,
                REGISTRY_MAX_MEMBERS, REGISTRY_MAX_VIEWS, REGISTRY_MAX_INFO_SIZE);
    }
}
