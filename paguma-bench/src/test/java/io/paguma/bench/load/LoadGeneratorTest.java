package io.paguma.bench.load;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.LengthFieldBasedFrameDecoder;
import io.paguma.PagumaConfig;
import io.paguma.bench.server.BenchTarget;
import io.paguma.bench.server.NettyEchoServer;
import io.paguma.bench.server.PagumaEchoServer;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The load generator against real servers on loopback: counts, checks and failure detection. */
class LoadGeneratorTest {
    private final ByteArrayOutputStream logBytes = new ByteArrayOutputStream();
    private final PrintStream log = new PrintStream(logBytes, true, StandardCharsets.UTF_8);
    private AutoCloseable server;

    @AfterEach
    void stop() throws Exception {
        if (server != null) server.close();
    }

    private static LoadOptions options(int port) {
        LoadOptions o = new LoadOptions();
        o.port = port;
        o.connections = 8;
        o.depth = 4;
        o.payload = 64;
        o.warmupSeconds = 0.2;
        o.durationSeconds = 0.8;
        o.drainSeconds = 5;
        o.ioThreads = 1;
        o.progress = false;
        return o;
    }

    private LoadResult run(LoadOptions o) throws InterruptedException {
        return new LoadGenerator(o, log).run();
    }

    @Test
    void closedLoopAgainstTheBaselineHasNoFailures() throws Exception {
        BenchTarget t = new NettyEchoServer("127.0.0.1", 0, 1, 65536);
        server = t;
        LoadResult r = run(options(t.port()));
        assertThat(r.failures()).as(logBytes.toString()).isZero();
        assertThat(r.messages()).isPositive();
        assertThat(r.latencyMicros().count()).isPositive();
        assertThat(r.latencyMicros().p99()).isGreaterThanOrEqualTo(r.latencyMicros().p50()).isPositive();
        assertThat(r.msgsPerSec()).isPositive();
    }

    @Test
    void closedLoopAgainstPagumaWithEachPoolShapeHasNoFailures() throws Exception {
        for (int pool : new int[] {0, 2}) {
            PagumaEchoServer p = new PagumaEchoServer(PagumaConfig.builder().host("127.0.0.1").port(0)
                    .workerPoolSize(pool).ioThreads(1).build());
            try {
                for (int payload : new int[] {0, 5, 4096}) {
                    LoadOptions o = options(p.port());
                    o.payload = payload;
                    LoadResult r = run(o);
                    assertThat(r.failures()).as("pool %d payload %d: %s", pool, payload, logBytes).isZero();
                    assertThat(r.messages()).isPositive();
                }
            } finally {
                p.close();
            }
        }
    }

    @Test
    void countModeMeasuresExactlyTheRequestedNumberPerConnection() throws Exception {
        BenchTarget t = new NettyEchoServer("127.0.0.1", 0, 1, 65536);
        server = t;
        LoadOptions o = options(t.port());
        o.warmupSeconds = 0;
        o.count = 8 * 500;
        o.durationSeconds = 0;
        LoadResult r = run(o);
        assertThat(r.failures()).isZero();
        assertThat(r.messages()).isEqualTo(4000);
    }

