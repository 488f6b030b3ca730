package io.paguma.examples;

import io.paguma.Client;
import io.paguma.Codecs;
import io.paguma.PagumaConfig;
import io.paguma.RemoteException;
import io.paguma.Server;
import io.paguma.testing.LogCapture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.Set;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The {@link TokenLogin} example, run with real clients. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class TokenLoginTest {

    private static Client client(Server server) {
        Client c = Client.builder().config(PagumaConfig.builder().name("player").host("127.0.0.1").port(server.port())
                .codec(Codecs.PAGUMA.name()).reconnect(false).build()).build();
        c.connect().orTimeout(10, TimeUnit.SECONDS).join();
        return c;
    }

    @Test
    void aPlayerWithAGoodTokenChatsAndOneWithABadTokenIsToldAndClosed() {
        Server server = TokenLogin.server(PagumaConfig.builder().name("game").host("127.0.0.1").port(0),
                Set.of("let-me-in"), Set.of()).start();
        try (LogCapture logs = LogCapture.start()) {
            Client good = client(server);
            assertThat(good.request(TokenLogin.LOGIN, "let-me-in").orTimeout(10, TimeUnit.SECONDS).join().text())
                    .startsWith("welcome, player-");
            assertThat(good.request(TokenLogin.CHAT, "hi").orTimeout(10, TimeUnit.SECONDS).join().text())
                    .matches("player-\\d+: hi");

            Client bad = client(server);
            assertThatThrownBy(() -> bad.request(TokenLogin.LOGIN, "open-sesame").orTimeout(10, TimeUnit.SECONDS).join())
                    .isInstanceOf(CompletionException.class).cause().isInstanceOf(RemoteException.class)
                    .satisfies(e -> assertThat(((RemoteException) e).status()).isEqualTo(TokenLogin.UNAUTHORIZED));
            bad.closeFuture().orTimeout(10, TimeUnit.SECONDS).exceptionally(e -> null).join();
            assertThat(logs.lines("open-sesame")).isEmpty();
            assertThat(logs.lines("let-me-in")).isEmpty();
            assertThat(server.stats().authFailures()).isEqualTo(1);
            // The good player is not disturbed.
            assertThat(good.request(TokenLogin.CHAT, "still here").orTimeout(10, TimeUnit.SECONDS).join().text())
                    .endsWith(": still here");
            good.close();
            bad.close();
        } finally {
            server.stop();
        }
    }

    @Test
    void aChatBeforeTheLoginIsRefused() {
        Server server = TokenLogin.server(PagumaConfig.builder().name("game").host("127.0.0.1").port(0)
                .stopGracePeriod(Duration.ofSeconds(2)), Set.of("let-me-in"), Set.of()).start();
        try {
            Client c = client(server);
            assertThatThrownBy(() -> c.request(TokenLogin.CHAT, "hello?").orTimeout(10, TimeUnit.SECONDS).join())
                    .cause().isInstanceOf(RemoteException.class);
            c.close();
        } finally {
            server.stop();
        }
    }
}
