package io.paguma;

import io.paguma.testing.Servers;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The soak (issue 16 item 5): a bounded run of churning connections and mixed traffic against one
 * server (TCP and WebSocket), then: no leaked buffer (paranoid leak detection, checked after the
 * class by LeakCheckExtension), thread and file-descriptor counts back to their baseline, and the
 * heap back to its baseline after GC. 60 s in CI; the long run (10 minutes) is
 * {@code mvn -o -pl paguma-core test -Dtest=SoakTest -Dpaguma.soak.seconds=600}.
 *
 * <p>Traffic, each kind on its own thread until the time is up: steady clients (paguma codec, TCP
 * and WebSocket) with requests of random sizes (0-8 KiB) and server-initiated requests they
 * answer; churners that connect, make a few requests and leave in one of several ways (close,
 * half-close, reset, mid-frame, without a word); a client that floods without reading for a while.
 */
@Timeout(value = 30, unit = TimeUnit.MINUTES)
class SoakTest {
    private static final int ECHO = 1;
    private static final int ASK = 2;
    private static final int ANSWER = 3;

    private static long fds() throws IOException {
        try (Stream<Path> s = Files.list(Path.of("/proc/self/fd"))) {
            return s.count();
        }
    }

    private static long heapAfterGc() {
        for (int i = 0; i < 3; i++) System.gc();
        Runtime rt = Runtime.getRuntime();
        return rt.totalMemory() - rt.freeMemory();
    }

