package io.paguma.bench.server;

import io.paguma.PagumaConfig;
import io.paguma.Server;

/** Paguma doing the baseline's work: an echo route on message id 1, {@code ltv-le} frames. */
public final class PagumaEchoServer implements BenchTarget {
    public static final int ECHO = 1;

    private final Server server;
    private final io.paguma.PagumaRuntime runtime;
    private final io.paguma.admin.Admin admin;
    private final java.util.concurrent.ScheduledExecutorService scraper;

    public PagumaEchoServer(PagumaConfig config) {
        this(config, false);
    }

    /**
     * The same server on a runtime with the admin endpoint (paguma-admin) hearing it — router
     * timings per route, counters, the sampler — and its {@code /metrics} fetched over HTTP once a
     * second, as a Prometheus scraping every second would (more often than the usual 15 s).
     */
    public static PagumaEchoServer withAdmin(PagumaConfig config) {
        return new PagumaEchoServer(config, true);
    }

    private PagumaEchoServer(PagumaConfig config, boolean withAdmin) {
        Server.Builder b = Server.builder();
        if (withAdmin) {
            config = config.toBuilder().set(new io.paguma.admin.AdminConfig(), io.paguma.admin.AdminConfig.PORT, 0).build();
            runtime = io.paguma.PagumaRuntime.create(config);
            admin = io.paguma.admin.Admin.builder().runtime(runtime).config(config).build();
            b.runtime(runtime);
        } else {
            runtime = null;
            admin = null;
        }
        // zeroCopy: the payload is a view of the read buffer, sent back without an array or a future (one copy,
        // into the write batch); otherwise the byte[] API (a copy out, a copy in).
        server = b.config(config)
                .route(ECHO, config.zeroCopy() ? r -> r.replyAndForget(ECHO, r.payload()) : r -> r.reply(ECHO, r.data()))
                .build()
                .start();
        if (admin != null) {
            admin.watch(server).start();
            java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
            java.net.URI metrics = java.net.URI.create("http://127.0.0.1:" + admin.port() + "/metrics");
            // A fetch of /metrics a second, as a Prometheus scraping every second would.
            scraper = java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "bench-scraper");
                t.setDaemon(true);
                return t;
            });
            scraper.scheduleWithFixedDelay(() -> {
                try {
                    http.send(java.net.http.HttpRequest.newBuilder(metrics).build(), java.net.http.HttpResponse.BodyHandlers.discarding());
                } catch (java.io.IOException | InterruptedException stopping) {
                    // the admin endpoint is closing
                }
            }, 1, 1, java.util.concurrent.TimeUnit.SECONDS);
        } else {
            scraper = null;
        }
    }

    @Override
    public int port() {
        return server.port();
    }

    @Override
    public int connections() {
        return server.connections().count();
    }

    @Override
    public String describe() {
        PagumaConfig c = server.config();
        return "Paguma (" + server.transport() + ", " + c.ioThreads() + " IO thread(s), workerPoolSize "
                + c.workerPoolSize() + (admin != null ? ", admin endpoint on, /metrics scraped every second" : "") + ")";
    }

    @Override
    public void close() {
        if (scraper != null) scraper.shutdownNow();
        server.stop();
        if (admin != null) admin.close();
        if (runtime != null) runtime.close();
    }

    public Server server() {
        return server;
    }
}
