package io.paguma.admin;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.paguma.ConfigException;
import io.paguma.Connection;
import io.paguma.EndpointStats;
import io.paguma.PagumaConfig;
import io.paguma.PagumaRuntime;
import io.paguma.Server;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.ToDoubleFunction;

/**
 * The admin endpoint (SPEC B5, T7): an HTTP port beside the servers of one runtime, on that
 * runtime's IO threads, with {@code /metrics} (Prometheus text, through a Micrometer registry of
 * its own), {@code /api/stats} (JSON: totals, rates over the last minute, the busiest routes,
 * worker queues, the latest errors), {@code /api/connections} (paged), {@code /healthz} and the
 * live status page at {@code /}. See docs/ADMIN.md.
 *
 * <pre>{@code
 * PagumaRuntime runtime = PagumaRuntime.create(config);
 * Admin admin = Admin.builder().runtime(runtime).config(config).build();   // before the servers: it times their routers
 * Server server = Server.builder().runtime(runtime).config(config)...build().start();
 * admin.watch(server).start();
 * }</pre>
 *
 * <p>Nothing global: each admin has its own registry, listener and port; two in one JVM do not
 * meet. It hears every endpoint of its runtime (counts, router times, errors), and shows the
 * servers it {@linkplain #watch watches}.
 */
