package io.paguma;

import io.netty.buffer.ByteBuf;
import io.paguma.testing.Servers;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * The zero-copy message path (issue 17 item 2): with {@code zeroCopy} on, a router's payload is a
 * retained slice of the read buffer, released when the router returns unless it retains it; a
 * reply may send a buffer without copying it into an array. Leaks fail the class
 * (LeakCheckExtension, paranoid detection in tests).
 */
class ZeroCopyTest {
    private static final int ECHO = 1;
    private static final int KEEP = 2;
    private static final int THROW = 3;

    private static Client client(Server server, String codec) throws Exception {
        // A client of the plain byte[] path (zeroCopy is off by default).
        Client c = Client.builder().config(PagumaConfig.builder().name("zc-client").host("127.0.0.1").port(server.port())
                .codec(codec).maxPacketSize(1 << 20).build()).build();
        c.connect().get(10, TimeUnit.SECONDS);
        return c;
    }

    @ParameterizedTest
    @ValueSource(strings = {"ltv-le", "tlv-be", "length-prefix", "paguma", "tron", "tron-v2", "length-field"})
    void everyBuiltInCodecHandsTheRouterAViewOfTheReadBufferAndEchoesItWithoutACopy(String codec) throws Exception {
        int id = List.of("length-prefix", "tron-v2", "length-field").contains(codec) ? 0 : ECHO;
        boolean sequenced = Codecs.byName(codec).hasSequence();
        List<Boolean> views = new CopyOnWriteArrayList<>();
        Server server = Server.builder().config(Servers.config().codec(codec).zeroCopy(true).build())
                .route(id, r -> {
                    views.add(r.message().hasBuffer());
                    r.reply(r.id(), r.payload());
                })
                .build().start();
        List<byte[]> received = new CopyOnWriteArrayList<>();
        Client c = Client.builder().config(PagumaConfig.builder().name("zc-client").host("127.0.0.1").port(server.port())
                        .codec(codec).maxPacketSize(1 << 20).build())
                .route(id, r -> received.add(r.data())).build();
        c.connect().get(10, TimeUnit.SECONDS);
        try {
            long seed = System.nanoTime();
            Random random = new Random(seed);
            for (int size : new int[]{1, 100, 4096, 65536}) {
                byte[] payload = new byte[size];
                random.nextBytes(payload);
                if (sequenced) {
                    Message reply = c.request(new Message(id, payload)).get(10, TimeUnit.SECONDS);
                    assertThat(reply.hasBuffer()).as("a reply to our own request is never a view").isFalse();
                    assertThat(reply.data()).as("echo of %d bytes (seed %d)", size, seed).isEqualTo(payload);
                } else {
                    received.clear();
                    c.send(id, payload).get(10, TimeUnit.SECONDS);
                    await().atMost(Duration.ofSeconds(10)).until(() -> received.size() == 1);
                    assertThat(received.get(0)).as("echo of %d bytes (seed %d)", size, seed).isEqualTo(payload);
                }
            }
            assertThat(views).hasSize(4).containsOnly(true);
        } finally {
            c.close().get(10, TimeUnit.SECONDS);
            server.stop();
        }
    }

    @Test
    void aRetainedPayloadOutlivesItsRouterAndAnUnretainedOneSaysClearlyItWasReleased() throws Exception {
        CompletableFuture<Message> kept = new CompletableFuture<>();
        CompletableFuture<Message> notKept = new CompletableFuture<>();
        Server server = Server.builder().config(Servers.config().codec("paguma").zeroCopy(true).build())
                .route(KEEP, r -> {
                    if (r.text().equals("retain")) kept.complete(r.message().retain());
                    else notKept.complete(r.message());
                    r.reply(KEEP, "ok");
                })
                .build().start();
        Client c = client(server, "paguma");
        try {
            c.request(KEEP, "retain".getBytes(StandardCharsets.UTF_8)).get(10, TimeUnit.SECONDS);
            c.request(KEEP, "forget".getBytes(StandardCharsets.UTF_8)).get(10, TimeUnit.SECONDS);
            Message m = kept.get(10, TimeUnit.SECONDS);
            // Read on this thread, long after the router returned; then released by its keeper.
            assertThat(m.hasBuffer()).isTrue();
            assertThat(m.text()).isEqualTo("retain");
            assertThat(m.refCnt()).isEqualTo(1);
            assertThat(m.release()).isTrue();
            Message gone = notKept.get(10, TimeUnit.SECONDS);
            assertThat(gone.refCnt()).isZero();
            assertThatThrownBy(gone::data).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("released when its router returns: retain() it");
            // copy() taken in time needs no release.
        } finally {
            c.close().get(10, TimeUnit.SECONDS);
            server.stop();
        }
    }

