package io.paguma;

import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufAllocatorMetric;
import io.netty.buffer.ByteBufAllocatorMetricProvider;
import io.paguma.testing.FrameSocket;
import io.paguma.testing.Servers;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Slow consumers (issue 16 item 2, B2): clients that send requests and never read the replies.
 * Each is paused at the write high water mark; what it pins on the server is bounded by keys:
 * writeBufferHighWaterMark (+ the reply in hand) in Paguma's buffers, soSndbuf and soRcvbuf in
 * the kernel's. Measured: the kernel's queues of every server socket (/proc/net/tcp), and the
 * growth of Netty's buffer memory, while another client's echoes go on.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class SlowConsumerMemoryTest {
    private static final int CLIENTS = 20;
    private static final int SOCKET_BUFFER = 64 * 1024;
    private static final int HIGH_WATER = 64 * 1024;
    private static final int REQUEST = 8 * 1024;
    private static final int MAX_PENDING = 512 * 1024;

    /** Send and receive queues (bytes) of each socket whose local port is {@code port}, from /proc/net/tcp and tcp6. */
    static List<long[]> kernelQueues(int port) throws IOException {
        List<long[]> queues = new ArrayList<>();
        for (String file : new String[]{"/proc/net/tcp", "/proc/net/tcp6"}) {
            Path p = Path.of(file);
            if (!Files.exists(p)) continue;
            for (String line : Files.readAllLines(p)) {
                String[] f = line.trim().split("\\s+");
                if (f.length < 5 || !f[1].contains(":") || f[0].equals("sl")) continue;
                int local = Integer.parseInt(f[1].substring(f[1].lastIndexOf(':') + 1), 16);
                // Established connections only (state 01), not the listener.
                if (local != port || !f[3].equals("01")) continue;
                String[] q = f[4].split(":");
                queues.add(new long[]{Long.parseLong(q[0], 16), Long.parseLong(q[1], 16)});
            }
        }
        return queues;
    }

    private static long nettyMemory() {
        ByteBufAllocatorMetric m = ((ByteBufAllocatorMetricProvider) ByteBufAllocator.DEFAULT).metric();
        return m.usedDirectMemory() + m.usedHeapMemory();
    }

    @Test
    void whatEachNonReadingClientPinsStaysUnderTheConfiguredBoundAndOthersAreNotSlowed() throws Exception {
        AtomicInteger paused = new AtomicInteger();
        AtomicInteger cut = new AtomicInteger();
        Server server = Server.builder().config(Servers.config()
                        .soSndbuf(SOCKET_BUFFER).soRcvbuf(SOCKET_BUFFER)
                        .writeBufferHighWaterMark(HIGH_WATER).writeBufferLowWaterMark(HIGH_WATER / 2).maxPendingWriteBytes(MAX_PENDING)
                        .slowPeerTimeout(Duration.ZERO).build())
                .route(1, r -> r.reply(1, r.data()))
                .eventListener(new EndpointListener() {
                    @Override
                    public void slowPeerCut(Connection connection, long pendingBytes) {
                        cut.incrementAndGet();
                    }

                    @Override
                    public void readingPaused(Connection connection, PauseCause cause) {
                        if (cause == PauseCause.PEER_NOT_READING) paused.incrementAndGet();
                    }
                })
                .build().start();
        List<FrameSocket> greedy = new ArrayList<>();
        try (FrameSocket honest = FrameSocket.connect(server.port())) {
            // The honest client's rate before.
            double before = echoes(honest, TimeUnit.MILLISECONDS.toNanos(500)) / 0.5;
            long memoryBefore = nettyMemory();
            for (int i = 0; i < CLIENTS; i++) {
                FrameSocket g = FrameSocket.connect(server.port());
                g.socket().setReceiveBufferSize(SOCKET_BUFFER);
                greedy.add(g);
                Thread t = new Thread(() -> {
                    byte[] payload = new byte[REQUEST];
                    try {
                        for (int n = 0; n < 2000; n++) g.send(1, payload);
                    } catch (IOException stopped) {
                        // closed at the end of the test
                    }
                }, "greedy-" + i);
                t.setDaemon(true);
                t.start();
            }
            await().atMost(Duration.ofSeconds(30)).until(() -> paused.get() >= CLIENTS);
            // Settled: the flood has filled every buffer (the server sockets' queues no longer move).
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).until(() -> stable(server.port()));
            double during = echoes(honest, TimeUnit.MILLISECONDS.toNanos(500)) / 0.5;
            List<long[]> queues = kernelQueues(server.port());
            long maxSend = queues.stream().mapToLong(q -> q[0]).max().orElse(0);
            long maxReceive = queues.stream().mapToLong(q -> q[1]).max().orElse(0);
            long kernel = queues.stream().mapToLong(q -> q[0] + q[1]).sum();
            long netty = Math.max(0, nettyMemory() - memoryBefore);
            // Paguma's own part: the replies waiting in each connection's outbound buffer.
            long pendingMax = 0;
            for (Connection c : server.connections().all()) {
                io.netty.channel.ChannelOutboundBuffer ob = c.channel().unsafe().outboundBuffer();
                pendingMax = Math.max(pendingMax, ob == null ? 0 : ob.totalPendingWriteBytes());
            }
            if (System.getProperty("debugSs") != null) {
                Process ss = new ProcessBuilder("ss", "-tmni", "sport = :" + server.port()).redirectErrorStream(true).start();
                System.out.println(new String(ss.getInputStream().readAllBytes()));
            }
            // Linux doubles SO_SNDBUF/SO_RCVBUF for its bookkeeping, and lets a send queue pass its
            // limit by the one segment being added (at most 64 KiB): the payload queued stays under that.
            assertThat(maxSend).as("the most one server socket holds to send").isLessThanOrEqualTo(2L * SOCKET_BUFFER + 65536);
            assertThat(maxReceive).as("the most one server socket holds received").isLessThanOrEqualTo(2L * SOCKET_BUFFER);
            // Reading stops at the high water mark; the requests read before it was crossed (those of
            // one read turn, usually; more while the worker lags behind the IO thread) still get
            // their replies, up to maxPendingWriteBytes: past it the connection is reset.
            assertThat(pendingMax).as("the most replies one paused connection holds")
                    .isLessThanOrEqualTo(MAX_PENDING + REQUEST + 64);
            // The allocator's growth is coarser (whole chunks, per thread, and shared with whatever
            // else runs in this JVM: 0.5-2 MiB per client measured): a sanity bound only.
            assertThat(netty).as("Netty buffer memory grown for %d paused clients", CLIENTS)
                    .isLessThanOrEqualTo(CLIENTS * (MAX_PENDING + (4L << 20)));
            assertThat(during).as("the honest client's echoes while %d clients do not read", CLIENTS).isPositive();
            System.out.printf("SLOW-CONSUMERS %d clients not reading (soSndbuf=soRcvbuf=%d, highWater=%d): kernel per socket "
                            + "max send %d B, max receive %d B, all sockets %d B; replies held per connection at most %d B; Netty buffers +%d B (%d B per client); "
                            + "honest echoes %.0f/s before, %.0f/s during; %d cut at maxPendingWriteBytes%n",
                    CLIENTS, SOCKET_BUFFER, HIGH_WATER, maxSend, maxReceive, kernel, pendingMax, netty, netty / CLIENTS, before, during, cut.get());
        } finally {
            for (FrameSocket g : greedy) g.close();
            server.stop();
        }
    }

    /**
     * A peer that reads everything: bursts of replies just over the high water mark, which the
     * socket takes at once when they are flushed, never pause its reading. Before, Paguma paused
     * reading as soon as a burst's writes crossed the mark and resumed it at the flush: two
     * {@code epoll_ctl} calls and two events per burst (the 4 KiB echo benchmark: 13.6 calls per
     * 100 messages, raw Netty none). With routers on the IO thread the burst is a read's replies;
     * with the worker pool, a drain of the send queue.
     */
    @org.junit.jupiter.params.ParameterizedTest(name = "workerPoolSize {0}")
    @org.junit.jupiter.params.provider.ValueSource(ints = {0, 2})
    void burstsOfRepliesOverTheHighWaterMarkThatTheSocketTakesAtOnceDoNotPauseReading(int workers) throws Exception {
        int highWater = 16 * 1024;
        int perBurst = 8;
        byte[] payload = new byte[4096];
        AtomicInteger paused = new AtomicInteger();
        AtomicInteger writabilityChanges = new AtomicInteger();
        io.netty.channel.ChannelHandler counter = new io.netty.channel.ChannelInboundHandlerAdapter() {
            @Override
            public void channelWritabilityChanged(io.netty.channel.ChannelHandlerContext ctx) {
                writabilityChanges.incrementAndGet();
                ctx.fireChannelWritabilityChanged();
            }

            @Override
            public boolean isSharable() {
                return true;
            }
        };
        Server server = Server.builder().config(Servers.config().ioThreads(1).workerPoolSize(workers)
                        .writeBufferHighWaterMark(highWater).writeBufferLowWaterMark(highWater / 2)
                        .soSndbuf(1024 * 1024).build())
                .route(1, r -> {
                    // Behind Paguma's handler: sees the changes of writability it passes on.
                    if (r.connection().channel().pipeline().get("burst-counter") == null) {
                        r.connection().channel().pipeline().addLast("burst-counter", counter);
                    }
                    r.reply(1, r.data());
                })
                .eventListener(new EndpointListener() {
                    @Override
                    public void readingPaused(Connection connection, PauseCause cause) {
                        paused.incrementAndGet();
                    }
                })
                .build().start();
        try (FrameSocket client = FrameSocket.connect(server.port())) {
            byte[] frame = client.encode(new Message(1, payload));
            byte[] burst = new byte[frame.length * perBurst];
            for (int i = 0; i < perBurst; i++) System.arraycopy(frame, 0, burst, i * frame.length, frame.length);
            for (int round = 0; round < 50; round++) {
                // One write of 8 requests (32 KiB): their replies, 32,832 bytes, are twice the mark.
                client.sendRaw(burst);
                for (int i = 0; i < perBurst; i++) assertThat(client.read().length()).isEqualTo(payload.length);
            }
            System.out.printf("SLOW-BURSTS workerPoolSize %d: 50 bursts of %d x 4 KiB replies, high water %d B: %d changes of "
                    + "writability, %d read pauses%n", workers, perBurst, highWater, writabilityChanges.get(), paused.get());
            // The bursts did cross the mark (the channel went unwritable and back), and none paused
            // reading. (With workers, how many replies one drain takes depends on the threads'
            // timing, so only the routers on the IO thread are sure to write a whole burst at once.)
            if (workers == 0) assertThat(writabilityChanges.get()).as("changes of writability (the bursts crossed the mark)").isPositive();
            assertThat(paused.get()).as("read pauses for a peer that reads everything").isZero();
        } finally {
            server.stop();
        }
    }

    /**
     * Crossing the high water mark flushes at once, inside the write that crossed it, and the flush
     * completes earlier sends: a send made by such a send's callback must not be written in the
     * middle of that write. On a WebSocket a batch is written frame by frame. Twelve sends of
     * 1,000 bytes (10-21) make three batches of four; the first two are written as they fill
     * (8,864 bytes pending, below the mark), the last at the end of the read, and its second frame
     * (19) crosses the mark of 10,500 bytes. The flush completes the first batch, and 10's callback
     * sends 99 (40 KiB, written as soon as it is encoded): 99 must still come after 20 and 21.
     */
    @Test
    void aSendMadeByACallbackOfTheFlushAtTheMarkComesAfterTheWriteThatCrossedIt() throws Exception {
        Server server = Server.builder().config(Servers.config().mode(PagumaConfig.Mode.WEBSOCKET).wsPort(0)
                        .ioThreads(1).workerPoolSize(0)
                        .writeBufferHighWaterMark(10_500).writeBufferLowWaterMark(5_000)
                        .soSndbuf(1024 * 1024).build())
                .route(1, r -> {
                    Connection c = r.connection();
                    for (int id = 10; id <= 21; id++) {
                        java.util.concurrent.CompletableFuture<Void> sent = c.send(new Message(id, new byte[1000]));
                        if (id == 10) sent.thenRun(() -> c.send(new Message(99, new byte[40 * 1024])));
                    }
                })
                .build().start();
        try (io.paguma.testing.WsFrameSocket client = io.paguma.testing.WsFrameSocket.connect(server.wsPort())) {
            for (int round = 0; round < 5; round++) {
                client.send(1, new byte[0]);
                List<Integer> ids = new ArrayList<>();
                for (int i = 0; i < 13; i++) ids.add(client.read().id());
                assertThat(ids).as("round %d: the order the messages came in", round)
                        .containsExactly(10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 99);
            }
        } finally {
            server.stop();
        }
    }

    /**
     * A client that reads what the server pushes at 1 KB/s while the server broadcasts to everyone:
     * what the server holds for it stays under maxPendingWriteBytes, it is cut off (outboundPolicy
     * close) and the clients that keep up get every push.
     */
    @Test
    void aClientReadingPushesAt1KBPerSecondIsCutAtTheBoundWhileOthersGetEveryPush() throws Exception {
        int limit = 128 * 1024;
        int pushes = 2000;
        byte[] push = new byte[1024];
        AtomicInteger cut = new AtomicInteger();
        java.util.concurrent.atomic.AtomicLong pendingMax = new java.util.concurrent.atomic.AtomicLong();
        Server server = Server.builder().config(Servers.config().maxPendingWriteBytes(limit)
                        .writeBufferHighWaterMark(HIGH_WATER).writeBufferLowWaterMark(HIGH_WATER / 2).soSndbuf(SOCKET_BUFFER).build())
                .eventListener(new EndpointListener() {
                    @Override
                    public void slowPeerCut(Connection connection, long pendingBytes) {
                        cut.incrementAndGet();
                        pendingMax.accumulateAndGet(pendingBytes, Math::max);
                    }
                })
                .build().start();
        java.util.concurrent.ScheduledExecutorService reader = java.util.concurrent.Executors.newSingleThreadScheduledExecutor();
        List<FrameSocket> fast = new ArrayList<>();
        try (java.net.Socket slow = new java.net.Socket()) {
            slow.setReceiveBufferSize(4096);
            slow.connect(new java.net.InetSocketAddress("127.0.0.1", server.port()));
            // 100 bytes every 100 ms: 1 KB/s.
            java.util.concurrent.atomic.AtomicLong slowRead = new java.util.concurrent.atomic.AtomicLong();
            reader.scheduleAtFixedRate(() -> {
                try {
                    byte[] b = new byte[100];
                    int n = slow.getInputStream().read(b);
                    if (n > 0) slowRead.addAndGet(n);
                } catch (IOException closed) {
                    // cut off
                }
            }, 100, 100, TimeUnit.MILLISECONDS);
            for (int i = 0; i < 3; i++) fast.add(FrameSocket.connect(server.port()));
            await().atMost(Duration.ofSeconds(10)).until(() -> server.connections().count() == 4);
            List<java.util.concurrent.CompletableFuture<Integer>> received = new ArrayList<>();
            for (FrameSocket f : fast) {
                received.add(java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                    int n = 0;
                    try {
                        while (n < pushes) {
                            f.read();
                            n++;
                        }
                    } catch (IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                    return n;
                }));
            }
            long start = System.nanoTime();
            // The server broadcasts, as a game server does every tick: 10 pushes every 10 ms (1 MB/s to each).
            java.util.concurrent.ScheduledExecutorService ticks = java.util.concurrent.Executors.newSingleThreadScheduledExecutor();
            java.util.concurrent.atomic.AtomicInteger sent = new java.util.concurrent.atomic.AtomicInteger();
            ticks.scheduleAtFixedRate(() -> {
                for (int k = 0; k < 10 && sent.get() < pushes; k++, sent.incrementAndGet()) {
                    for (Connection c : server.connections().all()) c.send(9, push);
                }
            }, 0, 10, TimeUnit.MILLISECONDS);
            try {
                await().atMost(Duration.ofSeconds(30)).until(() -> sent.get() >= pushes);
            } finally {
                ticks.shutdown();
            }
            for (java.util.concurrent.CompletableFuture<Integer> r : received) {
                assertThat(r.get(30, TimeUnit.SECONDS)).as("pushes a client that keeps up received").isEqualTo(pushes);
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            await().atMost(Duration.ofSeconds(10)).until(() -> cut.get() == 1);
            assertThat(pendingMax.get()).as("what the server held for the slow reader").isLessThanOrEqualTo(limit + push.length + 64);
            await().atMost(Duration.ofSeconds(10)).until(() -> server.connections().count() == 3);
            System.out.printf("SLOW-READER a client reading pushes at 1 KB/s among 3 that keep up: cut at %d B held "
                    + "(maxPendingWriteBytes %d) after reading %d B; the 3 others got all %d pushes of 1 KiB in %.2f s%n",
                    pendingMax.get(), limit, slowRead.get(), pushes, seconds);
        } finally {
            reader.shutdownNow();
            for (FrameSocket f : fast) f.close();
            server.stop();
        }
    }

    /** The other way round: a server that accepts and never reads, seen from Paguma's client. */
    @Test
    void aServerThatNeverReadsHoldsTheClientToTheSameBoundsAndIsCutOff() throws Exception {
        AtomicInteger cut = new AtomicInteger();
        AtomicInteger dropped = new AtomicInteger();
        try (java.net.ServerSocket deaf = new java.net.ServerSocket()) {
            deaf.setReceiveBufferSize(SOCKET_BUFFER);
            deaf.bind(new java.net.InetSocketAddress("127.0.0.1", 0));
            Client client = Client.builder().config(PagumaConfig.builder().name("toward-deaf").host("127.0.0.1")
                            .port(deaf.getLocalPort()).reconnect(false).soSndbuf(SOCKET_BUFFER).soRcvbuf(SOCKET_BUFFER)
                            .writeBufferHighWaterMark(HIGH_WATER).writeBufferLowWaterMark(HIGH_WATER / 2)
                            .maxPacketSize(1 << 20).outboundPolicy(PagumaConfig.OutboundPolicy.DROP)
                            .slowPeerTimeout(Duration.ofMillis(500)).build())
                    .eventListener(new EndpointListener() {
                        @Override
                        public void slowPeerCut(Connection connection, long pendingBytes) {
                            cut.incrementAndGet();
                        }
                    })
                    .build();
            try (java.net.Socket accepted = connectAndAccept(client, deaf)) {
                Connection c = client.connection();
                byte[] payload = new byte[REQUEST];
                long pendingMax = 0;
                long start = System.nanoTime();
                while (c.isOpen() && System.nanoTime() - start < TimeUnit.SECONDS.toNanos(20)) {
                    c.send(1, payload).exceptionally(e -> {
                        dropped.incrementAndGet();
                        return null;
                    });
                    c.channel().flush();     // every write so far counted by size(), which counts flushed ones
                    io.netty.channel.ChannelOutboundBuffer ob = c.channel().unsafe().outboundBuffer();
                    if (ob != null) pendingMax = Math.max(pendingMax, ob.totalPendingWriteBytes());
                    if (dropped.get() > 0) {
                        try {
                            c.writable().get(20, TimeUnit.SECONDS);
                        } catch (java.util.concurrent.ExecutionException closed) {
                            break;   // cut off while waiting for the server to read
                        }
                    }
                }
                double cutAfter = (System.nanoTime() - start) / 1e9;
                await().atMost(Duration.ofSeconds(10)).until(() -> cut.get() == 1);
                assertThat(pendingMax).as("what the client held for the deaf server").isLessThanOrEqualTo(HIGH_WATER + 2L * REQUEST);
                assertThat(dropped.get()).as("sends failed while the server did not read").isPositive();
                System.out.printf("SLOW-SERVER a server that never reads: the client held at most %d B (high water %d), "
                        + "failed %d sends (outboundPolicy drop) and cut the link %.2f s after it began (slowPeerTimeout 500 ms)%n",
                        pendingMax, HIGH_WATER, dropped.get(), cutAfter);
            } finally {
                client.close();
            }
        }
    }

    /**
     * Small sends held for a peer that does not read share 4 KiB buffers: each used to become a
     * write of its own once above the high water mark (a buffer, an outbound entry, a promise and a
     * flush per message: ~15x the bytes counted against maxPendingWriteBytes, and what ran
     * DrainFairnessTest's JVM out of heap).
     */
    @Test
    void smallSendsHeldForAPeerThatDoesNotReadShareBuffersRatherThanTakeAWriteEach() throws Exception {
        try (java.net.ServerSocket deaf = new java.net.ServerSocket()) {
            deaf.setReceiveBufferSize(SOCKET_BUFFER);
            deaf.bind(new java.net.InetSocketAddress("127.0.0.1", 0));
            Client client = Client.builder().config(PagumaConfig.builder().name("small-to-deaf").host("127.0.0.1")
                    .port(deaf.getLocalPort()).reconnect(false).soSndbuf(SOCKET_BUFFER)
                    .writeBufferHighWaterMark(HIGH_WATER).writeBufferLowWaterMark(HIGH_WATER / 2)
                    .maxPendingWriteBytes(64 << 20).build()).build();
            try (java.net.Socket accepted = connectAndAccept(client, deaf)) {
                Connection c = client.connection();
                byte[] payload = new byte[16];
                int n = 100_000;
                // On the IO thread, so each send is encoded at once and what it left is seen before any flush.
                long[] held = c.channel().eventLoop().submit(() -> {
                    for (int i = 0; i < n; i++) c.send(1, payload);
                    io.netty.channel.ChannelOutboundBuffer ob = c.channel().unsafe().outboundBuffer();
                    return new long[]{ob.size(), ob.totalPendingWriteBytes()};
                }).get(60, TimeUnit.SECONDS);
                assertThat(c.isOpen()).isTrue();
                long perWrite = held[1] / Math.max(1, held[0]);
                System.out.printf("SLOW-SMALL %d sends of 16 B to a peer that does not read: %d B held in %d writes (%d B each)%n",
                        n, held[1], held[0], perWrite);
                assertThat(held[1]).as("bytes held").isGreaterThan(1L << 20);
                assertThat(perWrite).as("bytes per held write (entries %d)", held[0]).isGreaterThanOrEqualTo(2048);
            } finally {
                client.close();
            }
        }
    }

    private static java.net.Socket connectAndAccept(Client client, java.net.ServerSocket deaf) throws Exception {
        java.util.concurrent.CompletableFuture<Connection> connecting = client.connect();
        java.net.Socket accepted = deaf.accept();
        connecting.get(10, TimeUnit.SECONDS);
        return accepted;
    }

    private long[] lastQueues;

    /** Whether the server sockets' queues are the same as at the last look (the flood has filled every buffer). */
    private boolean stable(int port) throws IOException {
        List<long[]> q = kernelQueues(port);
        long[] now = {q.stream().mapToLong(x -> x[0]).sum(), q.stream().mapToLong(x -> x[1]).sum()};
        boolean same = lastQueues != null && lastQueues[0] == now[0] && lastQueues[1] == now[1];
        lastQueues = now;
        return same;
    }

    private static int echoes(FrameSocket s, long nanos) throws IOException {
        long end = System.nanoTime() + nanos;
        int n = 0;
        while (System.nanoTime() < end) {
            s.send(1, "rt " + n);
            assertThat(s.read().text()).isEqualTo("rt " + n);
            n++;
        }
        return n;
    }
}