public final class Admin implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Admin.class);

    private final PagumaRuntime runtime;
    private final boolean ownRuntime;
    private final PagumaConfig config;
    private final int port;
    private final String host;
    private final byte[] token;
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final Recorder recorder;
    private final List<History> servers = new CopyOnWriteArrayList<>();
    private final long startedMillis = System.currentTimeMillis();
    private final ObjectMapper json = new ObjectMapper();
    private final JvmGcMetrics gc = new JvmGcMetrics();
    private final Object lock = new Object();
    /** Admin connections open at once, at most; more are closed as they come. */
    static final int MAX_CONNECTIONS = 64;
    private final java.util.concurrent.atomic.AtomicInteger open = new java.util.concurrent.atomic.AtomicInteger();
    private final io.micrometer.core.instrument.Counter refusedConnections;
    private Channel channel;
    private java.util.concurrent.ScheduledFuture<?> sampler;
    /** The admin's own thread: the sampler and every data request run here, never on an IO thread. */
    private final java.util.concurrent.ScheduledThreadPoolExecutor worker;
    /** Data requests waiting for the admin's thread, at most; more get 503. */
    static final int MAX_QUEUED = 64;
    private final io.netty.channel.group.ChannelGroup accepted;
    private boolean stopped;

    private Admin(Builder b) {
        this.config = b.config != null ? b.config : b.runtime != null ? b.runtime.config() : PagumaConfig.defaults();
        this.ownRuntime = b.runtime == null;
        this.runtime = b.runtime != null ? b.runtime : PagumaRuntime.create(config);
        var section = config.section(new AdminConfig());
        this.port = section.get(AdminConfig.PORT);
        this.host = section.get(AdminConfig.HOST);
        String t = section.get(AdminConfig.TOKEN);
        this.token = t.isEmpty() ? null : t.getBytes(StandardCharsets.UTF_8);
        if (token == null && !loopback(host)) {
            throw new ConfigException("admin.token", "admin.host is " + host + ", not a loopback address: set admin.token,"
                    + " which every request must then carry (or keep admin.host at 127.0.0.1)");
        }
        String threadName = "paguma-admin-" + config.name();
        this.worker = new java.util.concurrent.ScheduledThreadPoolExecutor(1, r -> {
            Thread thread = new Thread(r, threadName);
            thread.setDaemon(true);
            return thread;
        });
        this.accepted = new io.netty.channel.group.DefaultChannelGroup("admin", io.netty.util.concurrent.GlobalEventExecutor.INSTANCE);
        this.recorder = new Recorder(registry, section.get(AdminConfig.ROUTES), section.get(AdminConfig.RECENT_ERRORS),
                section.get(AdminConfig.ROUTER_SAMPLE));
        runtime.addEventListener(recorder);
        new JvmMemoryMetrics().bindTo(registry);
        gc.bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        Gauge.builder("paguma.netty.direct.memory.used", () -> io.netty.util.internal.PlatformDependent.usedDirectMemory())
                .description("Direct memory Netty's buffers hold (-1: not tracked)").baseUnit("bytes").register(registry);
        this.refusedConnections = io.micrometer.core.instrument.Counter.builder("paguma.admin.connections.refused")
                .description("Connections to the admin port closed at once: " + MAX_CONNECTIONS + " were open").register(registry);
        FunctionCounter.builder("paguma.client.reconnects", runtime, r -> r.stats().reconnects())
                .description("Reconnection attempts of the runtime's clients").register(registry);
        FunctionCounter.builder("paguma.client.gave.up", runtime, r -> r.stats().gaveUp())
                .description("Clients of the runtime that gave up reconnecting").register(registry);
    }

    private static boolean loopback(String host) {
        try {
            return InetAddress.getByName(host).isLoopbackAddress();
        } catch (UnknownHostException e) {
            throw new ConfigException("admin.host", "admin.host: cannot resolve " + host);
        }
    }

    public static Builder builder() {
        return new Builder();
    }

    /**
     * Shows {@code server} on the page and in {@code /metrics} (tag {@code server}, its name);
     * before or after start. Names must differ: a second server of a watched name is refused
     * ({@link #unwatch} the first).
     */
    public Admin watch(Server server) {
        Objects.requireNonNull(server, "server");
        synchronized (lock) {
            for (History h : servers) {
                if (h.server.name().equals(server.name())) {
                    throw new IllegalArgumentException("the admin endpoint watches a server named " + server.name()
                            + " already: give servers different names (config name), or unwatch the first");
                }
            }
            History h = new History(server);
            Tags tags = Tags.of("server", server.name());
            List<io.micrometer.core.instrument.Meter> m = h.meters;
            m.add(Gauge.builder("paguma.connections.open", server, s -> s.isRunning() ? safeCount(s) : 0)
                    .description("Open connections").tags(tags).register(registry));
            counter(m, "paguma.connections.accepted", "Connections accepted", server, tags, s -> s.stats().accepted());
            counter(m, "paguma.connections.refused", "Connections refused (maxConn, a stopping server, a failed WebSocket upgrade)", server, tags, s -> s.stats().refused());
            counter(m, "paguma.messages.received", "Messages read", server, tags, s -> s.traffic().messagesIn());
            counter(m, "paguma.messages.sent", "Messages written", server, tags, s -> s.traffic().messagesOut());
            m.add(FunctionCounter.builder("paguma.received", server, s -> s.traffic().bytesIn()).baseUnit("bytes")
                    .description("Bytes read (frames, before TLS)").tags(tags).register(registry));
            m.add(FunctionCounter.builder("paguma.sent", server, s -> s.traffic().bytesOut()).baseUnit("bytes")
                    .description("Bytes written (frames, before TLS)").tags(tags).register(registry));
            counter(m, "paguma.frames.rejected", "Malformed or oversized frames (the connection was closed)", server, tags, s -> s.stats().framesRejected());
            counter(m, "paguma.messages.unknown", "Messages for an id no router handles", server, tags, s -> s.stats().unknownMessages());
            counter(m, "paguma.router.failures", "Routers that threw (answered as a remote error)", server, tags, s -> s.stats().routerFailures());
            counter(m, "paguma.idle.closes", "Connections closed by heartbeatMax", server, tags, s -> s.stats().idleCloses());
            counter(m, "paguma.slow.peer.cuts", "Connections cut for not reading (maxPendingWriteBytes)", server, tags, s -> s.stats().slowPeerCuts());
            counter(m, "paguma.read.pauses", "Times reading paused (full worker queue or write backpressure)", server, tags, s -> s.stats().readPauses());
            counter(m, "paguma.request.timeouts", "Requests sent over the server's connections that got no reply in time", server, tags, s -> s.stats().requestTimeouts());
            counter(m, "paguma.requests.expired", "Requests skipped because their time limit passed while queued", server, tags, s -> s.stats().requestsExpired());
            counter(m, "paguma.refused.per.ip", "Connections refused by maxConnPerIp", server, tags, s -> s.stats().perIpRefusals());
            counter(m, "paguma.accept.rate.pauses", "Times acceptRate paused accepting", server, tags, s -> s.stats().acceptRatePauses());
            counter(m, "paguma.message.rate.limits", "Times maxMessageRate held a connection's reading back", server, tags, s -> s.stats().messageRateLimits());
            counter(m, "paguma.authentication.failures", "Connections closed by the authenticator or authTimeout", server, tags, s -> s.stats().authFailures());
            rate(m, "paguma.messages.received.per.second", "Messages read per second, over the last minute", h, tags, x -> History.Series.mean(x.messagesIn));
            rate(m, "paguma.messages.sent.per.second", "Messages written per second, over the last minute", h, tags, x -> History.Series.mean(x.messagesOut));
            rate(m, "paguma.received.bytes.per.second", "Bytes read per second, over the last minute", h, tags, x -> History.Series.mean(x.bytesIn));
            rate(m, "paguma.sent.bytes.per.second", "Bytes written per second, over the last minute", h, tags, x -> History.Series.mean(x.bytesOut));
            servers.add(h);
        }
        return this;
    }

    /** Stops showing {@code server}: its series leave {@code /metrics}, it leaves the page and {@code /healthz}. */
    public Admin unwatch(Server server) {
        synchronized (lock) {
            for (History h : servers) {
                if (h.server != server) continue;
                servers.remove(h);
                for (io.micrometer.core.instrument.Meter meter : h.meters) registry.remove(meter);
            }
        }
        return this;
    }

    private void counter(List<io.micrometer.core.instrument.Meter> m, String name, String description, Server server, Tags tags, ToDoubleFunction<Server> f) {
        m.add(FunctionCounter.builder(name, server, f).description(description).tags(tags).register(registry));
    }

    private void rate(List<io.micrometer.core.instrument.Meter> m, String name, String description, History h, Tags tags, ToDoubleFunction<History.Series> f) {
        m.add(Gauge.builder(name, h, x -> f.applyAsDouble(x.series())).description(description).tags(tags).register(registry));
    }

    private static long safeCount(Server s) {
        try {
            return s.connections().count();
        } catch (IllegalStateException notStarted) {
            return 0;
        }
    }

    /** Binds the port and starts sampling once a second; returns this. Fails when the port is taken. */
    public Admin start() {
        synchronized (lock) {
            if (channel != null) return this;
            if (stopped) throw new IllegalStateException("the admin endpoint was stopped");
            AdminHttp handler = new AdminHttp(this);
            try {
                channel = new ServerBootstrap().group(runtime.ioEventLoops())
                        .channel(runtime.serverChannelType())
                        .childHandler(new ChannelInitializer<SocketChannel>() {
                            @Override
                            protected void initChannel(SocketChannel ch) {
                                // Its connections share the process's file descriptors with the game servers: a few
                                // at a time; AdminHttp closes one that does not send a whole request within 10 s.
                                if (open.incrementAndGet() > MAX_CONNECTIONS) {
                                    open.decrementAndGet();
                                    refusedConnections.increment();
                                    ch.close();
                                    return;
                                }
                                ch.closeFuture().addListener(f -> open.decrementAndGet());
                                accepted.add(ch);
                                ch.pipeline().addLast(new HttpServerCodec(4096, 8192, 8192), new HttpObjectAggregator(16 * 1024), handler);
                            }
                        })
                        .bind(new InetSocketAddress(host, port)).syncUninterruptibly().channel();
            } catch (RuntimeException e) {
                throw new IllegalStateException("admin endpoint: cannot listen on " + host + ":" + port + " (admin.port): " + e.getMessage(), e);
            }
            sampler = worker.scheduleAtFixedRate(this::sample, 0, 1, TimeUnit.SECONDS);
            log.info("admin endpoint on http://{}:{}/ (/metrics, /api/stats, /healthz){}", host, port(),
                    token == null ? "" : ", token required");
            return this;
        }
    }

    private void sample() {
        try {
            long now = System.currentTimeMillis();
            List<Recorder.Route> routes = recorder.routes();
            for (History h : servers) {
                h.sample(now, routes);
                int[] depths = h.server.isRunning() ? h.server.workerQueueDepths() : new int[0];
                registerWorkerGauges(h, depths.length);
            }
        } catch (RuntimeException e) {
            log.warn("admin endpoint: sampling failed: {}", e.toString());
        }
    }

    private void registerWorkerGauges(History h, int workers) {
        synchronized (lock) {
            if (!servers.contains(h)) return;
            Server server = h.server;
            for (int i = h.workerGauges; i < workers; i++) {
                int index = i;
                h.meters.add(Gauge.builder("paguma.worker.queue.depth", server, s -> {
                    int[] d = s.isRunning() ? s.workerQueueDepths() : new int[0];
                    return index < d.length ? d[index] : 0;
                }).description("Requests and tasks waiting in a worker's queue").tags("server", server.name(), "worker", Integer.toString(i)).register(registry));
            }
            h.workerGauges = Math.max(h.workerGauges, workers);
        }
    }

    /** Runs {@code work} on the admin's thread; false when {@link #MAX_QUEUED} wait already, or it is closed. */
    boolean offer(Runnable work) {
        if (worker.getQueue().size() >= MAX_QUEUED + 1) return false;   // + the sampler's own entry
        try {
            worker.execute(work);
            return true;
        } catch (java.util.concurrent.RejectedExecutionException closed) {
            return false;
        }
    }

    /** The bound port (after start), or the configured one. */
    public int port() {
        synchronized (lock) {
            return channel == null ? port : ((InetSocketAddress) channel.localAddress()).getPort();
        }
    }

    /** The registry behind {@code /metrics}: add meters of your own to it. */
    public PrometheusMeterRegistry registry() {
        return registry;
    }

    /**
     * Closes the port and every admin connection, stops the sampler and the admin's thread, and
     * stops hearing the runtime's endpoints; the runtime stays (unless the admin made it).
     */
    @Override
    public void close() {
        Channel c;
        synchronized (lock) {
            if (stopped) return;
            stopped = true;
            c = channel;
            if (sampler != null) sampler.cancel(false);
        }
        runtime.removeEventListener(recorder);
        if (c != null) c.close().syncUninterruptibly();
        accepted.close().syncUninterruptibly();
        worker.shutdown();
        try {
            if (!worker.awaitTermination(5, TimeUnit.SECONDS)) worker.shutdownNow();
        } catch (InterruptedException e) {
            worker.shutdownNow();
            Thread.currentThread().interrupt();
        }
        gc.close();
        registry.close();
        if (ownRuntime) runtime.close();
    }

    // --- what the HTTP handler serves

    boolean authorized(String bearer, String query) {
        if (token == null) return true;
        return matches(bearer) || matches(query);
    }

    private boolean matches(String given) {
        return given != null && java.security.MessageDigest.isEqual(token, given.getBytes(StandardCharsets.UTF_8));
    }

    String scrape() {
        return registry.scrape();
    }

    /** 200 while every watched server runs; 503 with the ones that do not. */
    boolean healthy(ObjectNode out) {
        boolean up = true;
        ArrayNode list = out.putArray("servers");
        for (History h : servers) {
            boolean running = h.server.isRunning();
            up &= running;
            list.addObject().put("name", h.server.name()).put("running", running);
        }
        out.put("status", up ? "UP" : "DOWN");
        return up;
    }

    ObjectNode stats() {
        ObjectNode out = json.createObjectNode();
        long now = System.currentTimeMillis();
        out.put("time", now);
        out.put("uptimeSeconds", (now - startedMillis) / 1000);
        ArrayNode list = out.putArray("servers");
        for (History h : servers) {
            Server s = h.server;
            ObjectNode o = list.addObject();
            o.put("name", s.name());
            o.put("running", s.isRunning());
            o.put("codec", s.codec().name());
            if (s.isRunning()) {
                if (s.config().mode() != io.paguma.PagumaConfig.Mode.WEBSOCKET) o.put("port", s.port());
                if (s.config().mode() != io.paguma.PagumaConfig.Mode.TCP) {
                    o.putObject("webSocket").put("port", s.wsPort()).put("path", s.config().wsPath()).put("secure", s.config().tls());
                }
            }
            o.put("connections", s.isRunning() ? safeCount(s) : 0);
            var t = s.traffic();
            o.putObject("totals").put("messagesIn", t.messagesIn()).put("messagesOut", t.messagesOut())
                    .put("bytesIn", t.bytesIn()).put("bytesOut", t.bytesOut());
            History.Series series = h.series();
            ObjectNode rates = o.putObject("rates");
            rate(rates, "messagesIn", series.messagesIn);
            rate(rates, "messagesOut", series.messagesOut);
            rate(rates, "bytesIn", series.bytesIn);
            rate(rates, "bytesOut", series.bytesOut);
            EndpointStats st = s.stats();
            o.putObject("events").put("accepted", st.accepted()).put("refused", st.refused())
                    .put("framesRejected", st.framesRejected()).put("unknownMessages", st.unknownMessages())
                    .put("routerFailures", st.routerFailures()).put("idleCloses", st.idleCloses())
                    .put("slowPeerCuts", st.slowPeerCuts()).put("readPauses", st.readPauses())
                    .put("requestTimeouts", st.requestTimeouts()).put("requestsExpired", st.requestsExpired())
                    .put("perIpRefusals", st.perIpRefusals()).put("acceptRatePauses", st.acceptRatePauses())
                    .put("messageRateLimits", st.messageRateLimits()).put("authFailures", st.authFailures());
            ArrayNode queues = o.putArray("workerQueues");
            for (int d : s.isRunning() ? s.workerQueueDepths() : new int[0]) queues.add(d);
            ObjectNode se = o.putObject("series");
            ArrayNode times = se.putArray("time"), conns = se.putArray("connections"), mi = se.putArray("messagesIn"),
                    mo = se.putArray("messagesOut"), bi = se.putArray("bytesIn"), bo = se.putArray("bytesOut");
            for (int i = 0; i < series.size(); i++) {
                times.add(series.time[i]);
                conns.add(series.connections[i]);
                mi.add(Math.round(series.messagesIn[i]));
                mo.add(Math.round(series.messagesOut[i]));
                bi.add(Math.round(series.bytesIn[i]));
                bo.add(Math.round(series.bytesOut[i]));
            }
        }
        // The routes of every endpoint on the runtime (route series carry no server): their rates from the first watched server's samples.
        ArrayNode top = out.putArray("topRoutes");
        Map<String, double[]> routeRates = servers.isEmpty() ? Map.of() : servers.get(0).routeRates();
        List<Recorder.Route> routes = new ArrayList<>(recorder.routes());
        routes.sort(Comparator.comparingDouble((Recorder.Route r) -> -routeRates.getOrDefault(r.name, new double[2])[1])
                .thenComparing(r -> -r.timer.count()));
        for (Recorder.Route r : routes.subList(0, Math.min(10, routes.size()))) {
            var snap = r.timer.takeSnapshot();
            double[] rr = routeRates.getOrDefault(r.name, new double[2]);
            // Estimates from the timed sample (exact when admin.routerSample is 1).
            int k = recorder.sample;
            top.addObject().put("route", r.name).put("count", r.timer.count() * k).put("lastMinute", (long) rr[0] * k)
                    .put("perSecond", Math.round(rr[1] * k * 10) / 10.0).put("sampled", k)
                    .put("meanMicros", Math.round(snap.mean(TimeUnit.MICROSECONDS) * 10) / 10.0)
                    .put("maxMicros", Math.round(snap.max(TimeUnit.MICROSECONDS) * 10) / 10.0);
        }
        ArrayNode errors = out.putArray("recentErrors");
        for (Recorder.Error e : recorder.recentErrors()) {
            errors.addObject().put("time", e.timeMillis()).put("kind", e.kind()).put("connection", e.connection())
                    .put("address", e.address()).put("detail", e.detail());
        }
        Runtime rt = Runtime.getRuntime();
        out.putObject("memory").put("heapUsed", rt.totalMemory() - rt.freeMemory()).put("heapMax", rt.maxMemory())
                .put("nettyDirectUsed", io.netty.util.internal.PlatformDependent.usedDirectMemory());
        return out;
    }

    private static void rate(ObjectNode rates, String name, double[] perSecond) {
        rates.putObject(name).put("lastSecond", Math.round(History.Series.last(perSecond)))
                .put("lastMinute", Math.round(History.Series.mean(perSecond)));
    }

    /** One page of a server's open connections, by id. */
    ObjectNode connections(String serverName, int page, int size) {
        ObjectNode out = json.createObjectNode();
        History h = servers.stream().filter(x -> serverName == null || x.server.name().equals(serverName)).findFirst().orElse(null);
        if (h == null || !h.server.isRunning()) {
            out.put("total", 0).put("page", page).put("size", size).putArray("connections");
            return out;
        }
        List<Connection> all = new ArrayList<>(h.server.connections().all());
        all.sort(Comparator.comparingLong(Connection::id));
        out.put("server", h.server.name()).put("total", all.size()).put("page", page).put("size", size);
        ArrayNode list = out.putArray("connections");
        int from = (int) Math.min(all.size(), (long) page * size);   // a huge page is past the end, never an overflow
        for (Connection c : all.subList(from, Math.min(all.size(), from + size))) {
            var t = c.traffic();
            InetSocketAddress a = c.remoteAddress();
            ObjectNode o = list.addObject().put("id", c.id()).put("address", a == null ? "" : a.getHostString() + ":" + a.getPort());
            Long opened = recorder.openedAt.get(c);
            if (opened != null) o.put("openedAt", opened);
            o.put("messagesIn", t.messagesIn()).put("messagesOut", t.messagesOut()).put("bytesIn", t.bytesIn()).put("bytesOut", t.bytesOut());
        }
        return out;
    }

    ObjectMapper json() {
        return json;
    }

    /** Builds an {@link Admin}. */
    public static final class Builder {
        private PagumaRuntime runtime;
        private PagumaConfig config;

        private Builder() {
        }

        /** The runtime whose IO threads serve the port and whose endpoints it hears; default: one of its own. */
        public Builder runtime(PagumaRuntime runtime) {
            this.runtime = Objects.requireNonNull(runtime, "runtime");
            return this;
        }

        /** Section {@code admin:} of this config; default: the runtime's. */
        public Builder config(PagumaConfig config) {
            this.config = Objects.requireNonNull(config, "config");
            return this;
        }

        public Admin build() {
            return new Admin(this);
        }
    }
}