    @Test
    void aRouterThatThrowsAndRequestsItNeverRoutesStillReleaseTheirPayloads() throws Exception {
        Server server = Server.builder().config(Servers.config().codec("paguma").zeroCopy(true).build())
                .route(THROW, r -> {
                    throw new IllegalStateException("router fails on purpose");
                })
                .build().start();
        Client c = client(server, "paguma");
        try {
            for (int i = 0; i < 50; i++) {
                assertThatThrownBy(() -> c.request(THROW, new byte[512]).get(10, TimeUnit.SECONDS))
                        .hasCauseInstanceOf(RemoteException.class);
            }
            // An unknown id and an error reply nobody waits for: dropped, released.
            c.send(99, new byte[300]).get(10, TimeUnit.SECONDS);
            c.send(Message.error(7, 12345, 500, "stray")).get(10, TimeUnit.SECONDS);
            assertThat(c.request(THROW, new byte[1]).handle((m, e) -> e).get(10, TimeUnit.SECONDS))
                    .isInstanceOf(RemoteException.class);
        } finally {
            c.close().get(10, TimeUnit.SECONDS);
            server.stop();
        }
    }

    @Test
    void aBufferSentStaysItsSendersAndTheFrameworksOwnReferenceIsLetGoOnceSentOrFailed() throws Exception {
        Server server = Server.builder().config(Servers.config().codec("paguma").build())
                .route(ECHO, r -> r.reply(ECHO, r.data()))
                .build().start();
        Client c = client(server, "paguma");
        try {
            ByteBuf b = io.netty.buffer.ByteBufAllocator.DEFAULT.directBuffer(64);
            b.writeCharSequence("from a buffer", StandardCharsets.UTF_8);
            CompletableFuture<Message> asked = c.request(new Message(ECHO, b));
            // Released by its sender at once: the request holds its own reference while it is queued
            // (the offline-queue test below shows the hold deterministically).
            b.release();
            assertThat(asked.get(10, TimeUnit.SECONDS).text()).isEqualTo("from a buffer");
            await().atMost(Duration.ofSeconds(5)).until(() -> b.refCnt() == 0);
            // A send that fails (closed) lets its own reference go too; the sender's is still the sender's.
            Connection gone = c.connection();
            c.close().get(10, TimeUnit.SECONDS);
            ByteBuf late = io.netty.buffer.ByteBufAllocator.DEFAULT.directBuffer(8).writeLong(42);
            assertThat(gone.send(new Message(ECHO, late))).isCompletedExceptionally();
            assertThat(late.refCnt()).isEqualTo(1);
            assertThat(late.release()).isTrue();
        } finally {
            c.close().get(10, TimeUnit.SECONDS);
            server.stop();
        }
    }

    /** Sends without a future: echoed like any reply; a failed one lets its reference go, is logged, and the connection carries on. */
    @Test
    void sendsWithoutAFutureAreWrittenAndTheirFailuresReleaseTheirBuffers() throws Exception {
        Server server = Server.builder().config(Servers.config().codec("paguma").zeroCopy(true).maxPacketSize(1024).build())
                .route(ECHO, r -> r.replyAndForget(ECHO, r.payload()))
                .route(KEEP, r -> r.replyAndForget(KEEP, r.data()))
                .build().start();
        Client c = client(server, "paguma");
        try {
            for (int i = 0; i < 200; i++) {
                byte[] payload = ("forget-" + i).getBytes(StandardCharsets.UTF_8);
                assertThat(c.request(i % 2 == 0 ? ECHO : KEEP, payload).get(10, TimeUnit.SECONDS).data()).isEqualTo(payload);
            }
            Connection conn = c.connection();
            // Larger than maxPacketSize (1 MiB on the client): a request fails its own future, a forgotten
            // send only logs; either way the connection carries on and the buffer is released.
            ByteBuf big = io.netty.buffer.ByteBufAllocator.DEFAULT.directBuffer(2 << 20).writeZero(2 << 20);
            conn.sendAndForget(new Message(ECHO, big));
            assertThat(c.request(ECHO, "after".getBytes(StandardCharsets.UTF_8)).get(10, TimeUnit.SECONDS).text()).isEqualTo("after");
            await().atMost(Duration.ofSeconds(5)).until(() -> big.refCnt() == 1);
            big.release();
            c.close().get(10, TimeUnit.SECONDS);
            ByteBuf late = io.netty.buffer.ByteBufAllocator.DEFAULT.directBuffer(8).writeLong(7);
            conn.sendAndForget(new Message(ECHO, late));
            assertThat(late.refCnt()).as("a forgotten send on a closed connection keeps nothing").isEqualTo(1);
            late.release();
        } finally {
            c.close().get(10, TimeUnit.SECONDS);
            server.stop();
        }
    }

