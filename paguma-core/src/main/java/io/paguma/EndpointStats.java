package io.paguma;

/**
 * Counts of the events an {@link EndpointListener} hears, since the endpoint (or runtime) was
 * made; always on, read with {@code Server.stats()}, {@code Client.stats()} or
 * {@link PagumaRuntime#stats()}.
 */
public record EndpointStats(long accepted, long refused, long framesRejected, long unknownMessages,
                            long routerFailures, long idleCloses, long slowPeerCuts, long readPauses,
                            long requestTimeouts, long reconnects, long gaveUp, long requestsExpired) {
}
