package io.paguma.redis;

import io.paguma.cluster.Registry;
import io.paguma.cluster.RegistryContract;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

/** The registry contract on a real redis-server: every view of a test is its own client of it. */
class RedisRegistryTest extends RegistryContract {
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
    protected Registry createView() {
        RedisRegistry view = RedisRegistry.create(RedisSharedDataTest.config(redis,
                "PAGUMA_CLUSTER_MEMBER_TTL", "1s", "PAGUMA_CLUSTER_RESYNC_INTERVAL", "1s"));
        view.ready().orTimeout(5, TimeUnit.SECONDS).join(); // a view hears changes once it is ready
        return view;
    }

    @Override
    protected Duration propagation() {
        return Duration.ofSeconds(5);
    }
}