    /** Over WebSocket too (each reply a whole binary frame: copied into the batch, never split), both sides on the zero-copy path. */
    @Test
    void overWebSocketBothSidesOnTheZeroCopyPathEchoEverySize() throws Exception {
        Server server = Server.builder().config(Servers.config().codec("paguma").mode(PagumaConfig.Mode.WEBSOCKET).wsPort(0)
                        .zeroCopy(true).build())
                .route(ECHO, r -> r.replyAndForget(ECHO, r.payload()))
                .build().start();
        List<byte[]> pushed = new CopyOnWriteArrayList<>();
        Client c = Client.builder().config(PagumaConfig.builder().name("zc-ws").host("127.0.0.1").codec("paguma")
                        .mode(PagumaConfig.Mode.WEBSOCKET).wsPort(server.wsPort()).port(server.wsPort())
                        .maxPacketSize(1 << 20).zeroCopy(true).build())
                .route(KEEP, r -> pushed.add(r.data()))
                .build();
        c.connect().get(10, TimeUnit.SECONDS);
        try {
            long seed = System.nanoTime();
            Random random = new Random(seed);
            for (int size : new int[]{1, 1023, 1024, 4096, 200_000}) {
                byte[] payload = new byte[size];
                random.nextBytes(payload);
                assertThat(c.request(ECHO, payload).get(10, TimeUnit.SECONDS).data())
                        .as("%d bytes over WebSocket (seed %d)", size, seed).isEqualTo(payload);
            }
            // A push the client routes is a view on its side too, released after its router.
            server.connections().all().iterator().next().send(KEEP, "push".getBytes(StandardCharsets.UTF_8));
            await().atMost(Duration.ofSeconds(10)).until(() -> pushed.size() == 1);
            assertThat(new String(pushed.get(0), StandardCharsets.UTF_8)).isEqualTo("push");
        } finally {
            c.close().get(10, TimeUnit.SECONDS);
            server.stop();
        }
    }

    /**
     * Large payloads written as they are between header and trailer, small ones copied into the
     * batch, hundreds in flight at once: every reply is whole and in its place.
     */
    @ParameterizedTest
    @ValueSource(strings = {"paguma", "tron", "tron-v2"})
    void mixedSizesInFlightAtOnceComeBackWholeWhetherWrittenDirectlyOrBatched(String codec) throws Exception {
        int id = codec.equals("tron-v2") ? 0 : ECHO;
        Server server = Server.builder().config(Servers.config().codec(codec).zeroCopy(true).build())
                .route(id, r -> r.replyAndForget(id, r.payload()))
                .build().start();
        Client c = client(server, codec);
        try {
            long seed = System.nanoTime();
            Random random = new Random(seed);
            List<byte[]> sent = new java.util.ArrayList<>();
            List<CompletableFuture<Message>> replies = new java.util.ArrayList<>();
            for (int i = 0; i < 600; i++) {
                int size = random.nextInt(4) == 0 ? 1024 + random.nextInt(8192) : 1 + random.nextInt(1023);
                byte[] payload = new byte[size];
                random.nextBytes(payload);
                sent.add(payload);
                replies.add(c.request(new Message(id, payload)));
            }
            for (int i = 0; i < sent.size(); i++) {
                assertThat(replies.get(i).get(10, TimeUnit.SECONDS).data()).as("reply %d (seed %d)", i, seed).isEqualTo(sent.get(i));
            }
        } finally {
            c.close().get(10, TimeUnit.SECONDS);
            server.stop();
        }
    }

    /**
     * A router that sends a received message on as it is, and one that sends its payload, need no
     * retain (sending never takes the caller's reference); the forwarded copies arrive whole, and
     * nothing leaks or is released twice (the class fails on a leak; a double release would throw).
     */
    @Test
    void forwardingAReceivedMessageOrItsPayloadAsTheyAreIsSafe() throws Exception {
        List<byte[]> forwarded = new CopyOnWriteArrayList<>();
        Server sink = Server.builder().config(Servers.config().codec("paguma").build())
                .route(ECHO, r -> forwarded.add(r.data()))
                .build().start();
        Client toSink = client(sink, "paguma");
        Server relay = Server.builder().config(Servers.config().codec("paguma").zeroCopy(true).build())
                .route(ECHO, r -> {
                    toSink.connection().send(r.message());                 // the received message itself
                    toSink.connection().sendAndForget(new Message(ECHO, r.payload()));
                    r.reply(ECHO, r.payload());
                })
                .build().start();
        Client c = client(relay, "paguma");
        try {
            long seed = System.nanoTime();
            Random random = new Random(seed);
            List<byte[]> sent = new java.util.ArrayList<>();
            for (int i = 0; i < 100; i++) {
                byte[] payload = new byte[1 + random.nextInt(6000)];
                random.nextBytes(payload);
                sent.add(payload);
                assertThat(c.request(ECHO, payload).get(10, TimeUnit.SECONDS).data()).as("seed %d", seed).isEqualTo(payload);
            }
            await().atMost(Duration.ofSeconds(10)).until(() -> forwarded.size() == 200);
            for (byte[] p : sent) assertThat(forwarded.stream().filter(f -> java.util.Arrays.equals(f, p)).count()).isEqualTo(2);
        } finally {
            c.close().get(10, TimeUnit.SECONDS);
            toSink.close().get(10, TimeUnit.SECONDS);
            relay.stop();
            sink.stop();
        }
    }

