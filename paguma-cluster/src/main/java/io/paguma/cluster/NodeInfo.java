package io.paguma.cluster;

import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * What a member of a cluster tells the others about itself (seed 002's "own information"): an id
 * unique in the cluster, a name for people, the host and port other nodes reach it on, the
 * services it runs, a load figure (lower is less loaded) and free-form attributes (an executor's
 * file port, the task types it accepts, a gateway's client port...).
 *
 * <p>Immutable; the collections are copied and sorted, so two infos with the same content are
 * equal and print the same.
 *
 * @param id         unique in the cluster: letters, digits, {@code . _ -}, 1 to 64 of them
 * @param name       for people and logs; the id if blank
 * @param host       the host or address other members connect to
 * @param port       the node-to-node port (0: the member takes no node connections)
 * @param services   the names of the services it runs
 * @param load       how busy it is, as the member counts it (e.g. connected clients); lower wins
 * @param attributes anything else other members need, as text
 */
public record NodeInfo(String id, String name, String host, int port, Set<String> services, long load,
                       Map<String, String> attributes) {

    public NodeInfo {
        Objects.requireNonNull(id, "id");
        if (!validId(id)) {
            throw new IllegalArgumentException("node id must be 1-64 letters, digits, '.', '_' or '-': '" + id + "'");
        }
        name = name == null || name.isBlank() ? id : name;
        host = Objects.requireNonNull(host, "host");
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port out of range: " + port);
        }
        services = services == null ? Set.of() : Set.copyOf(new TreeSet<>(services));
        attributes = attributes == null ? Map.of() : Map.copyOf(new TreeMap<>(attributes));
    }

    /** A member with no services, no load and no attributes. */
    public static NodeInfo of(String id, String host, int port) {
        return new NodeInfo(id, id, host, port, Set.of(), 0, Map.of());
    }

    public NodeInfo withServices(Set<String> services) {
        return new NodeInfo(id, name, host, port, services, load, attributes);
    }

    public NodeInfo withLoad(long load) {
        return new NodeInfo(id, name, host, port, services, load, attributes);
    }

    public NodeInfo withAttribute(String key, String value) {
        TreeMap<String, String> copy = new TreeMap<>(attributes);
        copy.put(key, value);
        return new NodeInfo(id, name, host, port, services, load, copy);
    }

    /** The attribute's value, or null. */
    public String attribute(String key) {
        return attributes.get(key);
    }

    public boolean runs(String service) {
        return services.contains(service);
    }

    static boolean validId(String id) {
        if (id.isEmpty() || id.length() > 64) {
            return false;
        }
        for (int i = 0; i < id.length(); i++) {
            char c = id.charAt(i);
            if (!(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-')) {
                return false;
            }
        }
        return true;
    }

    @Override
    public String toString() {
        return "node " + id + (name.equals(id) ? "" : " (" + name + ")") + " at " + host + ":" + port
                + " services " + services + " load " + load + (attributes.isEmpty() ? "" : " " + attributes);
    }
}
