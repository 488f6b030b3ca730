package io.paguma.hub;

import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * The connection types a {@link ConnectionMgr} can create (seed 002's
 * {@code XxConnectionFactory}): register each type before creating connections of it.
 *
 * <pre>{@code
 * ConnectionFactory types = new ConnectionFactory()
 *     .registerListenable("lobby", HubConnection::new, "player")   // listens; accepted links become "player"s
 *     .register("player", Player::new)
 *     .register("upstream", Upstream::new);                        // dials only
 * }</pre>
 */
public final class ConnectionFactory {
    private record Type(Supplier<? extends HubConnection> make, String acceptedType) {
    }

    private final Map<String, Type> types = new ConcurrentHashMap<>();

    /** Registers a type that dials (and is what accepted links become); it cannot listen. */
    public ConnectionFactory register(String type, Supplier<? extends HubConnection> make) {
        return put(type, new Type(Objects.requireNonNull(make, "make"), null));
    }

    /**
     * Registers a type that may listen (and dial); each link it accepts becomes a new connection of
     * {@code acceptedType}, which must be registered too by the time a link is accepted.
     */
    public ConnectionFactory registerListenable(String type, Supplier<? extends HubConnection> make, String acceptedType) {
        return put(type, new Type(Objects.requireNonNull(make, "make"), Objects.requireNonNull(acceptedType, "acceptedType")));
    }

    private ConnectionFactory put(String type, Type t) {
        Objects.requireNonNull(type, "type");
        if (type.isEmpty()) throw new IllegalArgumentException("a connection type needs a name");
        if (types.putIfAbsent(type, t) != null) throw new IllegalArgumentException("connection type '" + type + "' is registered already");
        return this;
    }

    /** Whether {@code type} is registered. */
    public boolean isRegistered(String type) {
        return types.containsKey(type);
    }

    /** Whether connections of {@code type} may listen. */
    public boolean isListenable(String type) {
        Type t = types.get(type);
        return t != null && t.acceptedType != null;
    }

    /** The type that links accepted by a listening {@code type} become, or null. */
    String acceptedType(String type) {
        Type t = types.get(type);
        return t != null ? t.acceptedType : null;
    }

    /**
     * A new connection of {@code type} ({@code CreateConnection(type)}), not yet known to a manager.
     *
     * @throws IllegalArgumentException if the type is not registered
     */
    HubConnection create(String type) {
        Type t = types.get(type);
        if (t == null) {
            throw new IllegalArgumentException("connection type '" + type + "' is not registered (registered: "
                    + new java.util.TreeSet<>(types.keySet()) + ")");
        }
        HubConnection c = t.make.get();
        if (c == null) throw new IllegalStateException("the factory of connection type '" + type + "' returned null");
        if (c.mgr != null) throw new IllegalStateException("the factory of connection type '" + type + "' returned a connection in use");
        c.type = type;
        return c;
    }
}