    /** The client's offline queue holds a reference of its own while a buffer waits there, and lets it go whichever way it leaves. */
    @Test
    void aBufferWaitingInTheClientsOfflineQueueIsHeldThereAndLetGoWhenItLeaves() throws Exception {
        List<byte[]> got = new CopyOnWriteArrayList<>();
        Server server = Server.builder().config(Servers.config().codec("paguma").build())
                .route(ECHO, r -> got.add(r.data()))
                .build().start();
        Client c = Client.builder().config(PagumaConfig.builder().name("zc-offline").host("127.0.0.1").port(server.port())
                .codec("paguma").offlineQueueSize(10).build()).build();
        Client never = Client.builder().config(PagumaConfig.builder().name("zc-never").host("127.0.0.1").port(server.port())
                .codec("paguma").offlineQueueSize(10).build()).build();
        try {
            ByteBuf b = io.netty.buffer.ByteBufAllocator.DEFAULT.directBuffer(16).writeLong(1).writeLong(2);
            CompletableFuture<Void> sent = c.send(new Message(ECHO, b));
            assertThat(b.release()).as("the sender's reference; the queue holds its own").isFalse();
            c.connect().get(10, TimeUnit.SECONDS);
            sent.get(10, TimeUnit.SECONDS);
            await().atMost(Duration.ofSeconds(10)).until(() -> got.size() == 1);
            assertThat(got.get(0)).hasSize(16);
            await().atMost(Duration.ofSeconds(5)).until(() -> b.refCnt() == 0);

            ByteBuf stuck = io.netty.buffer.ByteBufAllocator.DEFAULT.directBuffer(8).writeLong(3);
            CompletableFuture<Void> failed = never.send(new Message(ECHO, stuck));
            assertThat(stuck.refCnt()).isEqualTo(2);
            never.close().get(10, TimeUnit.SECONDS);
            assertThat(failed).isCompletedExceptionally();
            assertThat(stuck.refCnt()).as("let go when the queue failed at close").isEqualTo(1);
            stuck.release();
        } finally {
            c.close().get(10, TimeUnit.SECONDS);
            never.close().get(10, TimeUnit.SECONDS);
            server.stop();
        }
    }

    /**
     * A caller may complete a send's future itself, from any thread (orTimeout does): the IO thread
     * encoding that send at the same moment must neither crash the drain nor release the payload
     * twice (review finding: the future's completion used to take the message the IO thread read).
     */
    @Test
    void sendFuturesCompletedByTheirCallersWhileQueuedDoNotDisturbTheDrain() throws Exception {
        java.util.concurrent.atomic.AtomicInteger got = new java.util.concurrent.atomic.AtomicInteger();
        Server server = Server.builder().config(Servers.config().codec("paguma").build())
                .route(KEEP, r -> got.incrementAndGet())
                .route(ECHO, r -> r.reply(ECHO, r.data()))
                .build().start();
        Client c = client(server, "paguma");
        try {
            Connection conn = c.connection();
            List<ByteBuf> mine = new java.util.ArrayList<>();
            for (int i = 0; i < 5000; i++) {
                ByteBuf b = io.netty.buffer.ByteBufAllocator.DEFAULT.directBuffer(8).writeLong(i);
                mine.add(b);
                conn.send(new Message(KEEP, b)).completeExceptionally(new java.util.concurrent.TimeoutException("given up"));
            }
            // Each send still goes out (its future's outcome is the caller's business), and the drain goes on.
            assertThat(c.request(ECHO, "after".getBytes(StandardCharsets.UTF_8)).get(10, TimeUnit.SECONDS).text()).isEqualTo("after");
            await().atMost(Duration.ofSeconds(10)).until(() -> got.get() == 5000);
            await().atMost(Duration.ofSeconds(5)).until(() -> mine.stream().allMatch(b -> b.refCnt() == 1));
            for (ByteBuf b : mine) assertThat(b.release()).isTrue();
        } finally {
            c.close().get(10, TimeUnit.SECONDS);
            server.stop();
        }
    }
}
