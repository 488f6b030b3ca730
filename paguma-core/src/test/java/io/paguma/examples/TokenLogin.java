package io.paguma.examples;

import io.paguma.Authenticator;
import io.paguma.Codecs;
import io.paguma.PagumaConfig;
import io.paguma.Request;
import io.paguma.Server;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Set;

/**
 * An example (docs/RELIABILITY.md, "Authentication"): a server whose clients must log in with a
 * token as their first message. The authenticator admits a good token (the login then goes on to
 * its router, which welcomes the player), answers a bad one with an error status before the
 * connection is closed, and never logs the token. A client that says nothing for 5 s is closed
 * (authTimeout). Addresses on a deny list are refused in onConnStart, before any message.
 *
 * <p>Run it with {@code java -cp ... io.paguma.examples.TokenLogin} (port 8999); {@code
 * TokenLoginTest} runs it on a free port with a real client.
 */
public final class TokenLogin {
    /** The login message: its data is the token. */
    public static final int LOGIN = 1;
    public static final int CHAT = 2;
    /** The application's status for "unauthorized" (100-65535 are the application's). */
    public static final int UNAUTHORIZED = 401;

    private TokenLogin() {
    }

    /** Checks a token in constant time (a real server asks its account service). */
    static boolean valid(byte[] token, Set<String> tokens) {
        boolean ok = false;
        for (String t : tokens) ok |= MessageDigest.isEqual(token, t.getBytes(StandardCharsets.UTF_8));
        return ok;
    }

    public static Server server(PagumaConfig.Builder config, Set<String> tokens, Set<String> deniedAddresses) {
        Authenticator login = first -> {
            if (first.id() == LOGIN && valid(first.data(), tokens)) return true;
            // Told why, then closed; the token itself is never logged.
            first.fail(UNAUTHORIZED, "log in first, with a valid token");
            return false;
        };
        return Server.builder()
                .config(config.codec(Codecs.PAGUMA.name()).authTimeout(Duration.ofSeconds(5)).build())
                .onConnStart(c -> {
                    if (deniedAddresses.contains(c.remoteAddress().getAddress().getHostAddress())) {
                        throw new SecurityException("address on the deny list");
                    }
                })
                .authenticator(login)
                .route(LOGIN, r -> {
                    r.connection().property("player", "player-" + r.connection().id());
                    r.reply(LOGIN, "welcome, player-" + r.connection().id());
                })
                .route(CHAT, TokenLogin::chat)
                .build();
    }

    private static void chat(Request r) {
        String player = r.connection().property("player");
        r.reply(CHAT, player + ": " + r.text());
    }

    public static void main(String[] args) {
        server(PagumaConfig.builder(), Set.of("let-me-in"), Set.of()).serve();
    }
}
