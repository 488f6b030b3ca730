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

    @Test
    void onTheIoThreadAFailedEncodeCutsOnlyItsOwnBytesFromTheBatch() throws Exception {
        // A codec that writes part of a frame before it throws an Error, on the IO thread (workerPoolSize 0),
        // with good replies before and after it in the same batch.
        Codec halfWriting = new Codec() {
            @Override public String name() { return "half-writing"; }
            @Override public Message decode(io.netty.buffer.ByteBuf in, int max) { return Codecs.LTV_LE.decode(in, max); }
            @Override public int frameLength(Message m) { return Codecs.LTV_LE.frameLength(m); }
            @Override public void encode(Message m, io.netty.buffer.ByteBuf out) {
                if (m.id() == 66) {
                    out.writeIntLE(12345).writeIntLE(66);
                    throw new AssertionError("codec bug");
                }
                Codecs.LTV_LE.encode(m, out);
            }
        };
        AtomicReference<CompletableFuture<Void>> bad = new AtomicReference<>();
        Server server = Server.builder().config(Servers.config().workerPoolSize(0).build()).codec(halfWriting)
                .route(1, r -> {
                    r.reply(1, "before");
                    bad.set(r.reply(66, "never"));
                    r.reply(1, "after");
                })
                .build().start();
        try (FrameSocket s = FrameSocket.connect(server.port())) {
            s.send(1, "go");
            assertThat(s.read().text()).isEqualTo("before");
            assertThat(s.read().text()).isEqualTo("after");
            assertThatThrownBy(() -> bad.get().get(5, SECONDS)).hasMessageContaining("codec bug");
            s.send(1, "again");
            assertThat(s.read().text()).isEqualTo("before");
        } finally {
            server.stop();
        }
    }

    @Test
    void aFrameLengthThatThrowsFailsOnlyItsOwnSendAndKeepsEarlierFrames() throws Exception {
        // frameLength (asked before anything is written) rejects id 66; on the IO thread the three
        // replies share one batch: the first and third must arrive, only the second may fail.
        Codec picky = new Codec() {
            @Override public String name() { return "picky"; }
            @Override public Message decode(io.netty.buffer.ByteBuf in, int max) { return Codecs.LTV_LE.decode(in, max); }
            @Override public int frameLength(Message m) {
                if (m.id() == 66) throw new IllegalArgumentException("id 66 is not allowed");
                return Codecs.LTV_LE.frameLength(m);
            }
            @Override public void encode(Message m, io.netty.buffer.ByteBuf out) { Codecs.LTV_LE.encode(m, out); }
        };
        List<CompletableFuture<Void>> sends = new CopyOnWriteArrayList<>();
        Server server = Server.builder().config(Servers.config().workerPoolSize(0).build()).codec(picky)
                .route(1, r -> {
                    sends.add(r.reply(1, "first"));
                    sends.add(r.reply(66, "rejected"));
                    sends.add(r.reply(1, "third"));
                })
                .build().start();
        try (FrameSocket s = FrameSocket.connect(server.port())) {
            s.send(1, "go");
            assertThat(s.read().text()).isEqualTo("first");
            assertThat(s.read().text()).isEqualTo("third");
            assertThat(sends.get(0).get(5, SECONDS)).isNull();
            assertThatThrownBy(() -> sends.get(1).get(5, SECONDS)).hasMessageContaining("id 66 is not allowed");
            assertThat(sends.get(2).get(5, SECONDS)).isNull();
        } finally {
            server.stop();
        }
    }

    @Test
    void onTheIoThreadRepliesLargerThanOneBatchArriveWholeAndInOrder() throws Exception {
        byte[] big = new byte[5000];
        for (int i = 0; i < big.length; i++) big[i] = (byte) i;
        Server server = Server.builder().config(Servers.config().workerPoolSize(0).build())
                .route(1, r -> {
                    for (int i = 0; i < 20; i++) r.reply(2, big);   // ~100 KiB: several batch writes in one read
                    r.reply(1, r.data());
                })
                .build().start();
        try (FrameSocket s = FrameSocket.connect(server.port())) {
            for (int round = 0; round < 3; round++) {
                s.send(1, "round " + round);
                for (int i = 0; i < 20; i++) assertThat(s.read().data()).isEqualTo(big);
                assertThat(s.read().text()).isEqualTo("round " + round);
            }
        } finally {
            server.stop();
        }
    }

    @Test
    void onTheIoThreadARouterSendingToAnotherConnectionIsFlushed() throws Exception {
        // One IO thread, no workers: connection A's router pushes to B, which is not reading then.
        Server server = Server.builder().config(Servers.config().workerPoolSize(0).ioThreads(1).build())
                .route(1, r -> r.reply(1, r.data()))
                .route(7, r -> {
                    for (Connection c : holder.get().connections().all()) {
                        if (c != r.connection()) c.send(8, r.data());
                    }
                })
                .build().start();
        holder.set(server);
        try (FrameSocket a = FrameSocket.connect(server.port()); FrameSocket b = FrameSocket.connect(server.port())) {
            a.send(1, "a here");
            assertThat(a.read().text()).isEqualTo("a here");
            b.send(1, "b here");
            assertThat(b.read().text()).isEqualTo("b here");
            for (int i = 0; i < 50; i++) {
                a.send(7, "push " + i);
                Message m = b.read();
                assertThat(m.id()).isEqualTo(8);
                assertThat(m.text()).isEqualTo("push " + i);
            }
        } finally {
            server.stop();
        }
    }

    private final AtomicReference<Server> holder = new AtomicReference<>();
}
