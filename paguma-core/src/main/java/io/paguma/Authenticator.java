package io.paguma;

/**
 * A server's gate on each new connection's first message ({@code Server.Builder.authenticator}):
 * a login, a token, a signed hello. Until it has admitted the connection, no message of it reaches
 * a router; a connection that is not admitted within {@code authTimeout} (10 s by default) is
 * closed.
 *
 * <pre>{@code
 * Server.builder()
 *     .authenticator(first -> first.id() == LOGIN && tokens.isValid(first.text()))
 *     .route(LOGIN, r -> r.reply(LOGIN, "welcome"))   // the admitted login goes on to its router
 *     ...
 * }</pre>
 *
 * <p>It runs where the connection's routers run (its worker, or its IO thread with
 * {@code workerPoolSize: 0}), after {@code onConnStart}, with the connection's first message that
 * is not a heartbeat (heartbeats no router handles are answered before authentication; with a
 * router for {@code heartbeatMsgId}, a heartbeat is a message like any other). A login queued
 * behind a busy worker still counts against {@code authTimeout}. Returning {@code true} admits the connection, and that message then goes on
 * to its router like any other; {@code false} refuses it: the message and everything the
 * connection sent after it are dropped, the connection is closed (what the authenticator sent,
 * an error reply say, is written out first), one WARN line names it, and an
 * {@link EndpointListener#authenticationFailed} event is fired. An exception counts as
 * {@code false} and is named in the line. Never block for long here: like a router, it holds up
 * the connections that share its worker.
 *
 * <p>To refuse a connection before any message, from its address or the time of day, throw from
 * {@code onConnStart}: a server's connection whose {@code onConnStart} throws is closed and none of
 * its messages is routed.
 */
@FunctionalInterface
public interface Authenticator {

    /** Whether {@code first}, the connection's first message, admits its connection. */
    boolean authenticate(Request first) throws Exception;
}
