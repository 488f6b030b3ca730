package io.paguma.redis;

import io.paguma.PagumaConfig;
import io.paguma.PagumaRuntime;
import io.paguma.cluster.ClusterBackend;
import io.paguma.cluster.Registry;
import io.paguma.cluster.SharedData;

/**
 * What a {@link io.paguma.cluster.Daemon} uses when its config says {@code cluster.registry: redis}
 * or {@code cluster.sharedData: redis}: a {@link RedisRegistry} and a {@link RedisSharedData} on
 * the daemon's runtime, configured by section {@code redis:}. Found through
 * {@link java.util.ServiceLoader}: having paguma-redis on the class path is enough.
 */
public final class RedisBackend implements ClusterBackend {
    @Override
    public String name() {
        return "redis";
    }

    @Override
    public Registry registry(PagumaConfig config, PagumaRuntime runtime) {
        return RedisRegistry.create(config, runtime);
    }

    @Override
    public SharedData sharedData(PagumaConfig config, PagumaRuntime runtime) {
        return RedisSharedData.create(config, runtime);
    }
}
