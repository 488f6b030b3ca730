package io.paguma;

import io.paguma.testing.FrameSocket;
import io.paguma.testing.LogCapture;
import io.paguma.testing.Servers;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.ByteArrayOutputStream;
import java.time.Duration;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The authentication hook (issue 16 item 6): a first-message {@link Authenticator} with a deadline
 * (authTimeout), and an onConnStart that refuses by throwing. A refused connection gets nothing
 * routed, is closed with one WARN line naming it (never the payload), and fires an event.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class AuthenticationTest {
    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final int LOGIN = 1;
    private static final int ECHO = 2;
    private static final String SECRET = "s3cr3t-token-42";

    private static final class Failures implements EndpointListener {
        final Queue<String> reasons = new ConcurrentLinkedQueue<>();

        @Override
        public void authenticationFailed(Connection connection, String reason) {
            reasons.add(reason);
        }
    }

    /** A server whose connections must log in with SECRET; every routed message is recorded. */
    private static Server server(Duration authTimeout, Failures failures, List<String> routed) {
        return Server.builder().config(Servers.config().authTimeout(authTimeout).heartbeatMax(Duration.ofSeconds(30)).build())
                .authenticator(first -> {
                    if (first.id() == LOGIN && first.text().equals("throw")) throw new IllegalStateException("no database");
                    return first.id() == LOGIN && first.text().equals(SECRET);
                })
                .route(LOGIN, r -> {
                    routed.add("login");
                    r.reply(LOGIN, "welcome");
                })
                .route(ECHO, r -> {
                    routed.add(r.text());
                    r.reply(ECHO, r.data());
                })
                .eventListener(failures)
                .build().start();
    }

    private static byte[] frames(FrameSocket s, Message... messages) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (Message m : messages) out.write(s.encode(m));
        return out.toByteArray();
    }

    @Test
    void aGoodLoginIsAdmittedAndGoesOnToItsRouter() throws Exception {
        Failures failures = new Failures();
        List<String> routed = new CopyOnWriteArrayList<>();
        Server server = server(Duration.ofSeconds(5), failures, routed);
        try (FrameSocket client = FrameSocket.connect(server.port())) {
            // The login and a message behind it in one write: the second waits for the verdict on the first.
            client.sendRaw(frames(client, new Message(LOGIN, SECRET.getBytes()), new Message(ECHO, "hello".getBytes())));
            assertThat(client.read().text()).isEqualTo("welcome");
            assertThat(client.read().text()).isEqualTo("hello");
            client.send(ECHO, "more");
            assertThat(client.read().text()).isEqualTo("more");
            assertThat(routed).containsExactly("login", "hello", "more");
            assertThat(failures.reasons).isEmpty();
            assertThat(server.stats().authFailures()).isZero();
        } finally {
            server.stop();
        }
    }

    @Test
    void aBadLoginClosesTheConnectionRoutesNothingAndLogsNoPayload() throws Exception {
        Failures failures = new Failures();
        List<String> routed = new CopyOnWriteArrayList<>();
        Server server = server(Duration.ofSeconds(5), failures, routed);
        try (LogCapture logs = LogCapture.start();
             FrameSocket intruder = FrameSocket.connect(server.port());
             FrameSocket member = FrameSocket.connect(server.port())) {
            member.send(LOGIN, SECRET);
            assertThat(member.read().text()).isEqualTo("welcome");
            intruder.sendRaw(frames(intruder, new Message(LOGIN, "guess-the-password".getBytes()),
                    new Message(ECHO, "sneaky".getBytes())));
            assertThat(intruder.closedByPeer()).isTrue();
            await().atMost(WAIT).until(() -> failures.reasons.size() == 1);
            assertThat(failures.reasons).containsExactly("refused by the authenticator");
            assertThat(routed).containsExactly("login");
            String address = "127.0.0.1:" + intruder.socket().getLocalPort();
            assertThat(logs.at("WARN", address)).singleElement().asString()
                    .contains("refused by the authenticator", "first message, id 1").doesNotContain("guess-the-password");
            assertThat(logs.lines("guess-the-password")).isEmpty();
            assertThat(server.stats().authFailures()).isEqualTo(1);
            // The member is not disturbed.
            member.send(ECHO, "still here");
            assertThat(member.read().text()).isEqualTo("still here");
        } finally {
            server.stop();
        }
    }

    @Test
    void anAuthenticatorThatThrowsRefusesAndIsNamedInTheLine() throws Exception {
        Failures failures = new Failures();
        List<String> routed = new CopyOnWriteArrayList<>();
        Server server = server(Duration.ofSeconds(5), failures, routed);
        try (LogCapture logs = LogCapture.start(); FrameSocket client = FrameSocket.connect(server.port())) {
            client.send(LOGIN, "throw");
            assertThat(client.closedByPeer()).isTrue();
            await().atMost(WAIT).until(() -> failures.reasons.size() == 1);
            assertThat(failures.reasons.peek()).contains("IllegalStateException", "no database");
            assertThat(logs.at("WARN", "127.0.0.1:" + client.socket().getLocalPort())).singleElement().asString()
                    .contains("the authenticator threw", "no database");
            assertThat(routed).isEmpty();
        } finally {
            server.stop();
        }
    }

    @Test
    void aConnectionThatDoesNotAuthenticateInTimeIsClosedEvenWhileSendingHeartbeats() throws Exception {
        Failures failures = new Failures();
        List<String> routed = new CopyOnWriteArrayList<>();
        Server server = server(Duration.ofMillis(400), failures, routed);
        try (LogCapture logs = LogCapture.start(); FrameSocket silent = FrameSocket.connect(server.port())) {
            long start = System.nanoTime();
            // A heartbeat is answered but does not count as the first message.
            silent.send(PagumaConfig.defaults().heartbeatMsgId(), "ping");
            assertThat(silent.read().text()).isEqualTo("pong");
            assertThat(silent.closedByPeer()).isTrue();
            long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertThat(millis).isBetween(300L, 5000L);
            await().atMost(WAIT).until(() -> failures.reasons.size() == 1);
            assertThat(failures.reasons.peek()).contains("not authenticated within 400 ms (authTimeout)");
            assertThat(logs.at("WARN", "127.0.0.1:" + silent.socket().getLocalPort())).singleElement().asString()
                    .contains("authTimeout");
            assertThat(routed).isEmpty();
            System.out.println("AUTH authTimeout 400 ms: closed after " + millis + " ms");
        } finally {
            server.stop();
        }
    }

    @Test
    void anAdmittedConnectionOutlivesTheDeadline() throws Exception {
        Failures failures = new Failures();
        List<String> routed = new CopyOnWriteArrayList<>();
        Server server = server(Duration.ofMillis(200), failures, routed);
        try (FrameSocket client = FrameSocket.connect(server.port())) {
            client.send(LOGIN, SECRET);
            assertThat(client.read().text()).isEqualTo("welcome");
            // Well past the deadline (the server's clock, not a sleep): the connection is still served.
            long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(600);
            int i = 0;
            while (System.nanoTime() < until) {
                client.send(ECHO, "rt " + i);
                assertThat(client.read().text()).isEqualTo("rt " + i++);
            }
            assertThat(failures.reasons).isEmpty();
        } finally {
            server.stop();
        }
    }

    @Test
    void onConnStartThatThrowsRefusesTheConnectionAndRoutesNothing() throws Exception {
        List<String> routed = new CopyOnWriteArrayList<>();
        Queue<String> refusals = new ConcurrentLinkedQueue<>();
        Server server = Server.builder().config(Servers.config().build())
                .onConnStart(c -> {
                    if (c.remoteAddress().getAddress().getHostAddress().equals("127.0.0.5")) {
                        throw new SecurityException("banned address");
                    }
                })
                .route(ECHO, r -> {
                    routed.add(r.text());
                    r.reply(ECHO, r.data());
                })
                .eventListener(new EndpointListener() {
                    @Override
                    public void refused(java.net.InetSocketAddress peer, String reason) {
                        refusals.add(peer.getAddress().getHostAddress() + " " + reason);
                    }
                })
                .build().start();
        try (LogCapture logs = LogCapture.start();
             java.net.Socket banned = new java.net.Socket()) {
            banned.bind(new java.net.InetSocketAddress("127.0.0.5", 0));
            banned.connect(new java.net.InetSocketAddress("127.0.0.1", server.port()));
            banned.setSoTimeout(10_000);
            banned.getOutputStream().write(new byte[]{6, 0, 0, 0, ECHO, 0, 0, 0, 's', 'n', 'e', 'a', 'k', 'y'});
            assertThat(banned.getInputStream().read()).as("closed, no reply").isEqualTo(-1);
            await().atMost(WAIT).until(() -> refusals.size() == 1);
            assertThat(refusals).containsExactly("127.0.0.5 onConnStart threw");
            assertThat(routed).isEmpty();
            assertThat(logs.at("WARN", "127.0.0.5:" + banned.getLocalPort())).singleElement().asString()
                    .contains("onConnStart hook threw", "banned address", "connection refused");
            try (FrameSocket fine = FrameSocket.connect(server.port())) {
                fine.send(ECHO, "welcome");
                assertThat(fine.read().text()).isEqualTo("welcome");
            }
        } finally {
            server.stop();
        }
    }
}
