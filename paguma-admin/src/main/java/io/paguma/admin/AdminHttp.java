package io.paguma.admin;

import com.fasterxml.jackson.core.JsonProcessingException;
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
import io.netty.handler.timeout.IdleStateEvent;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * The admin port's requests, on its IO threads: GET only; the token checked first when one is
 * set; {@code /metrics}, {@code /healthz}, {@code /api/stats}, {@code /api/connections}, and the
 * status page's files from the jar ({@code io/paguma/admin/web/}).
 */
@ChannelHandler.Sharable
final class AdminHttp extends SimpleChannelInboundHandler<FullHttpRequest> {
    private static final Logger log = LoggerFactory.getLogger(AdminHttp.class);
    private static final Pattern FILE = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]*");
    private static final String PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";

    private final Admin admin;
    /** The page's files, read once from the jar. */
    private final Map<String, byte[]> files = new ConcurrentHashMap<>();

    AdminHttp(Admin admin) {
        this.admin = admin;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
        if (!req.decoderResult().isSuccess()) {
            send(ctx, req, HttpResponseStatus.BAD_REQUEST, "text/plain; charset=utf-8", "bad request\n", false);
            return;
        }
        if (req.method() != HttpMethod.GET && req.method() != HttpMethod.HEAD) {
            send(ctx, req, HttpResponseStatus.METHOD_NOT_ALLOWED, "text/plain; charset=utf-8", "GET only\n", false);
            return;
        }
        QueryStringDecoder q = new QueryStringDecoder(req.uri());
        String auth = req.headers().get(HttpHeaderNames.AUTHORIZATION);
        String bearer = auth != null && auth.regionMatches(true, 0, "Bearer ", 0, 7) ? auth.substring(7).trim() : null;
        if (!admin.authorized(bearer, first(q, "token"))) {
            send(ctx, req, HttpResponseStatus.UNAUTHORIZED, "text/plain; charset=utf-8",
                    "admin.token required: header 'Authorization: Bearer <token>' or ?token=<token>\n", false);
            return;
        }
        String path = q.path();
        try {
            switch (path) {
                case "/metrics" -> send(ctx, req, HttpResponseStatus.OK, PROMETHEUS_TEXT, admin.scrape(), true);
                case "/healthz" -> {
                    ObjectNode out = admin.json().createObjectNode();
                    boolean up = admin.healthy(out);
                    sendJson(ctx, req, up ? HttpResponseStatus.OK : HttpResponseStatus.SERVICE_UNAVAILABLE, out);
                }
                case "/api/stats" -> sendJson(ctx, req, HttpResponseStatus.OK, admin.stats());
                case "/api/connections" -> {
                    int page = Math.max(0, number(first(q, "page"), 0));
                    int size = Math.max(1, Math.min(1000, number(first(q, "size"), 50)));
                    sendJson(ctx, req, HttpResponseStatus.OK, admin.connections(first(q, "server"), page, size));
                }
                case "/" -> file(ctx, req, "index.html");
                default -> {
                    String name = path.startsWith("/") ? path.substring(1) : path;
                    if (FILE.matcher(name).matches()) file(ctx, req, name);
                    else send(ctx, req, HttpResponseStatus.NOT_FOUND, "text/plain; charset=utf-8", "not found\n", false);
                }
            }
        } catch (RuntimeException | JsonProcessingException e) {
            log.warn("admin endpoint: {} {} failed: {}", req.method(), path, e.toString());
            send(ctx, req, HttpResponseStatus.INTERNAL_SERVER_ERROR, "text/plain; charset=utf-8", "failed: " + e.getMessage() + "\n", false);
        }
    }

    private static String first(QueryStringDecoder q, String name) {
        List<String> v = q.parameters().get(name);
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

    private void file(ChannelHandlerContext ctx, FullHttpRequest req, String name) {
        byte[] body = files.computeIfAbsent(name, AdminHttp::load);
        if (body.length == 0 && !name.isEmpty()) {
            send(ctx, req, HttpResponseStatus.NOT_FOUND, "text/plain; charset=utf-8", "not found\n", false);
            return;
        }
        respond(ctx, req, HttpResponseStatus.OK, type(name), Unpooled.wrappedBuffer(body), true);
    }

    private static byte[] load(String name) {
        try (InputStream in = AdminHttp.class.getResourceAsStream("web/" + name)) {
            return in == null ? new byte[0] : in.readAllBytes();
        } catch (IOException e) {
            return new byte[0];
        }
    }

    private static String type(String name) {
        if (name.endsWith(".html")) return "text/html; charset=utf-8";
        if (name.endsWith(".js")) return "text/javascript; charset=utf-8";
        if (name.endsWith(".css")) return "text/css; charset=utf-8";
        if (name.endsWith(".svg")) return "image/svg+xml";
        if (name.endsWith(".png")) return "image/png";
        return "application/octet-stream";
    }

    private void sendJson(ChannelHandlerContext ctx, FullHttpRequest req, HttpResponseStatus status, ObjectNode body) throws JsonProcessingException {
        respond(ctx, req, status, "application/json", Unpooled.wrappedBuffer(admin.json().writeValueAsBytes(body)), false);
    }

    private static void send(ChannelHandlerContext ctx, FullHttpRequest req, HttpResponseStatus status, String type, String body, boolean cacheable) {
        respond(ctx, req, status, type, Unpooled.copiedBuffer(body, StandardCharsets.UTF_8), cacheable);
    }

    private static void respond(ChannelHandlerContext ctx, FullHttpRequest req, HttpResponseStatus status, String type, ByteBuf body, boolean cacheable) {
        boolean head = req.method() == HttpMethod.HEAD;
        FullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, head ? Unpooled.EMPTY_BUFFER : body);
        res.headers().set(HttpHeaderNames.CONTENT_TYPE, type)
                .setInt(HttpHeaderNames.CONTENT_LENGTH, body.readableBytes())
                .set(HttpHeaderNames.CACHE_CONTROL, "no-store")
                .set("X-Content-Type-Options", "nosniff");
        if (head) body.release();
        boolean keepAlive = HttpUtil.isKeepAlive(req) && status.code() < 400;
        if (keepAlive) {
            res.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
            ctx.writeAndFlush(res);
        } else {
            res.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
            ctx.writeAndFlush(res).addListener(ChannelFutureListener.CLOSE);
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof IdleStateEvent) ctx.close();   // 10 s without a byte: idle, or a request that never ends
        else ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        log.debug("admin endpoint: connection {} failed: {}", ctx.channel().remoteAddress(), cause.toString());
        ctx.close();
    }
}
