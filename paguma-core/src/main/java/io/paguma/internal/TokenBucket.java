package io.paguma.internal;

import java.util.concurrent.TimeUnit;

/**
 * A token bucket read lazily, for the rate limits ({@code acceptRate}, {@code maxMessageRate}):
 * {@code perSecond} tokens a second, at most one second's worth kept; the clock is read only by
 * the caller, when it needs tokens it does not have. Not thread-safe: its owner guards it.
 */
final class TokenBucket {
    private final long nanosPerToken;
    private final long burst;
    /** Tokens left; may go below zero when the owner takes more than it had (a batch of accepts). */
    long tokens;
    /** The time (nanoTime) up to which tokens were added. */
    private long filledTo;

    TokenBucket(long perSecond, long now) {
        this.nanosPerToken = Math.max(1, TimeUnit.SECONDS.toNanos(1) / perSecond);
        this.burst = perSecond;
        this.tokens = perSecond;
        this.filledTo = now;
    }

    /** Adds the tokens earned since the last refill (at most {@code burst} kept); true if there is one now. */
    boolean refill(long now) {
        long earned = (now - filledTo) / nanosPerToken;
        if (earned > 0) {
            if (tokens + earned >= burst) {
                tokens = burst;
                filledTo = now;
            } else {
                tokens += earned;
                filledTo += earned * nanosPerToken;
            }
        }
        return tokens > 0;
    }

    /** How long from {@code now} until {@code n} tokens are there (0 or less if they are). */
    long nanosUntil(long n, long now) {
        return filledTo + (n - tokens) * nanosPerToken - now;
    }
}
