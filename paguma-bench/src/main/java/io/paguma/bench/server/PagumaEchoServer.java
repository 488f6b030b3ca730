package io.paguma.bench.server;

import io.paguma.PagumaConfig;
import io.paguma.Server;

/** Paguma doing the baseline's work: an echo route on message id 1, {@code ltv-le} frames. */
public final class PagumaEchoServer implements BenchTarget {
    public static final int ECHO = 1;

    private final Server server;

    public PagumaEchoServer(PagumaConfig config) {
        server = Server.builder()
                .config(config)
                .route(ECHO, r -> r.reply(ECHO, r.data()))
                .build()
                .start();
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
                + c.workerPoolSize() + ")";
    }

    @Override
    public void close() {
        server.stop();
    }

    public Server server() {
        return server;
    }
}
