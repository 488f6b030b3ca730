package io.paguma;

/**
 * Counts of the events an {@link EndpointListener} hears, since the endpoint (or runtime) was
 * made; always on, read with {@code Server.stats()}, {@code Client.stats()} or
 * {@link PagumaRuntime#stats()}.
 *
 * <p>The flood limits ({@link EndpointListener#limitReached}) are counted by kind:
 * {@code perIpRefusals} (maxConnPerIp; these also count as {@code refused}), {@code acceptRatePauses}
 * (times acceptRate paused accepting), {@code messageRateLimits} (times maxMessageRate held a
 * connection's reading back); {@code authFailures} counts connections closed by the authenticator
 * or its deadline.
 */
public record EndpointStats(long accepted, long refused, long framesRejected, long unknownMessages,
                            long routerFailures, long idleCloses, long slowPeerCuts, long readPauses,
                            long requestTimeouts, long reconnects, long gaveUp, long requestsExpired,
                            long perIpRefusals, long acceptRatePauses, long messageRateLimits, long authFailures) {
}
