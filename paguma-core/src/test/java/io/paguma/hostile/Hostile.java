package io.paguma.hostile;

import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufAllocatorMetric;
import io.netty.buffer.ByteBufAllocatorMetricProvider;
import io.paguma.Codec;
import io.paguma.Codecs;
import io.paguma.Connection;
import io.paguma.EndpointListener;
import io.paguma.PagumaConfig;
import io.paguma.Server;
import io.paguma.testing.FrameSocket;
import io.paguma.testing.LogCapture;
import io.paguma.testing.Peer;
import io.paguma.testing.Servers;
import io.paguma.testing.Wire;
import io.paguma.testing.WsFrameSocket;

import org.awaitility.core.ConditionFactory;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.UnaryOperator;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The hostile-input suite's common ground (issue 16, item 1): a server under test with an echo
 * route and an event recorder, the codecs it runs over, and the attack window, which measures a
 * {@link Bystander}'s echo rate and the server allocator's memory before and during an attack.
 */
final class Hostile {
    /** Every built-in codec by its configuration name (length-field with its default layout). */
    static final List<String> CODECS = List.of("ltv-le", "tlv-be", "length-prefix", "paguma", "tron", "tron-v2", "length-field");
    /** The maxPacketSize of the servers under attack. */
    static final int MAX = 64 * 1024;
    /** How much the server's allocator may grow during one attack. */
    static final long MEMORY_BOUND = 4L << 20;
    /** An id no route handles (fits every codec that carries ids, tron's one byte too). */
    static final int UNROUTED_ID = 77;

    private Hostile() {
    }

