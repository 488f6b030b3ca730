package io.paguma.testing;

import io.paguma.PagumaConfig;

/** Config for test servers: loopback, port 0, quick stop, a short warning interval. */
public final class Servers {
    private Servers() {
    }

    public static PagumaConfig.Builder config() {
        return PagumaConfig.builder()
                .name("test")
                .host("127.0.0.1")
                .port(0)
                .ioThreads(2)
                .workerPoolSize(2)
                .stopGracePeriod(java.time.Duration.ofSeconds(5));
    }
}
