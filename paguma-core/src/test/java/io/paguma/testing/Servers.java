package io.paguma.testing;

import io.paguma.PagumaConfig;

/**
 * Config for test servers: loopback, port 0, quick stop, and frames up to 1 MiB both ways (tests
 * push large replies; a server does not send what is over its own maxPacketSize). A test of the
 * limit sets its own.
 */
public final class Servers {
    private Servers() {
    }

    public static PagumaConfig.Builder config() {
        return PagumaConfig.builder()
                .name("test")
                .host("127.0.0.1")
                .port(0)
                .maxPacketSize(1 << 20)
                .ioThreads(2)
                .workerPoolSize(2)
                .stopGracePeriod(java.time.Duration.ofSeconds(5))
                // -Dpaguma.test.zeroCopy=true: every server of the suite on the zero-copy path (leaks fail the class).
                .zeroCopy(Boolean.getBoolean("paguma.test.zeroCopy"));
    }
}
