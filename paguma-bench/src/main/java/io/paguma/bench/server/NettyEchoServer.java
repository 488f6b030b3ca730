package io.paguma.bench.server;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.LengthFieldBasedFrameDecoder;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.net.InetSocketAddress;
import java.nio.ByteOrder;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The baseline: the fastest simple raw-Netty echo server for {@code ltv-le} frames that we know
 * how to write. {@link LengthFieldBasedFrameDecoder} cuts frames as retained slices of the read
 * buffer (no copy), the handler writes each frame back as it is (one write per message, no
 * promise object) and flushes once per read burst. Same transport choice as Paguma's default
 * (epoll where available), same thread count as Paguma's default IO threads.
 */
public final class NettyEchoServer implements BenchTarget {
    private final EventLoopGroup boss;
    private final EventLoopGroup io;
    private final Channel server;
    private final AtomicInteger connections = new AtomicInteger();
    private final String transport;
    private final int ioThreads;

    public NettyEchoServer(String host, int port, int ioThreads, int maxFrame) {
        boolean epoll = Epoll.isAvailable();
        transport = epoll ? "epoll" : "nio";
        this.ioThreads = ioThreads;
        IoHandlerFactory factory = epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
        boss = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("netty-boss"), factory);
        io = new MultiThreadIoEventLoopGroup(ioThreads, new DefaultThreadFactory("netty-io"), factory);
        EchoHandler echo = new EchoHandler();
        ChannelHandler counter = new Counter(connections);
        server = new ServerBootstrap()
                .group(boss, io)
                .channel(epoll ? EpollServerSocketChannel.class : NioServerSocketChannel.class)
                .option(ChannelOption.SO_BACKLOG, 4096)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(counter,
                                new LengthFieldBasedFrameDecoder(ByteOrder.LITTLE_ENDIAN, maxFrame + 8, 0, 4, 4, 0, true),
                                echo);
                    }
                })
                .bind(host, port).syncUninterruptibly().channel();
    }

    @Override
    public int port() {
        return ((InetSocketAddress) server.localAddress()).getPort();
    }

    @Override
    public int connections() {
        return connections.get();
    }

    @Override
    public String describe() {
        return "raw Netty baseline (" + transport + ", " + ioThreads + " IO thread(s))";
    }

    @Override
    public void close() {
        server.close().syncUninterruptibly();
        boss.shutdownGracefully(0, 2, TimeUnit.SECONDS);
        io.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    }

    @ChannelHandler.Sharable
    private static final class EchoHandler extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ctx.write(msg, ctx.voidPromise());
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            ctx.flush();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }

    @ChannelHandler.Sharable
    private static final class Counter extends ChannelInboundHandlerAdapter {
        private final AtomicInteger connections;

        Counter(AtomicInteger connections) {
            this.connections = connections;
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            connections.incrementAndGet();
            ctx.fireChannelActive();
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            connections.decrementAndGet();
            ctx.fireChannelInactive();
        }
    }
}
