package io.paguma.bench.hub;

import io.paguma.Client;
import io.paguma.Connection;
import io.paguma.PagumaConfig;
import io.paguma.Server;
import io.paguma.hub.DataPack;
import io.paguma.hub.DictCodec;
import io.paguma.hub.HubEvent;
import io.paguma.hub.NetHub;

import com.sun.management.ThreadMXBean;
import java.lang.management.ManagementFactory;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * The two scenarios of {@code ./paguma bench hub}: request/echo traffic between two endpoints with
 * {@code window} messages in flight, once through core's {@link Server} and {@link Client}, once
 * through two {@link NetHub}s driven by main loops.
 *
 * <ul>
 *   <li><b>core</b>: a {@code Server} with {@code route(1, r -> r.reply(1, r.data()))}; a
 *   {@code Client} whose route for id 1 counts the reply and sends the next message from the IO
 *   thread. Payload: {@code size} bytes (a new array per message, as the hub encodes a new one per
 *   dict); both on one IO thread, no workers, codec {@code hub} (the same 8-byte header as the
 *   hub's frames, so both scenarios put the same bytes on the wire).</li>
 *   <li><b>hub</b>: hub B listens; its main loop calls {@code update()} and sends every RECEIVED
 *   dict back with {@code send(e.ip(), e.port(), e.dict())}. Hub A's main loop keeps {@code window}
 *   dicts of {@code size} encoded bytes in flight to B and counts the replies its own
 *   {@code update()} returns. A loop whose {@code update()} returned nothing parks for 50 µs
 *   ({@link Idle}): what a game loop at full speed does with nothing to do, and on a JVM pinned to
 *   one CPU it leaves that CPU to the hub's IO thread (spinning takes it away).</li>
 * </ul>
 * Every reply is checked: the sequence number it carries (the payload's first 8 bytes; the dict's
 * {@code tick}) must be the next one expected (one link, so replies come in order).
 */
public final class HubScenario {
    /** The core scenario's message id. */
    public static final int ECHO = 1;
    /** Ticks start here, so that every tick is a 4-byte CBOR unsigned int (the dict's size does not move). */
    static final long TICK_BASE = 100_000_000L;

    private HubScenario() {
    }

    /** What a main loop does when {@code update()} returned nothing. */
    public enum Idle {
        /** {@link Thread#onSpinWait()}: burns its CPU, which the hub's IO thread shares when pinned to one CPU. */
        SPIN,
        /** {@link Thread#yield()}: lets the hub's own IO thread run, then looks again. */
        YIELD,
        /** {@code LockSupport.parkNanos(50 µs)}: a loop that sleeps a little (Linux rounds it up to ~60 µs). */
        PARK,
        /** {@code update(10 ms)}: the loop waits in the hub and is woken by the first event; the default. */
        WAIT;

        void idle() {
            switch (this) {
                case SPIN -> Thread.onSpinWait();
                case YIELD -> Thread.yield();
                case PARK -> LockSupport.parkNanos(50_000);
                case WAIT -> { }
            }
        }

        /** The events since the last call, waiting for the first one if this policy says so. */
        List<HubEvent> update(NetHub hub) {
            return this == WAIT ? hub.update(WAIT_AT_MOST) : hub.update();
        }

        private static final java.time.Duration WAIT_AT_MOST = java.time.Duration.ofMillis(10);

        public static Idle parse(String s) {
            return valueOf(s.trim().toUpperCase(Locale.ROOT));
        }
    }

    /** One measured run of one scenario (client side). */
    public record Result(String scenario, double msgsPerSec, long measured, long total, long mismatches, long unanswered,
                         double seconds, double bytesPerMsg) {
        public long failures() {
            return mismatches + unanswered;
        }
    }

    // ---- dicts -----------------------------------------------------------------------------------

    /**
     * The game-style dict of the bench, {@code {"op":"move","x":12,"y":-7,"z":0,"speed":1.5f,
     * "tick":..,"ok":true,"id":1001,"who":"paguma"}}, with {@code who} grown or shrunk so that it is
     * exactly {@code size} bytes encoded (64 with "paguma").
     *
     * @throws IllegalArgumentException if no such dict has exactly {@code size} bytes
     */
    public static LinkedHashMap<String, Object> dict(int size) {
        DictCodec codec = new DictCodec();
        for (int len = 0; len <= size; len++) {
            LinkedHashMap<String, Object> d = new LinkedHashMap<>();
            d.put("op", "move");
            d.put("x", 12);
            d.put("y", -7);
            d.put("z", 0);
            d.put("speed", 1.5f);
            d.put("tick", TICK_BASE);
            d.put("ok", true);
            d.put("id", 1001);
            d.put("who", len == 6 ? "paguma" : "p".repeat(len));
            int n = codec.size(d);
            if (n == size) return d;
            if (n > size) break;
        }
        throw new IllegalArgumentException("no bench dict is exactly " + size + " bytes encoded (try 64, or 50..4000)");
    }

    // ---- server side -----------------------------------------------------------------------------

    /** The echo side of one scenario, running until {@link #close()}. */
    public interface Echo extends AutoCloseable {
        int port();

        @Override
        void close();
    }

    public static Echo startEcho(String scenario, Idle idle) {
        return switch (scenario) {
            case "core" -> coreEcho();
            case "hub" -> hubEcho(idle);
            default -> throw new IllegalArgumentException("scenario must be core or hub, not " + scenario);
        };
    }

    private static PagumaConfig config(String name) {
        return PagumaConfig.builder().name(name).host("127.0.0.1").port(0).ioThreads(1).workerPoolSize(0).build();
    }

    static Echo coreEcho() {
        Server s = Server.builder().config(config("core-echo")).codec(new DataPack())
                .route(ECHO, r -> r.reply(ECHO, r.data()))
                .build().start();
        return new Echo() {
            @Override
            public int port() {
                return s.port();
            }

            @Override
            public void close() {
                s.stop();
            }
        };
    }

    static Echo hubEcho(Idle idle) {
        NetHub hub = NetHub.builder().name("hub-b").build();
        int port = hub.listen("127.0.0.1", 0).join().getPort();
        Thread loop = new Thread(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                List<HubEvent> events = idle.update(hub);
                if (events.isEmpty()) {
                    idle.idle();
                    continue;
                }
                for (int i = 0, k = events.size(); i < k; i++) {
                    HubEvent e = events.get(i);
                    if (e.type() == HubEvent.Type.RECEIVED) {
                        hub.send(e.ip(), e.port(), e.dict());
                    }
                }
            }
        }, "hub-b-main");
        loop.start();
        return new Echo() {
            @Override
            public int port() {
                return port;
            }

            @Override
            public void close() {
                loop.interrupt();
                try {
                    loop.join(10_000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                hub.destroy();
            }
        };
    }

    // ---- client side -----------------------------------------------------------------------------

    public static Result run(String scenario, int port, int window, int size, double warmupSeconds, double seconds,
                             Idle idle) throws Exception {
        return switch (scenario) {
            case "core" -> coreClient(port, window, size, warmupSeconds, seconds);
            case "hub" -> hubClient(port, window, size, warmupSeconds, seconds, idle);
            default -> throw new IllegalArgumentException("scenario must be core or hub, not " + scenario);
        };
    }

    private static long nanos(double seconds) {
        return (long) (seconds * 1e9);
    }

    /** Core: the IO thread's reply route counts, checks and sends the next; the calling thread only times. */
    static Result coreClient(int port, int window, int size, double warmupSeconds, double seconds) throws Exception {
        if (size < 8) throw new IllegalArgumentException("the core payload needs at least 8 bytes (its sequence number)");
        CoreLoop loop = new CoreLoop(size);
        Client c = Client.builder().config(config("core-client").toBuilder().port(port).reconnect(false).build())
                .codec(new DataPack())
                .route(ECHO, r -> loop.answered(r.connection(), r.data()))
                .build();
        try {
            Connection conn = c.connect().get(10, TimeUnit.SECONDS);
            conn.channel().eventLoop().execute(() -> {
                for (int i = 0; i < window; i++) loop.sendNext(conn);
            });
            sleep(nanos(warmupSeconds));
            long before = loop.received;
            long allocated = allocated();
            long start = System.nanoTime();
            sleep(nanos(seconds));
            long measured = loop.received - before;
            double elapsed = (System.nanoTime() - start) / 1e9;
            double perMsg = (double) (allocated() - allocated) / measured;
            loop.running = false;
            // Every reply in, or 10 s: what is still missing then counts as unanswered.
            conn.channel().eventLoop().execute(loop::checkDrained);
            try {
                loop.drained.get(10, TimeUnit.SECONDS);
            } catch (java.util.concurrent.TimeoutException stillMissing) {
                // Reported below.
            }
            return new Result("core", measured / elapsed, measured, loop.received, loop.mismatches,
                    loop.sent - loop.received, elapsed,
                    perMsg);
        } finally {
            c.close().get(10, TimeUnit.SECONDS);
        }
    }

    /** Runs on the client's one IO thread (sends and replies alike); the main thread reads the volatile counters. */
    private static final class CoreLoop {
        final int size;
        volatile boolean running = true;
        volatile long sent;
        volatile long received;
        volatile long mismatches;

        CoreLoop(int size) {
            this.size = size;
        }

        void sendNext(Connection c) {
            long seq = sent;
            byte[] payload = new byte[size];
            putLong(payload, seq);
            sent = seq + 1;
            c.send(ECHO, payload);
        }

        /** Completed on the IO thread once sending has stopped and every reply is in. */
        final java.util.concurrent.CompletableFuture<Void> drained = new java.util.concurrent.CompletableFuture<>();

        void answered(Connection c, byte[] data) {
            long seq = received;
            if (data.length != size || getLong(data) != seq) mismatches = mismatches + 1;
            received = seq + 1;
            if (running) {
                sendNext(c);
            } else {
                checkDrained();
            }
        }

        /** IO thread, like every change of the counters. */
        void checkDrained() {
            if (!running && received == sent) drained.complete(null);
        }
    }

    /** Hub: hub A's main loop (this thread) keeps {@code window} dicts in flight and counts what update() returns. */
    static Result hubClient(int port, int window, int size, double warmupSeconds, double seconds, Idle idle) {
        LinkedHashMap<String, Object> dict = dict(size);
        NetHub hub = NetHub.builder().name("hub-a").maxPending(Math.max(1024, window)).build();
        try {
            hub.listen("127.0.0.1", 0).join();
            long sent = 0;
            long received = 0;
            long mismatches = 0;
            for (; sent < window; sent++) {
                dict.put("tick", TICK_BASE + sent);
                hub.send("127.0.0.1", port, dict);
            }
            long now = System.nanoTime();
            long measureAt = now + nanos(warmupSeconds);
            long endAt = measureAt + nanos(seconds);
            long drainUntil = Long.MAX_VALUE;
            long before = -1;
            long start = 0;
            long end = 0;
            long measured = 0;
            long allocated = 0;
            // Bounded: sending stops at endAt, and the loop ends when every reply is in or 10 s after that.
            while (received < sent && now - drainUntil < 0 || before < 0 || end == 0) {
                List<HubEvent> events = idle.update(hub);
                if (events.isEmpty()) {
                    idle.idle();
                } else {
                    for (int i = 0, k = events.size(); i < k; i++) {
                        HubEvent e = events.get(i);
                        if (e.type() != HubEvent.Type.RECEIVED) continue;
                        Object tick = e.dict().get("tick");
                        if (!(tick instanceof Number) || ((Number) tick).longValue() != TICK_BASE + received) mismatches++;
                        received++;
                        if (end == 0) {
                            dict.put("tick", TICK_BASE + sent++);
                            hub.send("127.0.0.1", port, dict);
                        }
                    }
                }
                now = System.nanoTime();
                if (before < 0 && now - measureAt >= 0) {
                    before = received;
                    allocated = allocated();
                    start = System.nanoTime();
                }
                if (end == 0 && now - endAt >= 0) {
                    end = now;
                    measured = received - before;
                    allocated = allocated() - allocated;
                    drainUntil = now + TimeUnit.SECONDS.toNanos(10);
                }
            }
            double elapsed = (end - start) / 1e9;
            return new Result("hub", measured / elapsed, measured, received, mismatches, sent - received, elapsed,
                    (double) allocated / measured);
        } finally {
            hub.destroy();
        }
    }

    /**
     * Heap bytes allocated so far by every live thread of this JVM (the client side's IO thread and
     * main loop, and whatever else runs): divided by the replies of a window, the client side's
     * allocation per round trip (one message sent, one received).
     */
    static long allocated() {
        ThreadMXBean mx = (ThreadMXBean) ManagementFactory.getThreadMXBean();
        long sum = 0;
        for (long b : mx.getThreadAllocatedBytes(mx.getAllThreadIds())) if (b > 0) sum += b;
        return sum;
    }

    private static void sleep(long nanos) throws InterruptedException {
        long until = System.nanoTime() + nanos;
        for (long left; (left = until - System.nanoTime()) > 0; ) TimeUnit.NANOSECONDS.sleep(left);
    }

    static void putLong(byte[] b, long v) {
        for (int i = 0; i < 8; i++) b[i] = (byte) (v >>> (56 - 8 * i));
    }

    static long getLong(byte[] b) {
        long v = 0;
        for (int i = 0; i < 8; i++) v = (v << 8) | (b[i] & 0xFF);
        return v;
    }
}
