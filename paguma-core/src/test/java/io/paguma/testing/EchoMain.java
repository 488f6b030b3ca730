package io.paguma.testing;

import io.paguma.PagumaConfig;
import io.paguma.Server;

import java.io.IOException;

/**
 * An echo server in a process of its own, for tests that must change the process (a low
 * {@code ulimit -n}): prints {@code PORT <n>} once listening and stops when its stdin closes.
 */
public final class EchoMain {
    private EchoMain() {
    }

    public static void main(String[] args) throws IOException {
        Server server = Server.builder()
                .config(PagumaConfig.builder().name("child").host("127.0.0.1").port(0).ioThreads(1).workerPoolSize(1).build())
                .route(1, r -> r.reply(1, r.data()))
                .build().start();
        System.out.println("PORT " + server.port());
        System.out.flush();
        while (System.in.read() >= 0) {
            // Until the parent closes our stdin.
        }
        server.stop();
    }
}
