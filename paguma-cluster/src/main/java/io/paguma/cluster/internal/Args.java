package io.paguma.cluster.internal;

import java.time.Duration;

/** The argument checks every {@code SharedData} home makes alike (same rule, same words). */
public final class Args {
    private Args() {
    }

    /** The failure for a time to live that is null, zero or negative; null when it is fine. */
    public static IllegalArgumentException badTtl(Duration ttl) {
        if (ttl == null) return new IllegalArgumentException("ttl is null");
        if (ttl.isNegative() || ttl.isZero()) return new IllegalArgumentException("ttl must be more than zero: " + ttl);
        return null;
    }
}
