package io.paguma;

import io.paguma.internal.ThreadNames;
import io.paguma.testing.FrameSocket;
import io.paguma.testing.Servers;
import org.junit.jupiter.api.Test;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** Issue 10, item 7: thread names read "paguma-worker-0", not "paguma-paguma-worker-0", for the default name. */
class ThreadNamesTest {
    @Test
    void prefixAddsPagumaOnlyWhereItIsMissing() {
        assertThat(ThreadNames.of("paguma", "worker-0")).isEqualTo("paguma-worker-0");
        assertThat(ThreadNames.of("paguma-client", "worker-0")).isEqualTo("paguma-client-worker-0");
        assertThat(ThreadNames.of("chat", "io")).isEqualTo("paguma-chat-io");
        assertThat(ThreadNames.of("chat-client", "warnings")).isEqualTo("paguma-chat-client-warnings");
        assertThat(ThreadNames.of("pagumax", "io")).isEqualTo("paguma-pagumax-io");
    }

    private static Server threadEcho(PagumaConfig config) {
        return Server.builder().config(config)
                .route(1, r -> r.reply(1, Thread.currentThread().getName()))
                .onConnStart(c -> c.send(20, Thread.currentThread().getName()))
                .build().start();
    }

    @Test
    void aServerWithTheDefaultNameHasWorkersNamedPagumaWorker() throws Exception {
        Server server = threadEcho(Servers.config().name("paguma").workerPoolSize(1).build());
        try (FrameSocket s = FrameSocket.connect(server.port())) {
            assertThat(s.read().text()).as("onConnStart's thread").isEqualTo("paguma-worker-0");
            s.send(1, "");
            assertThat(s.read().text()).isEqualTo("paguma-worker-0");
        } finally {
            server.stop();
        }
    }

    @Test
    void anyOtherNameKeepsItsPagumaPrefix() throws Exception {
        Server server = threadEcho(Servers.config().name("kv").workerPoolSize(1).build());
        try (FrameSocket s = FrameSocket.connect(server.port())) {
            assertThat(s.read().text()).isEqualTo("paguma-kv-worker-0");
        } finally {
            server.stop();
        }
    }

    @Test
    void aClientWithTheDefaultNameHasAWorkerNamedPagumaClientWorker() throws Exception {
        Server server = threadEcho(Servers.config().name("kv").build());
        CompletableFuture<String> thread = new CompletableFuture<>();
        Client client = Client.builder()
                .config(PagumaConfig.builder().host("127.0.0.1").port(server.port()).workerPoolSize(1).build())
                .route(20, push -> thread.complete(Thread.currentThread().getName()))
                .build();
        try {
            client.connect().get(10, TimeUnit.SECONDS);
            assertThat(thread.get(10, TimeUnit.SECONDS)).isEqualTo("paguma-client-worker-0");
        } finally {
            client.close().get(10, TimeUnit.SECONDS);
            server.stop();
        }
    }
}
