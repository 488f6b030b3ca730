package io.paguma.admin;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.util.AttributeKey;
import io.netty.util.concurrent.ScheduledFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The admin port's requests. On the IO thread only what is cheap: the request is checked (GET or
 * HEAD, a decodable path, the token for data) and the page's files, read from the jar once, are
 * served; the data ({@code /metrics}, {@code /api/...}, {@code /healthz}) is made on the admin's
 * own thread, so a scrape never holds up the game servers that share the IO threads. One request
 * at a time per connection: reading pauses until its response is written, and a request that
 * comes meanwhile (pipelining) closes the connection; a connection must send a whole request
 * within 10 s of connecting or of its last response (idle or slowloris: closed).
 */
@ChannelHandler.Sharable
final class AdminHttp extends SimpleChannelInboundHandler<FullHttpRequest> {
    private static final Logger log = LoggerFactory.getLogger(AdminHttp.class);
    private static final String PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";
    private static final String TEXT = "text/plain; charset=utf-8";
    /** The page's files, the only ones served. */
    static final List<String> FILES = List.of("index.html", "status.js", "status.css", "chat.html", "chat.js", "paguma.js");
    static final long REQUEST_WITHIN_MILLIS = 10_000;
    private static final AttributeKey<Boolean> BUSY = AttributeKey.valueOf("paguma.admin.busy");
    private static final AttributeKey<ScheduledFuture<?>> DEADLINE = AttributeKey.valueOf("paguma.admin.deadline");

    private final Admin admin;
    private final Map<String, byte[]> files = new HashMap<>();

    AdminHttp(Admin admin) {
        this.admin = admin;
        for (String name : FILES) files.put(name, load(name));
    }

    private static byte[] load(String name) {
        try (InputStream in = AdminHttp.class.getResourceAsStream("web/" + name)) {
            if (in == null) throw new IllegalStateException("paguma-admin's jar lacks web/" + name);
            return in.readAllBytes();
        } catch (IOException e) {
            throw new IllegalStateException("cannot read web/" + name + " from paguma-admin's jar", e);
        }
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        expectRequest(ctx);
        super.channelActive(ctx);
    }

    /** From now, a whole request must come within 10 s. */
    private static void expectRequest(ChannelHandlerContext ctx) {
        ScheduledFuture<?> t = ctx.executor().schedule(() -> {
            ctx.close();
        }, REQUEST_WITHIN_MILLIS, TimeUnit.MILLISECONDS);
        ScheduledFuture<?> old = ctx.channel().attr(DEADLINE).getAndSet(t);
        if (old != null) old.cancel(false);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        ScheduledFuture<?> t = ctx.channel().attr(DEADLINE).getAndSet(null);
        if (t != null) t.cancel(false);
        super.channelInactive(ctx);
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
        if (Boolean.TRUE.equals(ctx.channel().attr(BUSY).get())) {
            ctx.close();   // pipelined: one request at a time, and this client did not wait for the answer
            return;
        }
        ScheduledFuture<?> t = ctx.channel().attr(DEADLINE).getAndSet(null);
        if (t != null) t.cancel(false);
        ctx.channel().attr(BUSY).set(true);
        ctx.channel().config().setAutoRead(false);
        boolean head = req.method() == HttpMethod.HEAD;
        boolean keepAlive = HttpUtil.isKeepAlive(req);
        if (!req.decoderResult().isSuccess()) {
            respond(ctx, head, false, HttpResponseStatus.BAD_REQUEST, TEXT, text("bad request\n"));
            return;
        }
        if (req.method() != HttpMethod.GET && !head) {
            respond(ctx, head, false, HttpResponseStatus.METHOD_NOT_ALLOWED, TEXT, text("GET only\n"));
            return;
        }
        String path;
        String token;
        Map<String, List<String>> params;
        try {
            QueryStringDecoder q = new QueryStringDecoder(req.uri());
            path = q.path();
            params = q.parameters();
            token = first(params, "token");
        } catch (IllegalArgumentException malformed) {
            respond(ctx, head, false, HttpResponseStatus.BAD_REQUEST, TEXT, text("malformed URI\n"));
            return;
        }
        // The page's files hold no data: served to anyone who can reach the port, so that a page
        // opened with ?token= loads its scripts; its data calls carry the token.
        String name = path.equals("/") ? "index.html" : path.startsWith("/") ? path.substring(1) : path;
        byte[] file = files.get(name);
        if (file != null) {
            respond(ctx, head, keepAlive, HttpResponseStatus.OK, type(name), Unpooled.wrappedBuffer(file));
            return;
        }
        String auth = req.headers().get(HttpHeaderNames.AUTHORIZATION);
        String bearer = auth != null && auth.regionMatches(true, 0, "Bearer ", 0, 7) ? auth.substring(7).trim() : null;
        if (!admin.authorized(bearer, token)) {
            respond(ctx, head, false, HttpResponseStatus.UNAUTHORIZED, TEXT,
                    text("admin.token required: header 'Authorization: Bearer <token>' or ?token=<token>\n"));
            return;
        }
        Runnable work = switch (path) {
            case "/metrics" -> () -> respond(ctx, head, keepAlive, HttpResponseStatus.OK, PROMETHEUS_TEXT, text(admin.scrape()));
            case "/healthz" -> () -> {
                ObjectNode out = admin.json().createObjectNode();
                boolean up = admin.healthy(out);
                respond(ctx, head, keepAlive, up ? HttpResponseStatus.OK : HttpResponseStatus.SERVICE_UNAVAILABLE, "application/json", json(out));
            };
            case "/api/stats" -> () -> respond(ctx, head, keepAlive, HttpResponseStatus.OK, "application/json", json(admin.stats()));
            case "/api/connections" -> () -> {
                int page = Math.max(0, number(first(params, "page"), 0));
                int size = Math.max(1, Math.min(1000, number(first(params, "size"), 50)));
                respond(ctx, head, keepAlive, HttpResponseStatus.OK, "application/json", json(admin.connections(first(params, "server"), page, size)));
            };
            default -> null;
        };
        if (work == null) {
            respond(ctx, head, keepAlive, HttpResponseStatus.NOT_FOUND, TEXT, text("not found\n"));
            return;
        }
        boolean taken = admin.offer(() -> {
            try {
                work.run();
            } catch (RuntimeException e) {
                log.warn("admin endpoint: GET {} failed: {}", path, e.toString());
                respond(ctx, head, false, HttpResponseStatus.INTERNAL_SERVER_ERROR, TEXT, text("failed (see the server's log)\n"));
            }
        });
        if (!taken) respond(ctx, head, false, HttpResponseStatus.SERVICE_UNAVAILABLE, TEXT, text("busy: try again\n"));
    }

