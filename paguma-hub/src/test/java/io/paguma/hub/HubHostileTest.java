package io.paguma.hub;

import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufAllocatorMetric;
import io.netty.buffer.ByteBufAllocatorMetricProvider;
import io.paguma.testing.LogCapture;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Hostile dicts sent to a NetHub over a real socket (issue 16, item 1): malformed ones, and ones
 * nested 10,000 deep. As HUB.md says, each closes only the link that sent it, with one log line
 * naming the connection and its address, and the application hears the link's DISCONNECTED; no
 * StackOverflowError (the codec stops at maxDepth, 32); meanwhile another link's echo round trips
 * go on, and the allocator stays bounded. Prints {@code HOSTILE <case> ...} like core's suite.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class HubHostileTest {
    private static final DictCodec DICTS = new DictCodec();
    private static final long MEMORY_BOUND = 4L << 20;

    static byte[] repeat(int b, int n) {
        byte[] out = new byte[n];
        java.util.Arrays.fill(out, (byte) b);
        return out;
    }

    /** {@code {"a": <inner>}}. */
    static byte[] underKey(byte[] inner) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(0xa1);
        out.write(0x61);
        out.write('a');
        out.writeBytes(inner);
        return out.toByteArray();
    }

    /** {@code {"a": {"a": ... {"a": 1}}}}, {@code depth} maps deep. */
    static byte[] nestedMaps(int depth) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int i = 0; i < depth; i++) out.writeBytes(new byte[] {(byte) 0xa1, 0x61, 'a'});
        out.write(1);
        return out.toByteArray();
    }

    static Stream<Arguments> dicts() {
        return Stream.of(
                Arguments.of("arrays-10000-deep", underKey(HubHostileTest.concat(repeat(0x81, 10_000), new byte[] {1})),
                        "dict nested deeper than 32"),
                Arguments.of("indefinite-arrays-10000-deep", underKey(HubHostileTest.concat(repeat(0x9f, 10_000), repeat(0xff, 10_000))),
                        "dict nested deeper than 32"),
                Arguments.of("maps-10000-deep", nestedMaps(10_000), "dict nested deeper than 32"),
                Arguments.of("truncated", new byte[] {(byte) 0xa2, 0x61, 'a', 1, 0x61}, "truncated"),
                Arguments.of("duplicate-key", new byte[] {(byte) 0xa2, 0x61, 'a', 1, 0x61, 'a', 2}, "duplicate key \"a\""),
                Arguments.of("invalid-utf8", new byte[] {(byte) 0xa1, 0x62, (byte) 0xc3, 0x28, 1}, "malformed UTF-8"),
                Arguments.of("array-of-2^32-1-elements", underKey(new byte[] {(byte) 0x9a, (byte) 0xff, (byte) 0xff, (byte) 0xff,
                        (byte) 0xff, 1}), "array of 4294967295 elements longer than"),
                Arguments.of("not-a-map", new byte[] {(byte) 0x83, 1, 2, 3}, "at the top level, expected a map"),
                Arguments.of("empty", new byte[0], "no data, expected a map"));
    }

    static byte[] concat(byte[] a, byte[] b) {
        byte[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    private static long memoryUsed() {
        ByteBufAllocatorMetric m = ((ByteBufAllocatorMetricProvider) ByteBufAllocator.DEFAULT).metric();
        return m.usedDirectMemory() + m.usedHeapMemory();
    }

    private static Socket linked(int hubPort, long nonce, int claimedPort) throws IOException {
        Socket s = new Socket(InetAddress.getLoopbackAddress(), hubPort);
        s.setSoTimeout(10_000);
        s.setTcpNoDelay(true);
        RawFrames.write(s.getOutputStream(), DataPack.HELLO, RawFrames.hello(nonce, claimedPort, null));
        assertThat(RawFrames.read(s.getInputStream()).getKey()).isEqualTo(DataPack.WELCOME);
        return s;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dicts")
    void aHostileDictClosesOnlyItsLink(String caseName, byte[] dict, String problem) throws Exception {
        String name = "hub/" + caseName;
        String hubName = "hub-hostile-" + caseName;
        NetHub hub = NetHub.builder().name(hubName)
                .config(io.paguma.PagumaConfig.builder().connectTimeout(Duration.ofSeconds(5)).maxPacketSize(64 * 1024)
                        .closeLinger(Duration.ofMillis(200)).build()).build();
        List<HubEvent> events = new CopyOnWriteArrayList<>();
        List<Throwable> failures = new CopyOnWriteArrayList<>();
        AtomicLong roundTrips = new AtomicLong();
        java.util.concurrent.atomic.AtomicBoolean appStop = new java.util.concurrent.atomic.AtomicBoolean();
        java.util.concurrent.atomic.AtomicBoolean bystanderStop = new java.util.concurrent.atomic.AtomicBoolean();
        // The application: echoes every dict back to its peer, on the thread that calls update().
        Thread app = new Thread(() -> {
            while (!appStop.get()) {
                for (HubEvent e : hub.update(Duration.ofMillis(5))) {
                    events.add(e);
                    if (e.type() == HubEvent.Type.RECEIVED) hub.send(e.ip(), e.port(), e.dict());
                }
            }
        }, "hub-hostile-app");
        try (LogCapture logs = LogCapture.start()) {
            int port = hub.listen("127.0.0.1", 0).join().getPort();
            app.start();
            Socket good = linked(port, 1, 7001);
            Socket bad = linked(port, 2, 7002);
            Thread bystander = new Thread(() -> {
                try {
                    for (long n = 0; !bystanderStop.get(); n++) {
                        Map<String, Object> d = Map.of("echo", (int) n);
                        RawFrames.write(good.getOutputStream(), DataPack.DICT, DICTS.encode(d));
                        Map.Entry<Integer, Map<String, Object>> back = RawFrames.read(good.getInputStream());
                        if (back.getKey() != DataPack.DICT || !back.getValue().equals(d)) {
                            throw new AssertionError("bystander got " + back);
                        }
                        roundTrips.incrementAndGet();
                    }
                } catch (Throwable e) {
                    if (!bystanderStop.get()) failures.add(e);
                }
            }, "hub-hostile-bystander");
            bystander.setDaemon(true);
            bystander.start();
            try {
                await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(2)).until(() -> roundTrips.get() >= 20 || !failures.isEmpty());
                long c0 = roundTrips.get();
                long t0 = System.nanoTime();
                await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(2)).until(() -> roundTrips.get() >= c0 + 50 || !failures.isEmpty());
                long c1 = roundTrips.get();
                long t1 = System.nanoTime();
                long memBefore = memoryUsed();
                long c2 = roundTrips.get();
                long t2 = System.nanoTime();
                RawFrames.write(bad.getOutputStream(), DataPack.DICT, dict);
                assertThat(bad.getInputStream().read()).as(name + ": the link is closed").isEqualTo(-1);
                long peak = memoryUsed();
                await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(2)).until(() -> roundTrips.get() >= c2 + 10 || !failures.isEmpty());
                long c3 = roundTrips.get();
                long t3 = System.nanoTime();
                long delta = Math.max(peak, memoryUsed()) - memBefore;
                System.out.printf("HOSTILE %s bystander before=%.0f/s during=%.0f/s%n", name,
                        (c1 - c0) / ((t1 - t0) / 1e9), (c3 - c2) / ((t3 - t2) / 1e9));
                System.out.printf("HOSTILE %s memory delta=%d bytes%n", name, delta);
                assertThat(failures).as(name + ": bystander failures").isEmpty();
                assertThat(c3 - c2).isGreaterThanOrEqualTo(10);
                assertThat(delta).as(name + ": allocator growth").isLessThanOrEqualTo(MEMORY_BOUND);
            } finally {
                bystanderStop.set(true);
                bystander.join(10_000);
            }
            String address = "127.0.0.1:" + bad.getLocalPort();
            await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(2)).until(() -> events.stream()
                    .anyMatch(e -> e.type() == HubEvent.Type.DISCONNECTED && e.peer().equals("127.0.0.1:7002")));
            List<String> lines = logs.at("WARN", hubName, address);
            assertThat(lines).as(name + ": WARN lines naming " + address).singleElement().asString()
                    .contains("sent a malformed dict, closing it").contains(problem).containsPattern("connection #\\d+ from");
            assertThat(logs.lines("StackOverflowError")).isEmpty();
            assertThat(logs.traces("StackOverflowError")).isEmpty();
            assertThat(logs.at("WARN", hubName, "127.0.0.1:" + good.getLocalPort())).isEmpty();
            assertThat(events).filteredOn(e -> e.type() == HubEvent.Type.DISCONNECTED).extracting(HubEvent::peer)
                    .containsExactly("127.0.0.1:7002");
            assertThat(hub.linkedPeers()).containsExactly("127.0.0.1:7001");
            good.close();
            bad.close();
        } finally {
            appStop.set(true);
            app.join(10_000);
            hub.destroy();
        }
    }

    /**
     * DataPack.decode with a maxPacketSize near Integer.MAX_VALUE (allowed: the key only needs > 0):
     * {@code int frame = 2 + headerSize + (int) dataSize} overflows for a dataSize of 2^31 - 8, so
     * the "not all there yet" check passes, decode allocates a byte[2147483640] (an OutOfMemoryError
     * on a smaller heap) and then fails with IndexOutOfBoundsException instead of waiting for the
     * bytes. Found by DictFuzzTest; fixed (a long). Before the fix, this allocated 2 GiB.
     */
    @org.junit.jupiter.api.Test
    void aDataSizeNear2GiBUnderAHugeMaxPacketSizeWaitsForItsBytes() {
        io.netty.buffer.ByteBuf in = io.netty.buffer.Unpooled.wrappedBuffer(new byte[] {0, 6, 0x7f, (byte) 0xff, (byte) 0xff,
                (byte) 0xf8, 0, 16, (byte) 0xa0});
        try {
            assertThat(new DataPack().decode(in, Integer.MAX_VALUE)).isNull();
            assertThat(in.readerIndex()).isZero();
        } finally {
            in.release();
        }
    }
}
