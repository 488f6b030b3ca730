package io.paguma.cluster;

import io.paguma.PagumaConfig;
import io.paguma.redis.RedisRegistry;
import io.paguma.redis.RedisServerHarness;
import io.paguma.redis.RedisSharedData;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

import java.util.HashMap;
import java.util.Map;
import java.util.UUID;

/**
 * {@link ExecutorTasksTest} with the tasks in Redis (SPEC X7, B8): a stream per task type and a
 * consumer group, on a real {@code redis-server}. The nodes share one Redis view (its task queue).
 */
class ExecutorTasksOnRedisTest extends ExecutorTasksTest {
    private static RedisServerHarness redis;

    @BeforeAll
    static void startRedis() {
        redis = RedisServerHarness.start();
    }

    @AfterAll
    static void stopRedis() {
        redis.close();
    }

    static PagumaConfig config() {
        Map<String, String> env = new HashMap<>();
        env.put("PAGUMA_REDIS_URI", redis.uri());
        // Each test its own key space: tasks of one test never meet the executors of another.
        env.put("PAGUMA_REDIS_KEY_PREFIX", "t" + UUID.randomUUID().toString().substring(0, 8) + ":");
        env.put("PAGUMA_CLUSTER_MEMBER_TTL", "1s");
        return PagumaConfig.load(null, env, Map.of());
    }

    @Override
    Nodes nodes() {
        PagumaConfig c = config();
        return new Nodes(RedisRegistry.create(c), RedisSharedData.create(c));
    }

    @Override
    Map<String, Integer> load() {
        return ((RedisRegistry) nodes.registry).taskLoad();
    }
}
