package io.paguma;

/**
 * Decides whether a WebSocket upgrade is accepted, as Zinx's {@code SetWebsocketAuth}: it runs
 * after the path and origin checks, before the handshake's answer. Returning accepts; throwing
 * refuses with {@code 403 Forbidden} (the exception's message is logged with the peer's address,
 * never sent to the peer) and counts as a refused connection ({@link EndpointListener#refused}).
 *
 * <p>It runs on the connection's IO thread, so it must be quick: look a token up in memory, check
 * a signature; do not call a remote service from here.
 *
 * <pre>{@code
 * Server.builder()
 *     .webSocketAuth(upgrade -> {
 *         String user = tokens.get(upgrade.query("token"));
 *         if (user == null) throw new SecurityException("unknown token");
 *         upgrade.property("user", user);
 *     })
 * }</pre>
 */
@FunctionalInterface
public interface WebSocketAuth {
    /** Returns to accept the upgrade; throws to refuse it. */
    void check(WebSocketUpgrade upgrade) throws Exception;
}
