package io.paguma.redis;

import io.paguma.PagumaConfig;
import io.paguma.PagumaRuntime;
import io.paguma.cluster.SharedData;
import io.paguma.cluster.SharedDataContract;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** The shared-data contract again, with Lettuce on a runtime's IO loops, which every store of the class shares. */
class RedisSharedDataOnRuntimeTest extends SharedDataContract {
    private static RedisServerHarness redis;
    private static PagumaConfig config;
    private static PagumaRuntime runtime;

    @BeforeAll
    static void start() {
        redis = RedisServerHarness.start();
        config = RedisSharedDataTest.config(redis, "PAGUMA_NAME", "contract", "PAGUMA_IO_THREADS", "2");
        runtime = PagumaRuntime.create(config);
    }

    @AfterAll
    static void stop() {
        runtime.close();
        redis.close();
    }

    @Override
    protected SharedData create() {
        return RedisSharedData.create(config, runtime);
    }
}