    private ByteBuf json(ObjectNode o) {
        try {
            return Unpooled.wrappedBuffer(admin.json().writeValueAsBytes(o));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static ByteBuf text(String s) {
        return Unpooled.wrappedBuffer(s.getBytes(StandardCharsets.UTF_8));
    }

    private static String first(Map<String, List<String>> params, String name) {
        List<String> v = params.get(name);
        return v == null || v.isEmpty() ? null : v.get(0);
    }

    private static int number(String s, int otherwise) {
        if (s == null) return otherwise;
        try {
            return Integer.parseInt(s);
        } catch (NumberFormatException e) {
            return otherwise;
        }
    }

    private static String type(String name) {
        if (name.endsWith(".html")) return "text/html; charset=utf-8";
        if (name.endsWith(".js")) return "text/javascript; charset=utf-8";
        if (name.endsWith(".css")) return "text/css; charset=utf-8";
        return "application/octet-stream";
    }

    /** Writes the response (from any thread); then reads the next request, or closes. */
    private static void respond(ChannelHandlerContext ctx, boolean head, boolean keepAlive, HttpResponseStatus status, String type, ByteBuf body) {
        FullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, head ? Unpooled.EMPTY_BUFFER : body);
        res.headers().set(HttpHeaderNames.CONTENT_TYPE, type)
                .setInt(HttpHeaderNames.CONTENT_LENGTH, body.readableBytes())
                .set(HttpHeaderNames.CACHE_CONTROL, "no-store")
                .set("X-Content-Type-Options", "nosniff");
        if (head) body.release();
        boolean keep = keepAlive && status.code() < 400;
        res.headers().set(HttpHeaderNames.CONNECTION, keep ? HttpHeaderValues.KEEP_ALIVE : HttpHeaderValues.CLOSE);
        ctx.writeAndFlush(res).addListener((ChannelFutureListener) f -> {
            if (!keep || !f.isSuccess()) {
                f.channel().close();
                return;
            }
            f.channel().attr(BUSY).set(false);
            expectRequest(ctx);
            f.channel().config().setAutoRead(true);
        });
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        log.debug("admin endpoint: connection {} failed: {}", ctx.channel().remoteAddress(), cause.toString());
        ctx.close();
    }
}