    /** An Awaitility wait of at most 10 s that looks every few milliseconds (the default 100 ms adds up over many cases). */
    static ConditionFactory soon() {
        return await().atMost(Duration.ofSeconds(10)).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(2));
    }

    static Codec codec(String name) {
        return Codecs.byName(name);
    }

    /** Whether the codec carries a message id on the wire (else every message is id 0). */
    static boolean carriesId(String codec) {
        return switch (codec) {
            case "ltv-le", "tlv-be", "paguma", "tron" -> true;
            default -> false;
        };
    }

    /** The id the echo route answers on for this codec: 1, or 0 for the formats without ids. */
    static int echoId(String codec) {
        return carriesId(codec) ? 1 : 0;
    }

    /** One event heard by the server's listener. */
    record Event(String kind, long connectionId, int peerPort, String detail) {
    }

    /** A server under attack: echo routes on 0 and 1, events recorded, fresh per case. */
    static final class Target implements AutoCloseable {
        final String codecName;
        final Codec codec;
        final Wire wire;
        final Server server;
        final List<Event> events = new CopyOnWriteArrayList<>();
        volatile ByteBufAllocator allocator;

        Target(String codecName, Wire wire, UnaryOperator<PagumaConfig.Builder> tune) {
            this.codecName = codecName;
            this.codec = codec(codecName);
            this.wire = wire;
            PagumaConfig.Builder config = wire.server(Servers.config().name("hostile").codec(codecName).maxPacketSize(MAX)
                    .closeLinger(Duration.ofMillis(500)));
            this.server = Server.builder().config(tune.apply(config).build())
                    .route(0, r -> r.reply(0, r.data()))
                    .route(1, r -> r.reply(1, r.data()))
                    .eventListener(new EndpointListener() {
                        @Override
                        public void accepted(Connection c) {
                            if (allocator == null) allocator = c.channel().alloc();
                            events.add(new Event("accepted", c.id(), c.remoteAddress().getPort(), ""));
                        }

                        @Override
                        public void refused(InetSocketAddress peer, String reason) {
                            events.add(new Event("refused", -1, peer.getPort(), reason));
                        }

                        @Override
                        public void frameRejected(Connection c, String reason) {
                            events.add(new Event("frameRejected", c.id(), c.remoteAddress().getPort(), reason));
                        }

                        @Override
                        public void unknownMessage(Connection c, int messageId) {
                            events.add(new Event("unknownMessage", c.id(), c.remoteAddress().getPort(),
                                    Integer.toUnsignedString(messageId)));
                        }
                    })
                    .build().start();
        }

        Target(String codecName, Wire wire) {
            this(codecName, wire, UnaryOperator.identity());
        }

        /** The port clients of this target's transport dial. */
        int port() {
            return wire.port(server);
        }

        Peer connect() throws Exception {
            return wire.connect(server, codec);
        }

        Bystander bystander() throws Exception {
            return new Bystander(connect(), echoId(codecName), codecName + "-" + wire).start();
        }

        /** The events other than accepted about the peer on {@code port}. */
        List<Event> eventsOf(int port) {
            return events.stream().filter(e -> e.peerPort() == port && !e.kind().equals("accepted")).collect(Collectors.toList());
        }

        /** The id of the connection the server accepted from {@code port}. */
        long connectionId(int port) {
            soon().until(() -> events.stream()
                    .anyMatch(e -> e.kind().equals("accepted") && e.peerPort() == port));
            return events.stream().filter(e -> e.kind().equals("accepted") && e.peerPort() == port).findFirst().orElseThrow()
                    .connectionId();
        }

        @Override
        public void close() {
            server.stop();
        }
    }

    /** The local port of a test peer: its address as the server sees it is 127.0.0.1:port. */
    static int localPort(Peer peer) {
        if (peer instanceof FrameSocket s) return s.socket().getLocalPort();
        return ((InetSocketAddress) ((WsFrameSocket) peer).channel().localAddress()).getPort();
    }

    /** Bytes in use by the allocator's pools, direct and heap. */
    static long memoryUsed(ByteBufAllocator alloc) {
        ByteBufAllocatorMetric m = alloc instanceof ByteBufAllocatorMetricProvider p ? p.metric()
                : ((ByteBufAllocatorMetricProvider) ByteBufAllocator.DEFAULT).metric();
        return m.usedDirectMemory() + m.usedHeapMemory();
    }

    /** The attack itself: sends, and checks what happened to the offending connection. */
    @FunctionalInterface
    interface Attack {
        void run() throws Exception;
    }

    /**
     * Runs {@code attack} while {@code bystander} runs its echoes on the same server: measures the
     * bystander's rate before, then during the window that begins with the attack and ends when
     * the attack has been dealt with and the bystander has made a few more round trips; asserts
     * that it made progress with no failure and that the server's allocator grew by at most
     * {@link #MEMORY_BOUND}. Prints {@code HOSTILE <case> bystander before=X/s during=Y/s} and
     * {@code HOSTILE <case> memory delta=N bytes}.
     */
    static void underAttack(String caseName, Target target, Bystander bystander, Attack attack) throws Exception {
        soon().until(() -> bystander.roundTrips() >= 20 || !bystander.failures().isEmpty());
        assertThat(bystander.failures()).as("%s: bystander failures before the attack", caseName).isEmpty();
        long c0 = bystander.roundTrips();
        long t0 = System.nanoTime();
        soon().until(() -> bystander.roundTrips() >= c0 + 50 || !bystander.failures().isEmpty());
        long c1 = bystander.roundTrips();
        long t1 = System.nanoTime();
        ByteBufAllocator alloc = target.allocator != null ? target.allocator : ByteBufAllocator.DEFAULT;
        long memBefore = memoryUsed(alloc);
        long peak = memBefore;
        long c2 = bystander.roundTrips();
        long t2 = System.nanoTime();
        attack.run();
        peak = Math.max(peak, memoryUsed(alloc));
        soon().until(() -> bystander.roundTrips() >= c2 + 10 || !bystander.failures().isEmpty());
        long c3 = bystander.roundTrips();
        long t3 = System.nanoTime();
        long memAfter = Math.max(peak, memoryUsed(alloc));
        double before = (c1 - c0) / ((t1 - t0) / 1e9);
        double during = (c3 - c2) / ((t3 - t2) / 1e9);
        long delta = memAfter - memBefore;
        System.out.printf("HOSTILE %s bystander before=%.0f/s during=%.0f/s%n", caseName, before, during);
        System.out.printf("HOSTILE %s memory delta=%d bytes%n", caseName, delta);
        assertThat(bystander.failures()).as("%s: bystander failures during the attack", caseName).isEmpty();
        assertThat(c3 - c2).as("%s: bystander round trips during the attack", caseName).isGreaterThanOrEqualTo(10);
        assertThat(delta).as("%s: growth of the server allocator's memory (%s) during the attack", caseName,
                alloc.getClass().getSimpleName()).isLessThanOrEqualTo(MEMORY_BOUND);
    }

    /**
     * Waits for the one WARN line naming the peer on {@code port}, and returns it; checks that it
     * names the connection too (id and address) when {@code connectionId} is not negative.
     */
    static String oneWarnLine(LogCapture logs, int port, long connectionId) {
        String address = "127.0.0.1:" + port;
        soon().until(() -> !logs.at("WARN", address).isEmpty());
        List<String> lines = logs.at("WARN", address);
        assertThat(lines).as("WARN lines naming %s", address).hasSize(1);
        if (connectionId >= 0) assertThat(lines.get(0)).contains("connection " + connectionId + " (" + address + ")");
        return lines.get(0);
    }

    /** Asserts that no WARN line names the peer on {@code port} (the bystander). */
    static void noWarnLine(LogCapture logs, int port) {
        assertThat(logs.at("WARN", "127.0.0.1:" + port + ")")).as("WARN lines naming the bystander").isEmpty();
    }

    static byte[] concat(byte[]... parts) {
        int n = 0;
        for (byte[] p : parts) n += p.length;
        byte[] out = new byte[n];
        int at = 0;
        for (byte[] p : parts) {
            System.arraycopy(p, 0, out, at, p.length);
            at += p.length;
        }
        return out;
    }
}
