package io.paguma.internal;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.ChannelPromise;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolConfig;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolHandler;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrameAggregator;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolConfig;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler;
import io.netty.handler.codec.http.websocketx.WebSocketVersion;
import io.netty.util.AttributeKey;
import io.paguma.FrameException;
import io.paguma.Message;
import io.paguma.PagumaConfig;
import io.paguma.WebSocketAuth;
import io.paguma.WebSocketUpgrade;

import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The WebSocket side of the transport seam (B4): the handlers that turn a channel into one that
 * carries Paguma messages in WebSocket binary frames. Each message goes out as one binary frame
 * whose body is the codec's frame, so message ids and sequence ids are the same as over TCP.
 * Inbound, each binary WebSocket message must hold whole codec frames (normally one); the
 * {@link ConnectionHandler} behind these handlers sees their bodies as it sees TCP bytes and
 * only opens the connection once the upgrade is done.
 *
 * <p>Server pipeline: [tls] http codec → aggregator (the upgrade request only) → upgrade check
 * (path, origin, {@link WebSocketAuth}) → Netty's protocol handler (handshake, pings, frame
 * limits) → frame aggregator (fragmented messages) → unwrap (frame → bytes) → wrap (bytes →
 * frame) → Paguma's encoder and connection handler. The client's is the same with Netty's
 * client protocol handler and no check.
 */
public final class WebSockets {
    /** Properties a {@link WebSocketAuth} set, for the connection that the upgrade opens. */
    static final AttributeKey<Map<String, Object>> UPGRADE_PROPERTIES = AttributeKey.valueOf("paguma.upgradeProperties");

    /** The upgrade request is a GET without a body: its head and any body are held to this. */
    private static final int MAX_UPGRADE_REQUEST = 8192;

    /** At most this many fragments (continuation frames) make up one message; more is bad input. */
    static final int MAX_FRAGMENTS = 1024;

    /** The stages a refused upgrade keeps: TLS, and Paguma's own (which discards what still comes in). */
    private static final java.util.Set<String> KEPT = java.util.Set.of("tls", "encoder", "handler");

    private WebSockets() {
    }

    /** The largest WebSocket message accepted: one frame of the codec with the largest payload. */
    static int maxMessageSize(EndpointContext ctx) {
        long header;
        try {
            // One byte of payload (some codecs refuse empty messages: tron) and a time limit, as a
            // request carries one (paguma's header is 4 bytes longer then).
            header = ctx.codec.frameLength(new Message(0, 0, 0, 1, new byte[1])) - 1;
        } catch (RuntimeException cannotSay) {
            // A codec that cannot frame that message: room for a generous header.
            header = 64;
        }
        return (int) Math.min(Integer.MAX_VALUE - 8, header + ctx.config.maxPacketSize());
    }

    /** Adds the server's WebSocket handlers to a new channel, in front of Paguma's own. */
    static void serverPipeline(Channel ch, EndpointContext ctx, WebSocketAuth auth) {
        PagumaConfig c = ctx.config;
        int max = maxMessageSize(ctx);
        ChannelPipeline p = ch.pipeline();
        p.addLast("ws-read-hold", new ReadHold());
        p.addLast("http", new HttpServerCodec(4096, MAX_UPGRADE_REQUEST, MAX_UPGRADE_REQUEST));
        p.addLast("upgrade-aggregator", new UpgradeAggregator(ctx));
        p.addLast("upgrade-check", new UpgradeCheck(ctx, auth));
        p.addLast("ws-protocol", new WebSocketServerProtocolHandler(WebSocketServerProtocolConfig.newBuilder()
                .websocketPath(c.wsPath())
                // The path itself was checked exactly by upgrade-check; this lets a query string through.
                .checkStartsWith(true)
                .handshakeTimeoutMillis(c.wsHandshakeTimeout().toMillis())
                .maxFramePayloadLength(max)
                .allowExtensions(false)
                // A peer's Close frame is its FIN: its requests still get their replies (ConnectionHandler).
                .handleCloseFrames(false)
                // Paguma writes its own Close frame (ChannelConnection): Netty must not add one on close.
                .sendCloseFrame(null)
                .dropPongFrames(true)
                .build()));
        p.addLast("ws-fragments", new FragmentLimit());
        p.addLast("ws-aggregator", new WebSocketFrameAggregator(max));
        p.addLast("ws-unwrap", Unwrap.INSTANCE);
        p.addLast("ws-wrap", Wrap.INSTANCE);
    }

