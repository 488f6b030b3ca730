package io.paguma.cluster;

import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * One client's values by name, readable by services on any node (seed 003's "sharepreference";
 * SPEC H4): get one through {@link ServiceContext#clientStore(String)}. Kept in the cluster's
 * {@link SharedData}; each change is atomic (compare-and-set), so services on two nodes that
 * change one client's store at once both keep their change.
 *
 * <p>A store belongs to a login: it is cleared when that login ends (the client disconnects), and
 * a newer login of the same id starts from an empty store — unless {@code cluster.keepClientStore}
 * is true, when it is kept across logins and disconnects. A late disconnect never clears the store
 * of a newer login.
 */
public interface ClientStore {

    /** The client it belongs to. */
    String clientId();

    /** The value of {@code name}, or null. */
    CompletableFuture<byte[]> get(String name);

    /** Sets {@code name} to {@code value}. */
    CompletableFuture<Void> put(String name, byte[] value);

    /** Removes {@code name}; completes with whether it had a value. */
    CompletableFuture<Boolean> remove(String name);

    /** Everything in the store, by name. */
    CompletableFuture<Map<String, byte[]>> entries();
}
