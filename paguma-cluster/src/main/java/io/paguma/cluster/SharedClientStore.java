package io.paguma.cluster;

import io.paguma.cluster.internal.Wire;

import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/**
 * A {@link ClientStore} kept as one value of the shared data, {@code paguma:store:<client>}:
 * [i64 epoch of the login it belongs to][i32 count] then count × ([str name][bytes value]).
 * Changes are read-modify-compare-and-set loops.
 */
final class SharedClientStore implements ClientStore {
    private static final int MAX_ATTEMPTS = 100;
    private final ClusterNode node;
    private final String clientId;
    private final String key;

    SharedClientStore(ClusterNode node, String clientId) {
        if (clientId == null || clientId.isEmpty()) throw new IllegalArgumentException("client id must not be empty");
        this.node = node;
        this.clientId = clientId;
        this.key = node.storeKey(clientId);
    }

    private record Blob(long epoch, TreeMap<String, byte[]> values) {
        static Blob decode(byte[] b) {
            if (b == null) return null;
            Wire.Reader in = new Wire.Reader(b);
            long epoch = in.i64("epoch");
            int n = in.i32("count");
            TreeMap<String, byte[]> m = new TreeMap<>();
            for (int i = 0; i < n; i++) {
                m.put(in.str("name"), in.bytes("value"));
            }
            in.end();
            return new Blob(epoch, m);
        }

        byte[] encode() {
            Wire.Writer out = new Wire.Writer(64).i64(epoch).i32(values.size());
            values.forEach((k, v) -> out.str(k).bytes(v));
            return out.toBytes();
        }
    }

    @Override
    public String clientId() {
        return clientId;
    }

    /** The store as the current login sees it: empty when it holds an older login's values (unless kept). */
    private CompletableFuture<Map<String, byte[]>> current() {
        return node.data.get(key).thenCombine(node.currentEpoch(clientId), (b, epoch) -> {
            Blob blob = Blob.decode(b);
            if (blob == null || !node.keepClientStore() && blob.epoch != epoch) return Map.of();
            return blob.values;
        });
    }

    @Override
    public CompletableFuture<byte[]> get(String name) {
        return current().thenApply(m -> {
            byte[] v = m.get(name);
            return v == null ? null : v.clone();
        });
    }

    @Override
    public CompletableFuture<Map<String, byte[]>> entries() {
        return current().thenApply(m -> {
            TreeMap<String, byte[]> copy = new TreeMap<>();
            m.forEach((k, v) -> copy.put(k, v.clone()));
            return copy;
        });
    }

    @Override
    public CompletableFuture<Void> put(String name, byte[] value) {
        if (name == null || value == null) return CompletableFuture.failedFuture(new IllegalArgumentException("name and value must not be null"));
        byte[] copy = value.clone();
        return change(m -> m.put(name, copy) != copy).thenApply(x -> null);
    }

    @Override
    public CompletableFuture<Boolean> remove(String name) {
        return change(m -> m.remove(name) != null);
    }

    /** Applies {@code edit} to the current login's values and stores them, again and again until no one else changed them meanwhile. */
    private CompletableFuture<Boolean> change(Function<TreeMap<String, byte[]>, Boolean> edit) {
        return node.currentEpoch(clientId).thenCompose(epoch -> attempt(edit, epoch, 0));
    }

    private CompletableFuture<Boolean> attempt(Function<TreeMap<String, byte[]>, Boolean> edit, long epoch, int attempt) {
        if (attempt >= MAX_ATTEMPTS) {
            return CompletableFuture.failedFuture(new SharedDataException("client store of " + clientId
                    + " changed by others " + MAX_ATTEMPTS + " times in a row; gave up"));
        }
        return node.data.get(key).thenCompose(old -> {
            Blob blob = Blob.decode(old);
            TreeMap<String, byte[]> values = blob == null || !node.keepClientStore() && blob.epoch != epoch
                    ? new TreeMap<>() : new TreeMap<>(blob.values);
            boolean changed = edit.apply(values);
            byte[] updated = new Blob(epoch, values).encode();
            if (old != null && Arrays.equals(old, updated)) return CompletableFuture.completedFuture(changed);
            return node.data.compareAndSet(key, old, updated)
                    .thenCompose(ok -> ok ? CompletableFuture.completedFuture(changed) : attempt(edit, epoch, attempt + 1));
        });
    }

    /** Deletes the store if it belongs to login {@code epoch} (a newer login's store stays). */
    static CompletableFuture<Void> clear(ClusterNode node, String clientId, long epoch) {
        String key = node.storeKey(clientId);
        return node.data.get(key).thenCompose(old -> {
            Blob blob = Blob.decode(old);
            if (blob == null || blob.epoch > epoch) return CompletableFuture.completedFuture(null);
            return node.data.compareAndSet(key, old, null).thenApply(x -> null);
        });
    }
}