    /** Adds a client's WebSocket handlers: the upgrade to {@code uri} starts when the channel is active. */
    static void clientPipeline(Channel ch, EndpointContext ctx, URI uri) {
        int max = maxMessageSize(ctx);
        ChannelPipeline p = ch.pipeline();
        p.addLast("ws-read-hold", new ReadHold());
        p.addLast("http", new HttpClientCodec());
        p.addLast("upgrade-aggregator", new HttpObjectAggregator(MAX_UPGRADE_REQUEST));
        p.addLast("ws-protocol", new WebSocketClientProtocolHandler(WebSocketClientProtocolConfig.newBuilder()
                .webSocketUri(uri)
                .version(WebSocketVersion.V13)
                .allowExtensions(false)
                .maxFramePayloadLength(max)
                .handleCloseFrames(false)
                .sendCloseFrame(null)
                .dropPongFrames(true)
                .handshakeTimeoutMillis(ctx.config.wsHandshakeTimeout().toMillis())
                // Not a browser: an Origin header would only meet a server's wsOrigins check.
                .generateOriginHeader(false)
                .build()));
        p.addLast("ws-fragments", new FragmentLimit());
        p.addLast("ws-aggregator", new WebSocketFrameAggregator(max));
        p.addLast("ws-unwrap", Unwrap.INSTANCE);
        p.addLast("ws-wrap", Wrap.INSTANCE);
    }

    /** The address a client dials: {@code ws://host:wsPort/wsPath[?query]}, {@code wss://} with TLS; query may be null. */
    public static URI clientUri(PagumaConfig c, String host, String rawQuery) {
        String h = host.indexOf(':') >= 0 ? "[" + host + "]" : host;
        return URI.create((c.tls() ? "wss://" : "ws://") + h + ":" + c.wsPort() + c.wsPath()
                + (rawQuery == null || rawQuery.isEmpty() ? "" : "?" + rawQuery));
    }

    /**
     * Answers a connection that is not (yet) a WebSocket with a plain HTTP response and closes it.
     * The HTTP and WebSocket handlers are removed first, so what the peer still sends reaches the
     * connection handler, which discards it. On the IO thread.
     */
    static void refuse(Channel ch, EndpointContext ctx, int status, String reason) {
        ChannelPipeline p = ch.pipeline();
        // Every HTTP and WebSocket stage, including those Netty's protocol handler added itself; from
        // the tail end, so that what the HTTP decoder still holds (a pipelined second request) goes,
        // when it is removed last, straight to the connection handler, which discards it.
        java.util.List<String> names = new java.util.ArrayList<>(p.names());
        java.util.Collections.reverse(names);
        for (String name : names) {
            if (!KEPT.contains(name) && p.context(name) != null) p.remove(name);
        }
        byte[] body = (reason + "\n").getBytes(StandardCharsets.UTF_8);
        String head = "HTTP/1.1 " + status + " " + reason + "\r\n"
                + "Content-Type: text/plain; charset=utf-8\r\n"
                + "Content-Length: " + body.length + "\r\n"
                + "Connection: close\r\n\r\n";
        ByteBuf response = Unpooled.wrappedBuffer(head.getBytes(StandardCharsets.US_ASCII), body);
        ChannelFuture sent = ch.writeAndFlush(response);
        GracefulClose.close(ch, sent, ctx.config.closeLinger(), ctx.config.closeLinger());
    }

    /** On the IO thread, when a WebSocket connection closes gracefully: the Close frame, flushed. Null if not one. */
    static ChannelFuture sendClose(Channel ch) {
        if (ch.pipeline().get("ws-wrap") == null) return null;
        return ch.writeAndFlush(new CloseWebSocketFrame(WebSocketCloseStatus.NORMAL_CLOSURE));
    }

    /** Whether {@code ch} carries WebSocket frames. */
    static boolean isWebSocket(Channel ch) {
        return ch.pipeline().get("ws-wrap") != null;
    }

    /**
     * On the IO thread: holds reading while the connection's reading is paused (backpressure):
     * Netty's WebSocket and HTTP stages ask for a read of their own after a ping, a pong or a
     * partial frame, which over TCP alone never happens. First in the pipeline after TLS, it keeps
     * those reads until reading may go on again.
     */
    static final class ReadHold extends io.netty.channel.ChannelDuplexHandler {
        private boolean held;
        private boolean readWanted;
        private ChannelHandlerContext ctx;

        @Override
        public void handlerAdded(ChannelHandlerContext ctx) {
            this.ctx = ctx;
        }

        @Override
        public void read(ChannelHandlerContext ctx) {
            if (held) {
                readWanted = true;
            } else {
                ctx.read();
            }
        }

        /** Set by the connection handler with autoRead: true holds reads, false lets them (and one held) go. */
        void hold(boolean hold) {
            held = hold;
            if (!hold && readWanted && ctx != null) {
                readWanted = false;
                ctx.read();
            }
        }
    }

