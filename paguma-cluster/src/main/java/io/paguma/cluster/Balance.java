package io.paguma.cluster;

import io.paguma.Request;

import java.util.Objects;
import java.util.function.Function;

/**
 * How a client's message picks one node among those that run its service (SPEC H3):
 * <ul>
 *   <li>{@link #STICKY} (the default): each client keeps to one node while the service's nodes
 *       stay the same (rendezvous hashing of the client id: when a node comes or goes, only the
 *       clients whose node it was move);</li>
 *   <li>{@link #ROUND_ROBIN}: each message to the next node;</li>
 *   <li>{@link #byKey}: rendezvous hashing of a key taken from the message (a room, a game), so
 *       every message about one key meets on one node.</li>
 * </ul>
 * Service requests between services ({@link ServiceContext#request}) go to this node's own
 * instance when there is one, else round robin.
 */
public final class Balance {
    public static final Balance STICKY = new Balance("sticky", null, false);
    public static final Balance ROUND_ROBIN = new Balance("round-robin", null, true);

    private final String name;
    private final Function<Request, String> key;
    private final boolean roundRobin;

    private Balance(String name, Function<Request, String> key, boolean roundRobin) {
        this.name = name;
        this.key = key;
        this.roundRobin = roundRobin;
    }

    /** Consistent hashing by {@code key}, taken from each message (null: the client id). */
    public static Balance byKey(Function<Request, String> key) {
        return new Balance("by-key", Objects.requireNonNull(key, "key"), false);
    }

    Function<Request, String> key() {
        return key;
    }

    boolean roundRobin() {
        return roundRobin;
    }

    @Override
    public String toString() {
        return name;
    }
}
