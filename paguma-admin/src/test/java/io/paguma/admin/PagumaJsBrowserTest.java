package io.paguma.admin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.paguma.PagumaConfig;
import io.paguma.PagumaRuntime;
import io.paguma.Server;
import io.paguma.testing.Servers;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.InputStream;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * paguma.js in a real headless Chromium: its frames are Zinx's golden frames and the PROTOCOL.md
 * example byte for byte, and against a live WebSocket server it sends, requests (matched by
 * sequence id, with a time limit), hears pushes with on(id), and fails a request on a remote
 * error or a timeout.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class PagumaJsBrowserTest {
    private static PagumaRuntime runtime;
    private static Admin admin;
    private static Server server;
    private static Browser browser;
    private static final AtomicLong oneWay = new AtomicLong();

    @BeforeAll
    static void start() throws Exception {
        PagumaConfig config = Servers.config().name("ws").codec("paguma").mode(PagumaConfig.Mode.WEBSOCKET).wsPort(0)
                .set(new AdminConfig(), AdminConfig.PORT, 0).build();
        runtime = PagumaRuntime.create(config);
        admin = Admin.builder().runtime(runtime).config(config).build();
        server = Server.builder().runtime(runtime).config(config)
                .route(1, r -> r.reply(1, r.data()))
                .route(2, r -> {
                    throw new IllegalArgumentException("no");
                })
                .route(3, r -> {
                    for (int i = 0; i < 3; i++) r.connection().send(20, "push " + i);
                    r.reply(3, "done");
                })
                .route(4, r -> {
                    // never answers
                })
                .route(5, r -> oneWay.incrementAndGet())
                .route(6, r -> r.fail(409, "taken: " + r.text()))
                // The server asks the browser (an even sequence id) and answers with what it said.
                .route(7, r -> r.connection().request(30, "ask " + r.text()).whenComplete((m, e) -> {
                    if (e != null) r.fail(500, String.valueOf(e));
                    else r.reply(7, m.data());
                }))
                .build().start();
        admin.watch(server).start();
        browser = new Browser();
        browser.driver.get("http://127.0.0.1:" + admin.port() + "/");
        Object loaded = browser.driver.executeAsyncScript("""
                const done = arguments[arguments.length - 1];
                const s = document.createElement('script');
                s.src = 'paguma.js';
                s.onload = () => done(typeof Paguma);
                s.onerror = () => done('failed');
                document.head.appendChild(s);""");
        assertThat(loaded).isEqualTo("object");
    }

    @AfterAll
    static void stop() throws Exception {
        if (browser != null) browser.close();
        if (server != null) server.stop();
        if (admin != null) admin.close();
        if (runtime != null) runtime.close();
    }

    private static Object js(String body, Object... args) {
        return browser.driver.executeAsyncScript("const done = arguments[arguments.length - 1];\n"
                + "(async () => {" + body + "})().then(done, e => done('ERROR ' + e.message));", args);
    }

    @Test
    void framesAreZinxsGoldenFramesAndTheProtocolExampleByteForByte() throws Exception {
        JsonNode vectors;
        try (InputStream in = PagumaJsBrowserTest.class.getResourceAsStream("/vectors/zinx_packs.json")) {
            vectors = new ObjectMapper().readTree(in).get("vectors");
        }
        for (JsonNode v : vectors) {
            Object got = js("""
                    const hex = b => Array.from(b, x => x.toString(16).padStart(2, '0')).join('');
                    const unhex = h => new Uint8Array(h.match(/../g) || []).map((_, i) => parseInt(h.substr(2 * i, 2), 16));
                    const payload = unhex(arguments[0]);
                    const frame = hex(Paguma.codecs['ltv-le'].encode({ id: arguments[1], data: payload }));
                    const back = Paguma.codecs['ltv-le'].decode(unhex(arguments[2]));
                    return frame + '|' + back.length + '|' + back[0].id + '|' + hex(back[0].data);""",
                    v.get("payload_hex").asText(), v.get("id").asLong(), v.get("ltv_le_hex").asText());
            assertThat(got).isEqualTo(v.get("ltv_le_hex").asText() + "|1|" + v.get("id").asLong() + "|" + v.get("payload_hex").asText());
        }
        // docs/PROTOCOL.md: id 1, seq 2, payload "hi"; and a request with a 1.5 s limit.
        assertThat(js("""
                const hex = b => Array.from(b, x => x.toString(16).padStart(2, '0')).join('');
                return hex(Paguma.codecs.paguma.encode({ id: 1, seq: 2, data: 'hi' })) + ' '
                    + hex(Paguma.codecs.paguma.encode({ id: 1, seq: 2, data: 'hi', timeout: 1500 }));"""))
                .isEqualTo("00000002b7000000000000010000000268 69".replace(" ", "") + " "
                        + "00000002b7010000000000010000000200 0005dc6869".replace(" ", ""));
    }

    @Test
    void againstALiveServerItSendsRequestsHearsPushesAndFailsOnRemoteErrorsAndTimeouts() {
        String url = "ws://127.0.0.1:" + server.wsPort() + "/";
        @SuppressWarnings("unchecked")
        Map<String, Object> r = (Map<String, Object>) js("""
                const c = Paguma.connect(arguments[0], { codec: 'paguma' });
                await c.ready;
                const out = {};
                out.echo = (await c.request(1, 'ping')).text();
                const many = await Promise.all([...Array(50).keys()].map(i => c.request(1, 'n' + i)));
                out.ordered = many.every((m, i) => m.text() === 'n' + i);
                const pushes = [];
                c.on(20, m => pushes.push(m.text()));
                out.three = (await c.request(3, '')).text();
                out.pushes = pushes.join(',');
                try { await c.request(2, 'x'); out.failed = 'no'; } catch (e) { out.failed = e.name + ' ' + e.status; }
                try { await c.request(6, 'bob'); out.app = 'no'; } catch (e) { out.app = e.status + ' ' + e.remoteMessage; }
                const t0 = performance.now();
                try { await c.request(4, 'x', { timeout: 300 }); out.timeout = 'no'; } catch (e) { out.timeout = e.status; out.waited = performance.now() - t0; }
                c.on(30, m => c.reply(m, 30, 'pong:' + m.text() + ':' + (m.seq % 2)));
                out.asked = (await c.request(7, 'me')).text();
                // After the server's request, the browser's own requests (odd ids) are still its own.
                const after = await Promise.all([...Array(6).keys()].map(i => c.request(1, 'a' + i)));
                out.after = after.map(m => m.text()).join(',');
                c.send(5, 'one way');
                c.send(5, new Uint8Array([1, 2, 3]));
                out.sentOpen = c.open;
                c.close();
                return out;""", url);
        assertThat(r).containsEntry("echo", "ping").containsEntry("ordered", true).containsEntry("three", "done")
                .containsEntry("pushes", "push 0,push 1,push 2").containsEntry("failed", "PagumaError 1")
                .containsEntry("app", "409 taken: bob").containsEntry("sentOpen", true)
                .containsEntry("asked", "pong:ask me:0").containsEntry("after", "a0,a1,a2,a3,a4,a5");
        assertThat(((Number) r.get("timeout")).intValue()).isEqualTo(4);
        assertThat(((Number) r.get("waited")).doubleValue()).isBetween(250.0, 3000.0);
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10)).until(() -> oneWay.get() == 2);
    }

    @Test
    void withLtvLeARequestIsRefusedAtOnce() {
        Object r = js("""
                const c = Paguma.connect('ws://127.0.0.1:1/', { codec: 'ltv-le' });
                try { await c.request(1, 'x'); return 'no'; } catch (e) { return e.message; }""");
        assertThat(String.valueOf(r)).contains("request needs the paguma codec");
    }
}