    /** The read hold of a WebSocket channel, or null for TCP. */
    static ReadHold readHold(Channel ch) {
        return ch.pipeline().get(ReadHold.class);
    }

    /** The upgrade request is held to {@link #MAX_UPGRADE_REQUEST}; a larger one is refused (413) and closed. */
    private static final class UpgradeAggregator extends HttpObjectAggregator {
        private final EndpointContext ctx;

        UpgradeAggregator(EndpointContext ctx) {
            super(MAX_UPGRADE_REQUEST);
            this.ctx = ctx;
        }

        @Override
        protected void handleOversizedMessage(ChannelHandlerContext hc, io.netty.handler.codec.http.HttpMessage oversized) {
            io.netty.util.ReferenceCountUtil.release(oversized);
            InetSocketAddress remote = (InetSocketAddress) hc.channel().remoteAddress();
            refuseUpgrade(ctx, hc.channel(), remote, 413, "Content Too Large",
                    "an upgrade request larger than " + MAX_UPGRADE_REQUEST + " bytes");
        }
    }

    /** More than {@link #MAX_FRAGMENTS} fragments in one message: each costs work, the message is refused. */
    private static final class FragmentLimit extends ChannelInboundHandlerAdapter {
        private int fragments;

        @Override
        public void channelRead(ChannelHandlerContext hc, Object msg) {
            if (msg instanceof io.netty.handler.codec.http.websocketx.ContinuationWebSocketFrame) {
                if (++fragments > MAX_FRAGMENTS) {
                    io.netty.util.ReferenceCountUtil.release(msg);
                    hc.fireExceptionCaught(new FrameException("a WebSocket message in more than " + MAX_FRAGMENTS
                            + " fragments"));
                    return;
                }
            } else if (msg instanceof WebSocketFrame f && (f instanceof BinaryWebSocketFrame
                    || f instanceof io.netty.handler.codec.http.websocketx.TextWebSocketFrame)) {
                fragments = f.isFinalFragment() ? 0 : 1;
            }
            hc.fireChannelRead(msg);
        }
    }

    /** Logs, counts and answers a refused upgrade in plain HTTP, then closes. */
    static void refuseUpgrade(EndpointContext ctx, Channel ch, InetSocketAddress remote, int status, String reason, String why) {
        String line = "refused WebSocket upgrade from " + ChannelConnection.format(remote) + ": " + why;
        ctx.refuseLog.warn(line, null);
        ctx.events.refused(remote, "WebSocket upgrade: " + why);
        ConnectionHandler h = ch.pipeline().get(ConnectionHandler.class);
        if (h != null) h.upgradeRefused();
        refuse(ch, ctx, status, reason);
    }

    /**
     * The server's checks of an upgrade request, before Netty's handshake answers it: the path,
     * the browser's origin, then the {@link WebSocketAuth}. A refusal is a plain HTTP response
     * and counts as a refused connection. Removes itself once the request passed.
     */
    private static final class UpgradeCheck extends ChannelInboundHandlerAdapter {
        private final EndpointContext ctx;
        private final WebSocketAuth auth;
        /** A request has passed: the one upgrade this connection may ask for. */
        private boolean checked;

        UpgradeCheck(EndpointContext ctx, WebSocketAuth auth) {
            this.ctx = ctx;
            this.auth = auth;
        }

        @Override
        public void channelRead(ChannelHandlerContext hc, Object msg) {
            if (!(msg instanceof FullHttpRequest request)) {
                hc.fireChannelRead(msg);
                return;
            }
            Channel ch = hc.channel();
            if (!ch.isActive()) {
                // The channel closed (wsHandshakeTimeout, or the peer left) with a request half read:
                // Netty's decoder hands it on as malformed; it was dealt with already, not refused twice.
                request.release();
                return;
            }
            InetSocketAddress remote = (InetSocketAddress) ch.remoteAddress();
            boolean passed = false;
            try {
                String why = problem(request);
                if (why != null) {
                    int status = why.startsWith("version") ? 426 : why.startsWith("path") ? 404 : 400;
                    String reason = status == 426 ? "Upgrade Required" : status == 404 ? "Not Found" : "Bad Request";
                    refuseUpgrade(ctx, ch, remote, status, reason, why);
                    return;
                }
                String origin = request.headers().get(HttpHeaderNames.ORIGIN);
                List<String> allowed = ctx.config.wsOrigins();
                if (origin != null && !allowed.isEmpty() && !allowed.contains(origin)) {
                    refuseUpgrade(ctx, ch, remote, 403, "Forbidden", "origin " + origin + " is not in wsOrigins");
                    return;
                }
                if (auth != null) {
                    QueryStringDecoder query = new QueryStringDecoder(request.uri());
                    Upgrade upgrade = new Upgrade(request, query, remote);
                    try {
                        auth.check(upgrade);
                    } catch (Exception refused) {
                        refuseUpgrade(ctx, ch, remote, 403, "Forbidden", "refused by webSocketAuth: " + refused.getMessage());
                        return;
                    }
                    if (upgrade.properties != null) ch.attr(UPGRADE_PROPERTIES).set(upgrade.properties);
                }
                passed = true;
                // One upgrade request per connection: whatever comes after it is refused (it stays here
                // until the upgrade is done; see ConnectionHandler.upgraded).
                checked = true;
            } finally {
                if (!passed) request.release();
            }
            hc.fireChannelRead(request);
        }

