package io.paguma.redis;

import io.paguma.PagumaConfig;
import io.paguma.cluster.SharedData;
import io.paguma.cluster.SharedDataContract;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

import java.util.HashMap;
import java.util.Map;

/** The shared-data contract on a real redis-server (the system's, or embedded-redis's 6.2). */
class RedisSharedDataTest extends SharedDataContract {
    private static RedisServerHarness redis;

    @BeforeAll
    static void startRedis() {
        redis = RedisServerHarness.start();
    }

    @AfterAll
    static void stopRedis() {
        redis.close();
    }

    @Override
    protected SharedData create() {
        return RedisSharedData.create(config(redis));
    }

    /** A config for {@code redis}, with more environment variables as name, value pairs. */
    static PagumaConfig config(RedisServerHarness redis, String... env) {
        Map<String, String> vars = new HashMap<>();
        vars.put("PAGUMA_REDIS_URI", redis.uri());
        for (int i = 0; i < env.length; i += 2) vars.put(env[i], env[i + 1]);
        return PagumaConfig.load(null, vars, Map.of());
    }
}