    @Test
    void aCorruptedReplyIsAMismatch() throws Exception {
        AtomicInteger frames = new AtomicInteger();
        server = new TamperingServer(() -> new ChannelInboundHandlerAdapter() {
            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                ByteBuf frame = (ByteBuf) msg;
                if (frames.incrementAndGet() % 50 == 0) {
                    int at = frame.readerIndex() + 8 + 20;
                    frame.setByte(at, frame.getByte(at) ^ 0x01);
                }
                ctx.writeAndFlush(frame);
            }
        });
        LoadResult r = run(options(((TamperingServer) server).port()));
        assertThat(r.mismatches()).isPositive();
        assertThat(logBytes.toString()).contains("MISMATCH").contains("payload differs");
    }

    @Test
    void aReplyOnAnotherIdIsAMismatch() throws Exception {
        server = new TamperingServer(() -> new ChannelInboundHandlerAdapter() {
            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                ByteBuf frame = (ByteBuf) msg;
                frame.setIntLE(frame.readerIndex() + 4, 2);
                ctx.writeAndFlush(frame);
            }
        });
        LoadResult r = run(options(((TamperingServer) server).port()));
        assertThat(r.mismatches()).isPositive();
        assertThat(logBytes.toString()).contains("reply id 2, expected 1");
    }

    @Test
    void aDroppedReplyIsCountedAsUnanswered() throws Exception {
        AtomicInteger frames = new AtomicInteger();
        server = new TamperingServer(() -> new ChannelInboundHandlerAdapter() {
            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                if (frames.incrementAndGet() == 100) {
                    ((ByteBuf) msg).release();
                    return;
                }
                ctx.writeAndFlush(msg);
            }
        });
        LoadOptions o = options(((TamperingServer) server).port());
        o.drainSeconds = 0.5;
        LoadResult r = run(o);
        assertThat(r.unanswered()).isEqualTo(1);
        // Replies are matched in order, so every later reply on that connection is off by one.
        assertThat(r.mismatches()).isPositive();
        assertThat(r.failures()).isEqualTo(1 + r.mismatches());
    }

    @Test
    void openLoopSendsAtTheRequestedRate() throws Exception {
        BenchTarget t = new NettyEchoServer("127.0.0.1", 0, 1, 65536);
        server = t;
        LoadOptions o = options(t.port());
        o.rate = 4000;
        o.durationSeconds = 1;
        LoadResult r = run(o);
        assertThat(r.failures()).isZero();
        // The pacer catches up after any stall, so the count follows the rate closely.
        assertThat(r.messages()).isBetween(3000L, 5000L);
    }

    @Test
    void c10kScenarioReconnectsAndSendsTwoFramesAtOnceWithoutFailures() throws Exception {
        PagumaEchoServer p = new PagumaEchoServer(PagumaConfig.builder().host("127.0.0.1").port(0).build());
        server = p;
        LoadOptions o = options(p.port());
        o.scenario = LoadOptions.Scenario.C10K;
        o.connections = 200;
        o.maxPauseMillis = 20;
        o.reconnectRatio = 0.2;
        o.doubleFrameRatio = 0.3;
        o.durationSeconds = 2;
        LoadResult r = run(o);
        assertThat(r.failures()).as(logBytes.toString()).isZero();
        assertThat(r.reconnects()).isPositive();
        assertThat(r.doubleFrameWrites()).isPositive();
        assertThat(r.messages()).isPositive();
    }

    @Test
    void aServerThatClosesConnectionsIsReportedAsErrors() throws Exception {
        AtomicInteger frames = new AtomicInteger();
        server = new TamperingServer(() -> new ChannelInboundHandlerAdapter() {
            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                ((ByteBuf) msg).release();
                if (frames.incrementAndGet() == 10) ctx.close();
            }
        });
        LoadOptions o = options(((TamperingServer) server).port());
        o.drainSeconds = 0.3;
        LoadResult r = run(o);
        assertThat(r.errors()).isPositive();
        assertThat(logBytes.toString()).contains("closed by the server");
    }

    /** An ltv-le server whose per-frame behaviour the test chooses. */
    private static final class TamperingServer implements AutoCloseable {
        private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        private final Channel channel;

        TamperingServer(Supplier<ChannelHandler> handler) {
            channel = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                    .childHandler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            ch.pipeline().addLast(new LengthFieldBasedFrameDecoder(ByteOrder.LITTLE_ENDIAN, 1 << 20, 0, 4, 4, 0, true),
                                    handler.get());
                        }
                    })
                    .bind("127.0.0.1", 0).syncUninterruptibly().channel();
        }

        int port() {
            return ((InetSocketAddress) channel.localAddress()).getPort();
        }

        @Override
        public void close() {
            channel.close().syncUninterruptibly();
            group.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS).syncUninterruptibly();
        }
    }
}
