package io.paguma.cluster;

import org.junit.jupiter.api.AfterEach;

import java.time.Duration;

/** The registry contract on {@link InProcessRegistry}: every view of a test is the same object. */
class InProcessRegistryTest extends RegistryContract {
    private final InProcessRegistry registry = new InProcessRegistry();

    @Override
    protected Registry createView() {
        return new Registry() {
            // Each view closes only the members joined through it, as a remote view would.
            private final java.util.List<Membership> joined = new java.util.concurrent.CopyOnWriteArrayList<>();
            private volatile boolean closed;

            @Override
            public java.util.concurrent.CompletableFuture<Membership> join(NodeInfo self) {
                if (closed) {
                    return java.util.concurrent.CompletableFuture.failedFuture(new RegistryException("view is closed"));
                }
                return registry.join(self).thenApply(m -> {
                    joined.add(m);
                    return m;
                });
            }

            @Override
            public java.util.Map<String, NodeInfo> members() {
                return registry.members();
            }

            @Override
            public Subscription watch(java.util.function.Consumer<MembershipChange> listener) {
                return registry.watch(listener);
            }

            @Override
            public void close() {
                closed = true;
                joined.forEach(Membership::leave);
            }
        };
    }

    @Override
    protected Duration propagation() {
        return Duration.ofSeconds(2);
    }

    @AfterEach
    void closeRegistry() {
        registry.close();
    }
}