        /** What is wrong with this upgrade request, or null. The path is compared raw, as Netty's handshake does. */
        private String problem(FullHttpRequest request) {
            if (checked) return "a second request on a connection that already asked for its upgrade";
            if (!request.decoderResult().isSuccess()) return "a malformed HTTP request";
            if (!io.netty.handler.codec.http.HttpMethod.GET.equals(request.method())) {
                return "method " + request.method() + " (an upgrade is a GET)";
            }
            String uri = request.uri();
            int q = uri.indexOf('?');
            String path = q < 0 ? uri : uri.substring(0, q);
            if (!path.equals(ctx.config.wsPath())) {
                return "path " + path + " (wsPath is " + ctx.config.wsPath() + ")";
            }
            if (!request.headers().containsValue(HttpHeaderNames.UPGRADE, "websocket", true)) {
                return "a request without Upgrade: websocket";
            }
            String version = request.headers().get(io.netty.handler.codec.http.HttpHeaderNames.SEC_WEBSOCKET_VERSION);
            if (!"13".equals(version)) return "version " + version + " (only 13, RFC 6455)";
            if (request.content().isReadable()) return "an upgrade request with a body";
            return null;
        }

    }

    /** What {@link WebSocketAuth} sees of one upgrade request. */
    private static final class Upgrade implements WebSocketUpgrade {
        private final FullHttpRequest request;
        private final QueryStringDecoder query;
        private final InetSocketAddress remote;
        Map<String, Object> properties;

        Upgrade(FullHttpRequest request, QueryStringDecoder query, InetSocketAddress remote) {
            this.request = request;
            this.query = query;
            this.remote = remote;
        }

        @Override
        public String uri() {
            return request.uri();
        }

        @Override
        public String path() {
            return query.path();
        }

        @Override
        public String query(String name) {
            List<String> values = query.parameters().get(name);
            return values == null || values.isEmpty() ? null : values.get(0);
        }

        @Override
        public String header(String name) {
            return request.headers().get(name);
        }

        @Override
        public List<String> headers(String name) {
            return request.headers().getAll(name);
        }

        @Override
        public InetSocketAddress remoteAddress() {
            return remote;
        }

        @Override
        public void property(String key, Object value) {
            if (key == null) throw new NullPointerException("key");
            if (value == null) throw new NullPointerException("value");
            if (properties == null) properties = new HashMap<>();
            properties.put(key, value);
        }
    }

    /**
     * Inbound: a binary message's body goes on as bytes; a text message is bad input (Paguma
     * speaks binary frames only); a Close frame ends the peer's side like a FIN.
     */
    @Sharable
    private static final class Unwrap extends ChannelInboundHandlerAdapter {
        static final Unwrap INSTANCE = new Unwrap();

        @Override
        public void channelRead(ChannelHandlerContext hc, Object msg) {
            if (msg instanceof BinaryWebSocketFrame frame) {
                hc.fireChannelRead(frame.content());
            } else if (msg instanceof CloseWebSocketFrame close) {
                close.release();
                hc.fireUserEventTriggered(ChannelInputShutdownEvent.INSTANCE);
            } else if (msg instanceof WebSocketFrame other) {
                String kind = other.getClass().getSimpleName().replace("WebSocketFrame", "").toLowerCase(java.util.Locale.ROOT);
                other.release();
                hc.fireExceptionCaught(new FrameException("a WebSocket " + kind
                        + " frame (Paguma messages travel in binary frames only)"));
            } else {
                hc.fireChannelRead(msg);
            }
        }
    }

    /** Outbound: each buffer of codec frame bytes goes out as one binary frame. */
    @Sharable
    private static final class Wrap extends ChannelOutboundHandlerAdapter {
        static final Wrap INSTANCE = new Wrap();

        @Override
        public void write(ChannelHandlerContext hc, Object msg, ChannelPromise promise) {
            // An empty buffer is only a flush marker (GracefulClose): not a message.
            if (msg instanceof ByteBuf b && b.isReadable()) {
                hc.write(new BinaryWebSocketFrame(b), promise);
            } else {
                hc.write(msg, promise);
            }
        }
    }
}
