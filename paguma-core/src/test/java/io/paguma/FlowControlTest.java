package io.paguma;

import io.netty.buffer.ByteBufAllocatorMetricProvider;
import io.netty.channel.ChannelOutboundBuffer;
import io.paguma.testing.FrameSocket;
import io.paguma.testing.Servers;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** B2, issue 11 item 3: senders can pace themselves; outboundPolicy wait, drop and close. */
class FlowControlTest {
    private static final int START = 1;
    private static final int CHUNK_ID = 2;
    private static final int END = 3;
    private static final int CHUNK = 64 * 1024;

    private static long pendingBytes(Connection c) {
        ChannelOutboundBuffer b = c.channel().unsafe().outboundBuffer();
        return b == null ? 0 : b.totalPendingWriteBytes();
    }

    private static long directMemory(Connection c) {
        return c.channel().alloc() instanceof ByteBufAllocatorMetricProvider p ? p.metric().usedDirectMemory() : -1;
    }

    @Test
    void twoHundredMegabytesStreamToASlowReaderWithBoundedMemoryOnTheSender() throws Exception {
        long total = 200L * 1024 * 1024;
        AtomicLong maxPending = new AtomicLong();
        AtomicLong maxDirect = new AtomicLong();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        byte[] chunk = new byte[CHUNK];
        Server server = Server.builder()
                // The byte[] path, whatever -Dpaguma.test.zeroCopy says: this router streams for its
                // whole run and so holds its request, which with zeroCopy pins the allocator chunk its
                // read buffer came from (measured +16 MiB of direct memory, bounded, not growing);
                // the 64 MiB bound below was measured for the byte[] path.
                .config(Servers.config().outboundPolicy(PagumaConfig.OutboundPolicy.WAIT).workerPoolSize(1).zeroCopy(false).build())
                .route(START, r -> {
                    Connection c = r.connection();
                    try {
                        for (long sent = 0; sent < total; sent += CHUNK) {
                            // outboundPolicy wait: this blocks the worker while the reader lags.
                            c.send(CHUNK_ID, chunk);
                            maxPending.accumulateAndGet(pendingBytes(c), Math::max);
                            if ((sent / CHUNK) % 64 == 0) {
                                maxDirect.accumulateAndGet(directMemory(c), Math::max);
                            }
                        }
                        c.send(END, "done");
                    } catch (Throwable t) {
                        failure.set(t);
                    }
                })
                .build().start();
        try (FrameSocket reader = FrameSocket.connect(server.port())) {
            reader.socket().setReceiveBufferSize(32 * 1024);
            reader.send(START, "go");
            long received = 0;
            int lagged = 0;
            long begin = System.nanoTime();
            await().atMost(Duration.ofSeconds(5)).until(() -> server.connections().count() == 1);
            Connection onServer = server.connections().all().iterator().next();
            for (;;) {
                Message m = reader.read();
                if (m.id() == END) break;
                received += m.length();
                // A slow reader: every 16 MiB it stops until the sender has had to wait for it.
                if (received % (16L * 1024 * 1024) == 0) {
                    await().atMost(Duration.ofSeconds(10)).until(() -> !onServer.isWritable());
                    lagged++;
                }
            }
            long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - begin);
            assertThat(failure.get()).isNull();
            assertThat(received).isEqualTo(total);
            // Twelve times the reader stopped, and each time the sender was held back rather than queueing on.
            assertThat(lagged).isEqualTo(12);
            // What waits for the peer stays near the high water mark (64 KiB), far from 200 MB.
            assertThat(maxPending.get()).as("max bytes pending on the sender").isLessThan(1024 * 1024);
            // Heap is not measured here: the reader, in the same JVM, allocates every chunk it reads.
            System.out.printf("FlowControlTest: 200 MiB in %d ms; sender max pending %d B, max direct memory %d B%n",
                    millis, maxPending.get(), maxDirect.get());
            if (maxDirect.get() >= 0) assertThat(maxDirect.get()).as("sender's direct memory").isLessThan(64L * 1024 * 1024);
        } finally {
            server.stop();
        }
    }

    @Test
    void dropFailsSendsWhileThePeerLagsAndTheConnectionStays() throws Exception {
        AtomicLong dropped = new AtomicLong();
        AtomicLong sentOk = new AtomicLong();
        CompletableFuture<Void> burstDone = new CompletableFuture<>();
        byte[] chunk = new byte[CHUNK];
        Server server = Server.builder()
                .config(Servers.config().outboundPolicy(PagumaConfig.OutboundPolicy.DROP).workerPoolSize(0).build())
                .route(START, r -> {
                    // 8 MiB at once to a reader that reads nothing yet: most of it is dropped, not queued.
                    CompletableFuture<?>[] all = new CompletableFuture<?>[128];
                    for (int i = 0; i < all.length; i++) {
                        all[i] = r.connection().send(CHUNK_ID, chunk).whenComplete((v, e) -> {
                            if (e == null) sentOk.incrementAndGet();
                            else if (e.getMessage().contains("outboundPolicy drop")) dropped.incrementAndGet();
                        });
                    }
                    CompletableFuture.allOf(all).handle((v, e) -> burstDone.complete(null));
                })
                .route(END, r -> r.reply(END, "still here"))
                .build().start();
        try (FrameSocket reader = FrameSocket.connect(server.port())) {
            reader.socket().setReceiveBufferSize(16 * 1024);
            reader.send(START, "go");
            await().atMost(Duration.ofSeconds(10)).until(() -> dropped.get() > 0);
            Connection onServer = server.connections().all().iterator().next();
            assertThat(onServer.isOpen()).isTrue();
            // The reader catches up: what was not dropped arrives whole, then the link carries on.
            reader.send(END, "?");
            long chunks = 0;
            for (Message m = reader.read(); m.id() != END; m = reader.read()) {
                assertThat(m.length()).isEqualTo(CHUNK);
                chunks++;
            }
            long received = chunks;
            await().atMost(Duration.ofSeconds(10)).until(() -> dropped.get() + sentOk.get() == 128);
            assertThat(received).isEqualTo(sentOk.get());
            assertThat(dropped.get()).as("dropped sends").isPositive();
            assertThat(onServer.isOpen()).isTrue();
        } finally {
            server.stop();
        }
    }

    @Test
    void writableCompletesOnceThePeerCatchesUpAndWaitBlocksOnlyNonIoSenders() throws Exception {
        Server server = Server.builder().config(Servers.config().outboundPolicy(PagumaConfig.OutboundPolicy.WAIT).build())
                .build().start();
        byte[] chunk = new byte[CHUNK];
        try (FrameSocket reader = FrameSocket.connect(server.port())) {
            reader.socket().setReceiveBufferSize(16 * 1024);
            await().atMost(Duration.ofSeconds(5)).until(() -> server.connections().count() == 1);
            Connection c = server.connections().all().iterator().next();
            assertThat(c.isWritable()).isTrue();
            assertThat(c.writable()).isCompleted();
            // A sender thread: it sends until the peer lags, then waits inside send().
            AtomicLong sent = new AtomicLong();
            Thread sender = new Thread(() -> {
                for (int i = 0; i < 256; i++) {
                    c.send(CHUNK_ID, chunk);
                    sent.incrementAndGet();
                }
            });
            sender.start();
            await().atMost(Duration.ofSeconds(10)).until(() -> sender.getState() == Thread.State.TIMED_WAITING && !c.isWritable());
            long before = sent.get();
            assertThat(before).as("sends before the sender had to wait").isLessThan(256);
            CompletableFuture<Void> writable = c.writable();
            assertThat(writable).isNotDone();
            for (int i = 0; i < 256; i++) assertThat(reader.read().length()).isEqualTo(CHUNK);
            sender.join(10_000);
            assertThat(sent.get()).isEqualTo(256);
            writable.get(10, TimeUnit.SECONDS);
        } finally {
            server.stop();
        }
    }
}
