package io.paguma.testing;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketClientHandshakeException;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolConfig;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolHandler;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.handler.ssl.SslContext;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.paguma.Codec;
import io.paguma.Codecs;
import io.paguma.Message;

import java.io.EOFException;
import java.io.IOException;
import java.net.URI;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A blocking WebSocket client for tests, built on Netty's own WebSocket client (not Paguma's):
 * each {@link #sendRaw} is one binary frame, and {@link #read} checks that each binary frame the
 * server sends holds exactly one message. Waits time out after 10 s.
 */
public final class WsFrameSocket implements Peer {
    private static final Object CLOSED = new Object();
    /** Test-only IO threads, shared by every socket of the test JVM (daemon threads). */
    private static final EventLoopGroup GROUP = new MultiThreadIoEventLoopGroup(1,
            new DefaultThreadFactory("ws-test-client", true), NioIoHandler.newFactory());

    private final Channel channel;
    private final Codec codec;
    private final BlockingQueue<Object> inbound;
    private volatile int closeStatus = -1;

    private WsFrameSocket(Channel channel, Codec codec, BlockingQueue<Object> inbound) {
        this.channel = channel;
        this.codec = codec;
        this.inbound = inbound;
    }

    /** Connects to {@code ws://127.0.0.1:port/} with the ltv-le codec. */
    public static WsFrameSocket connect(int port) throws IOException {
        return connect(URI.create("ws://127.0.0.1:" + port + "/"), Codecs.LTV_LE, null, null);
    }

    public static WsFrameSocket connect(int port, Codec codec) throws IOException {
        return connect(URI.create("ws://127.0.0.1:" + port + "/"), codec, null, null);
    }

    /**
     * Connects and completes the upgrade.
     *
     * @param ssl     for {@code wss}, else null
     * @param headers extra headers of the upgrade request (an {@code Origin}, say), or null
     * @throws UpgradeRefused if the server answers the upgrade with another status than 101
     */
    public static WsFrameSocket connect(URI uri, Codec codec, SslContext ssl, HttpHeaders headers) throws IOException {
        BlockingQueue<Object> inbound = new LinkedBlockingQueue<>();
        CompletableFuture<Void> upgraded = new CompletableFuture<>();
        WsFrameSocket[] self = new WsFrameSocket[1];
        Bootstrap b = new Bootstrap().group(GROUP).channel(NioSocketChannel.class)
                .option(ChannelOption.TCP_NODELAY, true)
                // Like a blocking socket: the server's FIN ends only its side, this one may still send.
                .option(ChannelOption.ALLOW_HALF_CLOSURE, true)
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        if (ssl != null) ch.pipeline().addLast(ssl.newHandler(ch.alloc(), uri.getHost(), uri.getPort()));
                        ch.pipeline().addLast(new HttpClientCodec(), new HttpObjectAggregator(8192),
                                new WebSocketClientProtocolHandler(WebSocketClientProtocolConfig.newBuilder()
                                        .webSocketUri(uri)
                                        .customHeaders(headers != null ? headers : new DefaultHttpHeaders())
                                        .maxFramePayloadLength(1 << 24)
                                        .handleCloseFrames(false)
                                        .generateOriginHeader(false)
                                        .build()),
                                new SimpleChannelInboundHandler<WebSocketFrame>() {
                                    @Override
                                    protected void channelRead0(ChannelHandlerContext ctx, WebSocketFrame frame) {
                                        if (frame instanceof CloseWebSocketFrame close) {
                                            if (self[0] != null) self[0].closeStatus = close.statusCode();
                                            inbound.add(CLOSED);
                                        } else if (frame instanceof BinaryWebSocketFrame) {
                                            inbound.add(ByteBufUtil.getBytes(frame.content()));
                                        } else {
                                            inbound.add(frame.getClass().getSimpleName());
                                        }
                                    }

                                    @Override
                                    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
                                        if (evt == WebSocketClientProtocolHandler.ClientHandshakeStateEvent.HANDSHAKE_COMPLETE) {
                                            upgraded.complete(null);
                                        }
                                        ctx.fireUserEventTriggered(evt);
                                    }

                                    @Override
                                    public void channelInactive(ChannelHandlerContext ctx) {
                                        upgraded.completeExceptionally(new EOFException("closed during the upgrade"));
                                        inbound.add(CLOSED);
                                    }

                                    @Override
                                    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                                        upgraded.completeExceptionally(cause);
                                        ctx.close();
                                    }
                                });
                    }
                });
        Channel ch;
        try {
            ch = b.connect(uri.getHost(), uri.getPort()).sync().channel();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
        WsFrameSocket s = new WsFrameSocket(ch, codec, inbound);
        self[0] = s;
        try {
            upgraded.get(10, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            ch.close();
            if (e.getCause() instanceof WebSocketClientHandshakeException h && h.response() != null) {
                throw new UpgradeRefused(h.response().status().code(), h.getMessage());
            }
            throw new IOException("WebSocket upgrade failed: " + e.getCause(), e.getCause());
        } catch (InterruptedException | TimeoutException e) {
            ch.close();
            throw new IOException("WebSocket upgrade did not complete: " + e, e);
        }
        return s;
    }

    /** The server answered the upgrade with {@link #status} instead of 101. */
    public static final class UpgradeRefused extends IOException {
        public final int status;

        UpgradeRefused(int status, String message) {
            super(message);
            this.status = status;
        }
    }

    @Override
    public byte[] encode(Message message) {
        ByteBuf b = Unpooled.buffer(codec.frameLength(message));
        try {
            codec.encode(message, b);
            return ByteBufUtil.getBytes(b);
        } finally {
            b.release();
        }
    }

    /** Sends {@code bytes} as one binary frame. */
    @Override
    public void sendRaw(byte[] bytes) throws IOException {
        await(channel.writeAndFlush(new BinaryWebSocketFrame(Unpooled.wrappedBuffer(bytes))));
    }

    /** Sends a text frame (which Paguma refuses). */
    public void sendText(String text) throws IOException {
        await(channel.writeAndFlush(new TextWebSocketFrame(text)));
    }

    /** Sends a Close frame, as a browser's {@code close()} does. */
    public void sendClose() throws IOException {
        await(channel.writeAndFlush(new CloseWebSocketFrame(1000, "bye")));
    }

    private static void await(io.netty.channel.ChannelFuture f) throws IOException {
        if (!f.awaitUninterruptibly(10, TimeUnit.SECONDS)) throw new IOException("write timed out");
        if (!f.isSuccess()) throw new IOException("write failed: " + f.cause(), f.cause());
    }

    /** The body of the next binary frame; fails on close or after 10 s. */
    public byte[] readFrame() throws IOException {
        Object o;
        try {
            o = inbound.poll(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
        if (o == null) throw new IOException("no frame within 10 s");
        if (o == CLOSED) {
            inbound.add(CLOSED);
            throw new EOFException("server closed the connection");
        }
        if (o instanceof String kind) throw new IOException("unexpected " + kind);
        return (byte[]) o;
    }

    /** The next message; its frame must hold exactly that one message. */
    @Override
    public Message read() throws IOException {
        byte[] frame = readFrame();
        ByteBuf b = Unpooled.wrappedBuffer(frame);
        Message m = codec.decode(b, Integer.MAX_VALUE);
        if (m == null || b.isReadable()) {
            throw new AssertionError("a binary frame of " + frame.length + " bytes does not hold exactly one message");
        }
        return m;
    }

    /** True if the server sends its Close frame (or closes the socket) within 10 s with no further message. */
    @Override
    public boolean closedByPeer() throws IOException {
        try {
            Object o = inbound.poll(10, TimeUnit.SECONDS);
            if (o == CLOSED) {
                inbound.add(CLOSED);
                return true;
            }
            if (o != null) inbound.add(o);
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
    }

    /** The status of the server's Close frame, or -1 if none came. */
    public int closeStatus() {
        return closeStatus;
    }

    /** Whether the TCP connection is closed (within 10 s). */
    public boolean socketClosed() {
        return channel.closeFuture().awaitUninterruptibly(10, TimeUnit.SECONDS);
    }

    public Channel channel() {
        return channel;
    }

    @Override
    public void close() {
        channel.close().awaitUninterruptibly(10, TimeUnit.SECONDS);
    }
}
