package io.paguma;

import io.netty.buffer.ByteBuf;
import io.paguma.internal.ChannelConnection;
import io.paguma.testing.FrameSocket;
import io.paguma.testing.Servers;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A backlog: many connections became readable while the IO thread could not run (a stall of the
 * process, a long task), so one turn of its event loop reads them all. With workers, the replies
 * to the first requests must go out while the rest is still being read, as they do when routers
 * run on the IO thread; not after the last connection was read (for 2,000 connections that was
 * 7.5 ms of reads before the first reply).
 */
class BacklogTest {
    private static final int ECHO = 1;
    private static final int HOLD = 9;
    private static final int CONNECTIONS = 1000;

    /** ltv-le that numbers, in one sequence, every echo request it decodes and every echo reply it encodes. */
    static final class SequenceCodec implements Codec {
        final AtomicLong clock = new AtomicLong();
        volatile long lastDecode;
        volatile long firstEncode = Long.MAX_VALUE;

        void reset() {
            lastDecode = 0;
            firstEncode = Long.MAX_VALUE;
        }

        @Override
        public String name() {
            return "sequence-ltv-le";
        }

        @Override
        public Message decode(ByteBuf in, int maxPacketSize) {
            Message m = Codecs.LTV_LE.decode(in, maxPacketSize);
            if (m != null && m.id() == ECHO) lastDecode = clock.incrementAndGet();
            return m;
        }

        @Override
        public void encode(Message message, ByteBuf out) {
            if (message.id() == ECHO) {
                long now = clock.incrementAndGet();
                if (now < firstEncode) firstEncode = now;
            }
            Codecs.LTV_LE.encode(message, out);
        }

        @Override
        public int frameLength(Message message) {
            return Codecs.LTV_LE.frameLength(message);
        }
    }

    @Test
    void repliesToABacklogGoOutWhileItIsStillBeingRead() throws Exception {
        SequenceCodec codec = new SequenceCodec();
        CountDownLatch[] release = new CountDownLatch[1];
        CountDownLatch[] holding = new CountDownLatch[1];
        Server server = Server.builder()
                .config(Servers.config().ioThreads(1).workerPoolSize(1).maxConn(CONNECTIONS + 10).build())
                .codec(codec)
                .route(ECHO, r -> r.reply(ECHO, r.data()))
                .route(HOLD, r -> {
                    // Holds the (only) IO thread until the test has queued a request on every connection.
                    CountDownLatch held = holding[0];
                    CountDownLatch go = release[0];
                    ((ChannelConnection) r.connection()).channel().eventLoop().execute(() -> {
                        held.countDown();
                        try {
                            go.await(20, TimeUnit.SECONDS);
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                    });
                })
                .build().start();
        List<FrameSocket> sockets = new ArrayList<>();
        try {
            FrameSocket holder = FrameSocket.connect(server.port());
            sockets.add(holder);
            for (int i = 0; i < CONNECTIONS; i++) sockets.add(FrameSocket.connect(server.port()));
            await().atMost(Duration.ofSeconds(20)).until(() -> server.connections().count() == CONNECTIONS + 1);
            byte[] payload = new byte[32];
            long[] trials = new long[3];
            boolean interleaved = false;
            // Before the change the order was fixed (every decode of the turn before any encode); after
            // it, a worker that gets no CPU for the whole turn could still delay the first reply:
            // any of three turns may show it.
            for (int t = 0; t < trials.length && !interleaved; t++) {
                codec.reset();
                release[0] = new CountDownLatch(1);
                holding[0] = new CountDownLatch(1);
                holder.send(HOLD, new byte[0]);
                assertThat(holding[0].await(20, TimeUnit.SECONDS)).as("the IO thread is held").isTrue();
                for (int i = 1; i <= CONNECTIONS; i++) sockets.get(i).send(ECHO, payload);
                release[0].countDown();
                for (int i = 1; i <= CONNECTIONS; i++) {
                    Message reply = sockets.get(i).read();
                    assertThat(reply.id()).isEqualTo(ECHO);
                    assertThat(reply.data()).isEqualTo(payload);
                }
                trials[t] = codec.firstEncode - codec.lastDecode;
                interleaved = codec.firstEncode < codec.lastDecode;
            }
            System.out.println("BacklogTest: first reply encoded minus last request decoded, in codec events, per turn: "
                    + java.util.Arrays.toString(trials));
            assertThat(interleaved).as("a reply was written before the last request of the backlog was read "
                    + "(first encode minus last decode per turn: %s)", java.util.Arrays.toString(trials)).isTrue();
        } finally {
            for (FrameSocket s : sockets) s.close();
            server.stop();
        }
    }
}