    /** Threads alive now that were not before, except pools that come and go outside Paguma. */
    private static List<String> threadsLeft(java.util.Set<Thread> before) {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> !before.contains(t) && t != Thread.currentThread())
                .filter(t -> !t.getName().startsWith("awaitility") && !t.getName().startsWith("ForkJoinPool.commonPool-worker")
                        && !t.getName().equals("CompletableFutureDelayScheduler"))     // the JDK's, started once per JVM
                .map(t -> t.getName() + " (" + t.getState() + ")").sorted().toList();
    }

    private static int threads() {
        return Thread.getAllStackTraces().size();
    }

    @Test
    void churnAndMixedTrafficLeaveNothingBehind() throws Exception {
        long seconds = Long.getLong("paguma.soak.seconds", 60);
        long seed = Long.getLong("paguma.soak.seed", System.nanoTime());
        // A warm-up server first, so that what the JVM loads once (classes, Netty's pools) is in the baseline.
        Server warm = Server.builder().config(Servers.config().name("warm").codec("paguma").build())
                .route(ECHO, r -> r.reply(ECHO, r.data())).build().start();
        Client wc = Client.builder().config(PagumaConfig.builder().name("warm-c").host("127.0.0.1").port(warm.port()).maxPacketSize(1 << 20)
                .codec("paguma").build()).build();
        try {
            wc.connect().get(10, TimeUnit.SECONDS);
            for (int i = 0; i < 100; i++) wc.request(ECHO, new byte[i * 50]).get(10, TimeUnit.SECONDS);
        } finally {
            wc.close();
        }
        warm.stop();
        await().atMost(Duration.ofSeconds(20)).until(() -> Thread.getAllStackTraces().keySet().stream()
                .noneMatch(t -> t.getName().contains("-warm")));
        int threadsBefore = threads();
        java.util.Set<Thread> threadSetBefore = Thread.getAllStackTraces().keySet();
        long fdsBefore = fds();
        long heapBefore = heapAfterGc();

        AtomicLong churned = new AtomicLong();
        AtomicLong echoed = new AtomicLong();
        AtomicLong asked = new AtomicLong();
        AtomicLong failures = new AtomicLong();
        Server server = Server.builder().config(Servers.config().name("soak").codec("paguma")
                        .mode(PagumaConfig.Mode.BOTH).wsPort(0).frameTimeout(Duration.ofSeconds(2))
                        .slowPeerTimeout(Duration.ofSeconds(2)).heartbeatMax(Duration.ofSeconds(10)).build())
                .route(ECHO, r -> r.reply(ECHO, r.data()))
                .route(ASK, r -> r.connection().request(ANSWER, r.data(), Duration.ofSeconds(5)).whenComplete((m, e) -> {
                    if (e == null) r.reply(ASK, m.data());
                    else r.fail(500, "the client did not answer");
                }))
                .build().start();
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        AtomicBoolean over = new AtomicBoolean();
        List<Thread> load = new ArrayList<>();
        try {
            for (PagumaConfig.Mode mode : new PagumaConfig.Mode[]{PagumaConfig.Mode.TCP, PagumaConfig.Mode.WEBSOCKET}) {
                for (int i = 0; i < 2; i++) {
                    long s = seed + load.size();
                    load.add(start("steady-" + mode + i, () -> steady(server, mode, s, end, echoed, asked, failures)));
                }
            }
            for (int i = 0; i < 2; i++) {
                long s = seed + 100 + i;
                load.add(start("churn-" + i, () -> churn(server, s, end, churned, failures)));
            }
            load.add(start("greedy", () -> greedy(server, end)));
            for (Thread t : load) t.join(TimeUnit.SECONDS.toMillis(seconds + 60));
            over.set(true);
            assertThat(load).noneMatch(Thread::isAlive);
            assertThat(echoed.get()).as("echoes").isPositive();
            assertThat(asked.get()).as("server-initiated round trips").isPositive();
        } finally {
            over.set(true);
            server.stop();
        }
        // By identity and named on failure: a count alone failed once in CI with no clue, and it
        // moves with pools outside Paguma (Awaitility's own poller, the common ForkJoinPool, the JDK's
        // orTimeout scheduler).
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(threadsLeft(threadSetBefore))
                .as("threads started during the soak and still alive (seed %d)", seed).isEmpty());
        await().atMost(Duration.ofSeconds(30)).until(() -> fds() <= fdsBefore);
        long heapAfter = heapAfterGc();
        assertThat(heapAfter - heapBefore).as("heap growth after GC (seed %d)", seed).isLessThan(16L << 20);
        System.out.printf("SOAK %d s (seed %d): %d connections churned, %d echoes, %d server-initiated requests, "
                        + "%d failures seen by clients (expected: churners cut themselves off); threads %d -> %d, fds %d -> %d, "
                        + "heap after GC %.1f -> %.1f MiB%n",
                seconds, seed, churned.get(), echoed.get(), asked.get(), failures.get(), threadsBefore, threads(),
                fdsBefore, fds(), heapBefore / 1048576.0, heapAfter / 1048576.0);
    }

    private static Thread start(String name, ThrowingRunnable body) {
        Thread t = new Thread(() -> {
            try {
                body.run();
            } catch (Exception e) {
                throw new IllegalStateException(name + " failed", e);
            }
        }, "soak-" + name);
        t.start();
        return t;
    }

    private interface ThrowingRunnable {
        void run() throws Exception;
    }

    private static Client client(Server server, PagumaConfig.Mode mode, String name) {
        return Client.builder().config(PagumaConfig.builder().name(name).host("127.0.0.1").codec("paguma").mode(mode).maxPacketSize(1 << 20)
                        .port(server.port()).wsPort(server.wsPort()).reconnect(false).build())
                .route(ANSWER, r -> r.reply(ANSWER, r.data()))
                .build();
    }

    /** A client that stays: requests of random sizes, some of which make the server ask it back. */
    private static void steady(Server server, PagumaConfig.Mode mode, long seed, long end, AtomicLong echoed,
                               AtomicLong asked, AtomicLong failures) throws Exception {
        Random random = new Random(seed);
        Client c = client(server, mode, "steady");
        try {
            c.connect().get(10, TimeUnit.SECONDS);
            while (System.nanoTime() < end) {
                byte[] data = new byte[random.nextInt(8192)];
                random.nextBytes(data);
                boolean ask = random.nextInt(10) == 0;
                try {
                    Message m = c.request(ask ? ASK : ECHO, data, Duration.ofSeconds(10)).get(20, TimeUnit.SECONDS);
                    assertThat(m.data()).as("seed %d", seed).isEqualTo(data);
                    (ask ? asked : echoed).incrementAndGet();
                } catch (java.util.concurrent.ExecutionException e) {
                    failures.incrementAndGet();
                    throw new AssertionError("a steady client's request failed (seed " + seed + ")", e);
                }
            }
        } finally {
            c.close();
        }
    }

    /** Connects, makes a few requests, leaves in one of several ways; over and over. */
    private static void churn(Server server, long seed, long end, AtomicLong churned, AtomicLong failures) throws Exception {
        Random random = new Random(seed);
        while (System.nanoTime() < end) {
            int way = random.nextInt(6);
            if (way <= 1) {
                // A Paguma client (TCP or WebSocket) that makes requests, then closes.
                Client c = client(server, way == 0 ? PagumaConfig.Mode.TCP : PagumaConfig.Mode.WEBSOCKET, "churn");
                try {
                    c.connect().get(10, TimeUnit.SECONDS);
                    int n = 1 + random.nextInt(5);
                    for (int i = 0; i < n; i++) c.request(ECHO, new byte[random.nextInt(2048)]).get(10, TimeUnit.SECONDS);
                } finally {
                    c.close();
                }
            } else {
                try (Socket s = new Socket("127.0.0.1", server.port())) {
                    OutputStream out = s.getOutputStream();
                    // paguma frames: [len u32 = data length][0xB7][flags][status u16][id u32][seq u32][data].
                    byte[] body = "churn".getBytes(StandardCharsets.UTF_8);
                    java.nio.ByteBuffer f = java.nio.ByteBuffer.allocate(4 + 12 + body.length);
                    f.putInt(body.length).put((byte) 0xB7).put((byte) 0).putShort((short) 0).putInt(ECHO).putInt(0).put(body);
                    out.write(f.array());
                    switch (way) {
                        case 2 -> s.shutdownOutput();                           // half-close, then read the reply
                        case 3 -> {                                              // reset
                            s.setSoLinger(true, 0);
                        }
                        case 4 -> out.write(new byte[]{0, 0, 0, 100, (byte) 0xB7}); // leave mid-frame
                        default -> out.write(new byte[]{(byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF}); // garbage length
                    }
                    if (way == 2) {
                        s.setSoTimeout(10_000);
                        s.getInputStream().readAllBytes();
                    }
                } catch (IOException cut) {
                    failures.incrementAndGet();
                }
            }
            churned.incrementAndGet();
        }
    }

    /** Floods requests without reading for two seconds at a time, then leaves. */
    private static void greedy(Server server, long end) throws Exception {
        byte[] frame = java.nio.ByteBuffer.allocate(4 + 12 + 4096).putInt(4096).put((byte) 0xB7).put((byte) 0)
                .putShort((short) 0).putInt(ECHO).putInt(0).array();
        while (System.nanoTime() < end) {
            try (Socket s = new Socket("127.0.0.1", server.port())) {
                s.setSoTimeout(1000);
                long until = Math.min(end, System.nanoTime() + TimeUnit.SECONDS.toNanos(2));
                s.getOutputStream().write(frame);
                while (System.nanoTime() < until) {
                    s.getOutputStream().write(frame);
                }
            } catch (IOException cut) {
                // cut off by slowPeerTimeout, or its socket blocked past the end: both expected
            }
        }
    }
}
