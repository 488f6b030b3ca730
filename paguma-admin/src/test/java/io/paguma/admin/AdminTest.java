package io.paguma.admin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.paguma.Client;
import io.paguma.ConfigException;
import io.paguma.PagumaConfig;
import io.paguma.PagumaRuntime;
import io.paguma.Server;
import io.paguma.testing.FrameSocket;
import io.paguma.testing.Servers;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/** The admin endpoint over real HTTP on loopback: /metrics parsed by Prometheus's own parser, /api/stats, /healthz, the token. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class AdminTest {
    private final List<AutoCloseable> open = new ArrayList<>();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final ObjectMapper json = new ObjectMapper();

    @AfterEach
    void close() throws Exception {
        for (int i = open.size() - 1; i >= 0; i--) open.get(i).close();
    }

    private <T extends AutoCloseable> T keep(T t) {
        open.add(t);
        return t;
    }

    /** A runtime, an admin on a free port and an echo server (route 1 answers, route 2 throws). */
    private record Setup(PagumaRuntime runtime, Admin admin, Server server) {
    }

    private Setup setup(String token) {
        return setup(token, 1);
    }

    /** With admin.routerSample {@code sample} (1: every message timed, so the counts are exact), and other runtime listeners. */
    private Setup setup(String token, int sample, io.paguma.EndpointListener... others) {
        PagumaConfig config = Servers.config().name("game").codec("paguma")
                .set(new AdminConfig(), AdminConfig.PORT, 0).set(new AdminConfig(), AdminConfig.TOKEN, token)
                .set(new AdminConfig(), AdminConfig.ROUTER_SAMPLE, sample).build();
        PagumaRuntime runtime = keep(PagumaRuntime.create(config));
        for (io.paguma.EndpointListener l : others) runtime.addEventListener(l);
        Admin admin = keep(Admin.builder().runtime(runtime).config(config).build());
        Server server = Server.builder().runtime(runtime).config(config)
                .route(1, r -> r.reply(1, r.data()))
                .route(2, r -> {
                    throw new IllegalStateException("route 2 always fails");
                })
                .build().start();
        open.add(server::stop);
        admin.watch(server).start();
        return new Setup(runtime, admin, server);
    }

    private HttpResponse<String> get(Admin admin, String path, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + admin.port() + path)).timeout(Duration.ofSeconds(10));
        for (int i = 0; i < headers.length; i += 2) b.header(headers[i], headers[i + 1]);
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** Every sample of a /metrics text, by Prometheus's own parser (python3 prometheus_client). */
    private JsonNode parse(String metrics) throws Exception {
        Path script = Path.of(AdminTest.class.getResource("/prom_parse.py").toURI());
        Process p = new ProcessBuilder(python(), script.toString()).start();
        p.getOutputStream().write(metrics.getBytes(StandardCharsets.UTF_8));
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as("Prometheus's parser: %s", err).isZero();
        return json.readTree(out);
    }

    private static String python;

    /** The first python3 that has prometheus_client (Debian's, under a pyenv or venv that lacks it). */
    private static synchronized String python() throws Exception {
        if (python != null) return python;
        for (String candidate : List.of("python3", "/usr/bin/python3")) {
            try {
                Process p = new ProcessBuilder(candidate, "-c", "import prometheus_client").redirectErrorStream(true).start();
                p.getInputStream().readAllBytes();
                if (p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0) return python = candidate;
            } catch (IOException notThere) {
                // the next one
            }
        }
        return python = "python3";   // its parse fails with the message that says what to install
    }

    private static double sample(JsonNode parsed, String name, Map<String, String> labels) {
        for (JsonNode s : parsed.get("samples")) {
            if (!s.get(0).asText().equals(name)) continue;
            boolean all = labels.entrySet().stream().allMatch(e -> e.getValue().equals(s.get(1).path(e.getKey()).asText(null)));
            if (all) return s.get(2).asDouble();
        }
        throw new AssertionError("no sample " + name + " " + labels + " in /metrics");
    }

    @Test
    void metricsParseAsPrometheusTextAndTheirCountersMatchTheTraffic() throws Exception {
        Setup s = setup("");
        Client client = Client.builder().config(PagumaConfig.builder().host("127.0.0.1").port(s.server.port()).codec("paguma").build()).build();
        open.add(() -> client.close().get(10, TimeUnit.SECONDS));
        client.connect().get(10, TimeUnit.SECONDS);
        int n = 50;
        for (int i = 0; i < n; i++) {
            assertThat(client.request(1, "hello " + i).get(10, TimeUnit.SECONDS).text()).isEqualTo("hello " + i);
        }
        // Sent after the 50: its reply proves they were all counted; it fails on the server (a router failure).
        assertThatThrownBy(() -> client.request(2, "boom").get(10, TimeUnit.SECONDS)).hasMessageContaining("router failed");
        HttpResponse<String> r = get(s.admin, "/metrics");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("content-type").orElse("")).startsWith("text/plain; version=0.0.4");
        Map<String, String> game = Map.of("server", "game");
        // Each side counts a read once its frames were handed on (a reply may complete its future
        // first): the counts settle a moment after the last reply, to exactly the traffic.
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            JsonNode now = parse(get(s.admin, "/metrics").body());
            assertThat(sample(now, "paguma_messages_received_total", game)).isEqualTo(n + 1);
            assertThat(sample(now, "paguma_messages_sent_total", game)).isEqualTo(n + 1);
            assertThat(sample(now, "paguma_received_bytes_total", game)).isEqualTo(client.connection().traffic().bytesOut());
            assertThat(sample(now, "paguma_sent_bytes_total", game)).isEqualTo(client.connection().traffic().bytesIn());
        });
        JsonNode parsed = parse(get(s.admin, "/metrics").body());
        assertThat(sample(parsed, "paguma_connections_accepted_total", game)).isEqualTo(1);
        assertThat(sample(parsed, "paguma_connections_open", game)).isEqualTo(1);
        assertThat(sample(parsed, "paguma_router_failures_total", game)).isEqualTo(1);
        assertThat(sample(parsed, "paguma_frames_rejected_total", game)).isZero();
        // The handling-time histogram of route 1: every message in the +Inf bucket and in the count.
        assertThat(sample(parsed, "paguma_router_seconds_count", Map.of("route", "1"))).isEqualTo(n);
        assertThat(sample(parsed, "paguma_router_seconds_bucket", Map.of("route", "1", "le", "+Inf"))).isEqualTo(n);
        assertThat(sample(parsed, "paguma_router_seconds_count", Map.of("route", "2"))).isEqualTo(1);
        assertThat(parsed.get("types").get("paguma_router_seconds").asText()).isEqualTo("histogram");
        // JVM and Netty memory.
        assertThat(sample(parsed, "jvm_memory_used_bytes", Map.of("area", "heap"))).isPositive();
        assertThat(sample(parsed, "paguma_netty_direct_memory_used_bytes", Map.of())).isNotNull();

        // A bad frame from a raw socket: counted, and listed among the recent errors with its connection.
        try (FrameSocket bad = FrameSocket.connect(s.server.port(), io.paguma.Codecs.byName("paguma"))) {
            bad.sendRaw(new byte[] {0x7f, 0x7f, 0x7f, 0x7f, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0});
            await().atMost(Duration.ofSeconds(10)).until(bad::closedByPeer);
        }
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                assertThat(sample(parse(get(s.admin, "/metrics").body()), "paguma_frames_rejected_total", game)).isEqualTo(1));
    }

    @Test
    void statsShowRatesOverTheLastMinuteTheBusiestRoutesErrorsAndConnections() throws Exception {
        Setup s = setup("");
        List<Client> clients = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            Client c = Client.builder().config(PagumaConfig.builder().host("127.0.0.1").port(s.server.port()).codec("paguma").build()).build();
            open.add(() -> c.close().get(10, TimeUnit.SECONDS));
            c.connect().get(10, TimeUnit.SECONDS);
            clients.add(c);
        }
        // Traffic across two samples of the sampler, so that a rate exists.
        long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(2500);
        int sent = 0;
        while (System.nanoTime() < until) {
            clients.get(sent % 3).request(1, "x".repeat(100)).get(10, TimeUnit.SECONDS);
            sent++;
        }
        clients.get(0).request(2, "boom").handle((m, e) -> null).get(10, TimeUnit.SECONDS);
        int total = sent + 1;
        // The server counts a read once its frames were handed on: settled a moment after the last reply.
        await().atMost(Duration.ofSeconds(10)).until(() -> s.server.traffic().messagesIn() == total);
        JsonNode stats = json.readTree(get(s.admin, "/api/stats").body());
        JsonNode game = stats.get("servers").get(0);
        assertThat(game.get("name").asText()).isEqualTo("game");
        assertThat(game.get("running").asBoolean()).isTrue();
        assertThat(game.get("connections").asInt()).isEqualTo(3);
        assertThat(game.get("totals").get("messagesIn").asLong()).isEqualTo(sent + 1);
        assertThat(game.get("rates").get("messagesIn").get("lastMinute").asLong()).isPositive();
        assertThat(game.get("series").get("time").size()).isGreaterThanOrEqualTo(1);
        assertThat(game.get("series").get("messagesIn").size()).isEqualTo(game.get("series").get("time").size());
        JsonNode top = stats.get("topRoutes").get(0);
        assertThat(top.get("route").asText()).isEqualTo("1");
        assertThat(top.get("count").asLong()).isEqualTo(sent);
        assertThat(stats.get("recentErrors").get(0).get("kind").asText()).isEqualTo("router failed");
        assertThat(stats.get("recentErrors").get(0).get("detail").asText()).contains("route 2 always fails");
        assertThat(stats.get("memory").get("heapUsed").asLong()).isPositive();

        JsonNode page0 = json.readTree(get(s.admin, "/api/connections?page=0&size=2").body());
        JsonNode page1 = json.readTree(get(s.admin, "/api/connections?page=1&size=2").body());
        assertThat(page0.get("total").asInt()).isEqualTo(3);
        assertThat(page0.get("connections").size()).isEqualTo(2);
        assertThat(page1.get("connections").size()).isEqualTo(1);
        long traffic = 0;
        for (JsonNode p : List.of(page0, page1)) {
            for (JsonNode c : p.get("connections")) {
                assertThat(c.get("address").asText()).startsWith("127.0.0.1:");
                assertThat(c.get("openedAt").asLong()).isPositive();
                traffic += c.get("messagesIn").asLong();
            }
        }
        assertThat(traffic).isEqualTo(sent + 1);
        // Pages past the end, and numbers that overflow or are not numbers, are empty pages or the defaults: never an error.
        for (String q : List.of("page=2147483647&size=1000", "page=99999999999&size=-5", "page=-3&size=abc", "size=0")) {
            HttpResponse<String> r = get(s.admin, "/api/connections?" + q);
            assertThat(r.statusCode()).as(q).isEqualTo(200);
            assertThat(json.readTree(r.body()).get("total").asInt()).as(q).isEqualTo(3);
        }
    }

    /** With admin.routerSample 4, about one message in 4 is timed (binomial: 2000 messages, mean 500, sd 19). */
    @Test
    void routerTimingsAreASampleOfTheMessages() throws Exception {
        // Another listener on the same runtime times every message: the admin still hears only its own sample.
        java.util.concurrent.atomic.AtomicLong greedy = new java.util.concurrent.atomic.AtomicLong();
        Setup s = setup("", 4, new io.paguma.EndpointListener() {
            @Override
            public boolean timesRouters() {
                return true;
            }

            @Override
            public void routerTimed(io.paguma.Request request, long nanos) {
                greedy.incrementAndGet();
            }
        });
        Client client = Client.builder().config(PagumaConfig.builder().host("127.0.0.1").port(s.server.port()).codec("paguma").build()).build();
        open.add(() -> client.close().get(10, TimeUnit.SECONDS));
        client.connect().get(10, TimeUnit.SECONDS);
        List<java.util.concurrent.CompletableFuture<?>> all = new ArrayList<>();
        for (int i = 0; i < 2000; i++) all.add(client.request(1, "x"));
        java.util.concurrent.CompletableFuture.allOf(all.toArray(java.util.concurrent.CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
        JsonNode parsed = parse(get(s.admin, "/metrics").body());
        assertThat(sample(parsed, "paguma_router_seconds_count", Map.of("route", "1"))).isBetween(380.0, 620.0);
        assertThat(greedy.get()).isEqualTo(2000);
        // Every message is still counted by the server's own counters (settled a moment after the last reply).
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(
                sample(parse(get(s.admin, "/metrics").body()), "paguma_messages_received_total", Map.of("server", "game"))).isEqualTo(2000));
    }

    /** A peer that sends and never reads: the server stops reading it (write backpressure), counted by cause. */
    @Test
    void writeBackpressureIsCountedByCause() throws Exception {
        Setup s = setup("");
        try (FrameSocket greedy = FrameSocket.connect(s.server.port(), io.paguma.Codecs.byName("paguma"))) {
            greedy.socket().setReceiveBufferSize(4096);
            byte[] payload = new byte[60_000];
            Thread writer = new Thread(() -> {
                try {
                    for (int i = 0; i < 400; i++) greedy.send(1, payload);
                } catch (IOException stopped) {
                    // the server stopped reading us, or closed: either way, done
                }
            });
            writer.setDaemon(true);
            writer.start();
            await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(
                    sample(parse(get(s.admin, "/metrics").body()), "paguma_backpressure_pauses_total", Map.of("cause", "peer_not_reading")))
                    .isGreaterThanOrEqualTo(1));
        }
        assertThat(sample(parse(get(s.admin, "/metrics").body()), "paguma_backpressure_pauses_total", Map.of("cause", "worker_full"))).isNotNegative();
    }

    @Test
    void healthzIsUpWhileTheServerRunsAndDownAfter() throws Exception {
        Setup s = setup("");
        HttpResponse<String> up = get(s.admin, "/healthz");
        assertThat(up.statusCode()).isEqualTo(200);
        assertThat(json.readTree(up.body()).get("status").asText()).isEqualTo("UP");
        s.server.stop();
        HttpResponse<String> down = get(s.admin, "/healthz");
        assertThat(down.statusCode()).isEqualTo(503);
        assertThat(json.readTree(down.body()).get("servers").get(0).get("running").asBoolean()).isFalse();
    }

    @Test
    void aTokenIsRequiredWhenSetAndElsewhereThanLoopbackOneMustBeSet() throws Exception {
        Setup s = setup("s3cret");
        assertThat(get(s.admin, "/metrics").statusCode()).isEqualTo(401);
        assertThat(get(s.admin, "/api/stats?token=wrong").statusCode()).isEqualTo(401);
        assertThat(get(s.admin, "/metrics", "Authorization", "Bearer s3cret").statusCode()).isEqualTo(200);
        assertThat(get(s.admin, "/api/stats?token=s3cret").statusCode()).isEqualTo(200);
        assertThat(get(s.admin, "/nope?token=s3cret").statusCode()).isEqualTo(404);
        // The page's files hold no data: served without the token (a page opened with ?token= loads its scripts).
        assertThat(get(s.admin, "/status.js").statusCode()).isEqualTo(200);
        assertThat(get(s.admin, "/").statusCode()).isEqualTo(200);
        try (java.net.Socket raw = new java.net.Socket("127.0.0.1", s.admin.port())) {
            raw.getOutputStream().write("GET /api/stats?token=%zz HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            raw.setSoTimeout(10_000);
            assertThat(new String(raw.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1)).startsWith("HTTP/1.1 400");
        }
        assertThat(get(s.admin, "/../../etc/passwd?token=s3cret").statusCode()).isEqualTo(404);
        HttpResponse<String> post = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + s.admin.port() + "/metrics?token=s3cret"))
                .POST(HttpRequest.BodyPublishers.ofString("x")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(post.statusCode()).isEqualTo(405);
        PagumaConfig open = PagumaConfig.builder().set(new AdminConfig(), AdminConfig.HOST, "0.0.0.0").build();
        assertThatThrownBy(() -> Admin.builder().config(open).build()).isInstanceOf(ConfigException.class).hasMessageContaining("admin.token");
    }

    /**
     * Slowloris and a flood on the admin port: at most 64 of its connections stay open, a
     * half-sent request is closed after 10 s of silence, and the game server's clients and a
     * well-behaved scrape carry on meanwhile.
     */
    @Test
    void aFloodOfHalfSentRequestsHoldsAtMost64ConnectionsAndTheGameCarriesOn() throws Exception {
        Setup s = setup("");
        List<java.net.Socket> slow = new ArrayList<>();
        try {
            for (int i = 0; i < 100; i++) {
                java.net.Socket c = new java.net.Socket("127.0.0.1", s.admin.port());
                c.getOutputStream().write("GET /metrics HTTP/1.1\r\nHost: x\r\n".getBytes(StandardCharsets.US_ASCII));
                slow.add(c);
            }
            // The 36 beyond 64 are closed at once (their reads see the end of the stream).
            // (Read in-process: the port itself is full until the slow ones go.)
            await().atMost(Duration.ofSeconds(10)).until(() ->
                    s.admin.registry().get("paguma.admin.connections.refused").counter().count() >= 36);
            Client client = Client.builder().config(PagumaConfig.builder().host("127.0.0.1").port(s.server.port()).codec("paguma").build()).build();
            open.add(() -> client.close().get(10, TimeUnit.SECONDS));
            client.connect().get(10, TimeUnit.SECONDS);
            assertThat(client.request(1, "still here").get(10, TimeUnit.SECONDS).text()).isEqualTo("still here");
            // After 10 s the half-sent requests are closed, and the port serves again; so is one that trickles a byte a second.
            java.net.Socket trickler = new java.net.Socket("127.0.0.1", s.admin.port());
            slow.add(trickler);
            java.net.Socket first = slow.get(0);
            first.setSoTimeout(20_000);
            assertThat(first.getInputStream().read()).isEqualTo(-1);
            long t0 = System.nanoTime();
            boolean cut = false;
            for (int i = 0; i < 30 && !cut; i++) {
                try {
                    trickler.getOutputStream().write('x');
                    trickler.getOutputStream().flush();
                    trickler.setSoTimeout(1000);
                    cut = trickler.getInputStream().read() == -1;
                } catch (java.net.SocketTimeoutException stillOpen) {
                    // a second passed: one more byte
                } catch (IOException reset) {
                    cut = true;
                }
            }
            assertThat(cut).as("the trickler was cut off").isTrue();
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(25));
            assertThat(get(s.admin, "/healthz").statusCode()).isEqualTo(200);
        } finally {
            for (java.net.Socket c : slow) c.close();
        }
    }

    /** 200 pipelined requests in one write from a client that never reads: one answer, then the connection goes. */
    @Test
    void pipelinedRequestsFromAClientThatDoesNotReadGetOneAnswerThenTheConnectionCloses() throws Exception {
        Setup s = setup("");
        long directBefore = io.netty.util.internal.PlatformDependent.usedDirectMemory();
        try (java.net.Socket c = new java.net.Socket("127.0.0.1", s.admin.port())) {
            c.getOutputStream().write("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n".repeat(200).getBytes(StandardCharsets.US_ASCII));
            c.setSoTimeout(20_000);
            // One answer at most, then the end: a FIN, or a reset (the server closed with requests left unread).
            java.io.ByteArrayOutputStream got = new java.io.ByteArrayOutputStream();
            byte[] buf = new byte[65536];
            try {
                for (int n; (n = c.getInputStream().read(buf)) > 0; ) got.write(buf, 0, n);
            } catch (java.net.SocketException reset) {
                // the end, too
            }
            assertThat(got.toString(StandardCharsets.ISO_8859_1).split("HTTP/1.1 200 OK", -1).length).isLessThanOrEqualTo(2);
        }
        long grown = io.netty.util.internal.PlatformDependent.usedDirectMemory() - directBefore;
        assertThat(grown).as("direct memory kept after the connection went").isLessThan(8L << 20);
        assertThat(get(s.admin, "/healthz").statusCode()).isEqualTo(200);
    }

    @Test
    void aServerIsWatchedOnceByNameAndUnwatchingRemovesItsSeries() throws Exception {
        Setup s = setup("");
        assertThatThrownBy(() -> s.admin.watch(s.server)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("game");
        assertThat(get(s.admin, "/metrics").body()).contains("paguma_connections_open{server=\"game\"}");
        s.admin.unwatch(s.server);
        assertThat(get(s.admin, "/metrics").body()).doesNotContain("server=\"game\"");
        assertThat(json.readTree(get(s.admin, "/api/stats").body()).get("servers").size()).isZero();
        s.admin.watch(s.server);
        assertThat(json.readTree(get(s.admin, "/api/stats").body()).get("servers").size()).isEqualTo(1);
    }

    @Test
    void closingTheAdminClosesItsConnectionsAndItHearsNoMore() throws Exception {
        Setup s = setup("");
        try (java.net.Socket c = new java.net.Socket("127.0.0.1", s.admin.port())) {
            c.getOutputStream().write("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            c.setSoTimeout(10_000);
            byte[] buf = new byte[4096];
            assertThat(c.getInputStream().read(buf)).isPositive();   // the answer; the connection stays (keep-alive)
            s.admin.close();
            assertThat(c.getInputStream().read(buf)).isEqualTo(-1);
        }
    }

    @Test
    void twoAdminsInOneJvmKeepTheirOwnCounts() throws Exception {
        Setup a = setup("");
        Setup b = setup("");
        Client client = Client.builder().config(PagumaConfig.builder().host("127.0.0.1").port(a.server.port()).codec("paguma").build()).build();
        open.add(() -> client.close().get(10, TimeUnit.SECONDS));
        client.connect().get(10, TimeUnit.SECONDS);
        client.request(1, "only a").get(10, TimeUnit.SECONDS);
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(
                sample(parse(get(a.admin, "/metrics").body()), "paguma_messages_received_total", Map.of("server", "game"))).isEqualTo(1));
        assertThat(sample(parse(get(b.admin, "/metrics").body()), "paguma_messages_received_total", Map.of("server", "game"))).isZero();
        assertThat(sample(parse(get(b.admin, "/metrics").body()), "paguma_router_seconds_count", Map.of("route", "1"), true)).isZero();
    }

    private static double sample(JsonNode parsed, String name, Map<String, String> labels, boolean zeroIfAbsent) {
        try {
            return sample(parsed, name, labels);
        } catch (AssertionError absent) {
            if (zeroIfAbsent) return 0;
            throw absent;
        }
    }
}
