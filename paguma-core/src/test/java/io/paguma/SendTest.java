package io.paguma;

import io.paguma.testing.FrameSocket;
import io.paguma.testing.Servers;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicReference;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SendTest {

    private static Connection acceptOne(Server server, FrameSocket client) throws Exception {
        client.send(1, "hello");
        assertThat(client.read().text()).isEqualTo("hello");
        return server.connections().all().iterator().next();
    }

    @Test
    void sendCompletesWhenWrittenAndFailsOnAClosedConnectionWithoutThrowing() throws Exception {
        Server server = Server.builder().config(Servers.config().build()).route(1, r -> r.reply(1, r.data())).build().start();
        try (FrameSocket s = FrameSocket.connect(server.port())) {
            Connection conn = acceptOne(server, s);
            conn.send(2, "pushed").get(5, SECONDS);
            Message pushed = s.read();
            assertThat(pushed.id()).isEqualTo(2);
            assertThat(pushed.text()).isEqualTo("pushed");

            s.close();
            conn.closeFuture().get(5, SECONDS);
            CompletableFuture<Void> late = conn.send(2, "too late");
            assertThatThrownBy(() -> late.get(5, SECONDS))
                    .isInstanceOf(ExecutionException.class)
                    .cause().isInstanceOf(ConnectionClosedException.class)
                    .hasMessageContaining("connection " + conn.id() + " (127.0.0.1:");
        } finally {
            server.stop();
        }
    }

    @Test
    void sendsRacingACloseAllCompleteAndNoneThrows() throws Exception {
        Server server = Server.builder().config(Servers.config().build()).route(1, r -> r.reply(1, r.data())).build().start();
        List<CompletableFuture<Void>> futures = new CopyOnWriteArrayList<>();
        List<Throwable> thrown = new CopyOnWriteArrayList<>();
        try (FrameSocket s = FrameSocket.connect(server.port())) {
            Connection conn = acceptOne(server, s);
            CountDownLatch go = new CountDownLatch(1);
            List<Thread> senders = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                Thread th = new Thread(() -> {
                    try {
                        go.await();
                        for (int i = 0; i < 5000; i++) futures.add(conn.send(3, "x"));
                    } catch (Throwable e) {
                        thrown.add(e);
                    }
                });
                senders.add(th);
                th.start();
            }
            go.countDown();
            conn.close();
            for (Thread th : senders) th.join(10_000);
            CompletableFuture.allOf(futures.toArray(new CompletableFuture[0]))
                    .handle((v, e) -> null).get(10, SECONDS);
            assertThat(thrown).isEmpty();
            assertThat(futures).hasSize(20_000).allMatch(CompletableFuture::isDone);
            for (CompletableFuture<Void> f : futures) {
                if (f.isCompletedExceptionally()) {
                    assertThatThrownBy(f::join).cause().isInstanceOf(ConnectionClosedException.class);
                }
            }
        } finally {
            server.stop();
        }
    }

    @Test
    void sendAfterTheServerStoppedFailsFast() throws Exception {
        Server server = Server.builder().config(Servers.config().build()).route(1, r -> r.reply(1, r.data())).build().start();
        Connection conn;
        try (FrameSocket s = FrameSocket.connect(server.port())) {
            conn = acceptOne(server, s);
        }
        server.stop();
        assertThatThrownBy(() -> conn.send(1, "nobody").get(5, SECONDS))
                .cause().isInstanceOf(ConnectionClosedException.class);
    }

    @Test
    void aMessageTheCodecCannotEncodeFailsItsFutureAndTheConnectionCarriesOn() throws Exception {
        AtomicReference<CompletableFuture<Void>> bad = new AtomicReference<>();
        Server server = Server.builder().config(Servers.config().codec("length-prefix").build())
                .route(0, r -> {
                    bad.set(r.reply(5, "id 5 cannot be sent with length-prefix"));
                    r.reply(0, r.data());
                })
                .build().start();
        try (FrameSocket s = FrameSocket.connect(server.port(), Codecs.LENGTH_PREFIX)) {
            s.send(0, "echo me");
            assertThat(s.read().text()).isEqualTo("echo me");
            assertThatThrownBy(() -> bad.get().get(5, SECONDS)).hasMessageContaining("carries no message id");
        } finally {
            server.stop();
        }
    }

    @Test
    void writesFromOneThreadKeepTheirOrder() throws Exception {
        Server server = Server.builder().config(Servers.config().build()).route(1, r -> r.reply(1, r.data())).build().start();
        try (FrameSocket s = FrameSocket.connect(server.port())) {
            Connection conn = acceptOne(server, s);
            for (int i = 0; i < 2000; i++) conn.send(4, Integer.toString(i));
            for (int i = 0; i < 2000; i++) assertThat(s.read().text()).isEqualTo(Integer.toString(i));
        } finally {
            server.stop();
        }
    }
}
