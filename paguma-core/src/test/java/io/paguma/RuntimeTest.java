package io.paguma;

import io.paguma.testing.Servers;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** One runtime, many endpoints: servers and clients share its threads, and only its threads. */
class RuntimeTest {
    private static final int ECHO = 1;

    /** Paguma's threads that were not alive in {@code before}. */
    private static List<String> newPagumaThreads(Set<Thread> before) {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> !before.contains(t) && t.isAlive() && t.getName().startsWith("paguma-"))
                .map(Thread::getName).sorted().collect(Collectors.toList());
    }

    private static Server echoServer(PagumaRuntime rt, String name) {
        return Server.builder().runtime(rt).config(Servers.config().name(name).codec("paguma").build())
                .route(ECHO, r -> r.reply(ECHO, r.data()))
                .build().start();
    }

    @Test
    void twoServersAndAThousandClientsRunOnExactlyTheRuntimesThreads() {
        Set<Thread> before = Set.copyOf(Thread.getAllStackTraces().keySet());
        PagumaRuntime rt = PagumaRuntime.create(PagumaConfig.builder().name("shared")
                .bossThreads(1).ioThreads(2).workerPoolSize(3).build());
        List<Client> clients = new ArrayList<>();
        try {
            Server a = echoServer(rt, "a");
            Server b = echoServer(rt, "b");
            List<CompletableFuture<Connection>> connecting = new ArrayList<>();
            for (int i = 0; i < 1000; i++) {
                Client c = Client.builder().runtime(rt).name("c" + i)
                        .config(PagumaConfig.builder().host("127.0.0.1").port(i % 2 == 0 ? a.port() : b.port())
                                .codec("paguma").build())
                        .build();
                clients.add(c);
                connecting.add(c.connect());
            }
            CompletableFuture.allOf(connecting.toArray(new CompletableFuture[0])).orTimeout(60, TimeUnit.SECONDS).join();
            await().atMost(Duration.ofSeconds(30)).until(() -> a.connections().count() + b.connections().count() == 1000);
            // Every client answers, through both servers.
            List<CompletableFuture<Message>> replies = new ArrayList<>();
            for (int i = 0; i < clients.size(); i++) {
                replies.add(clients.get(i).request(ECHO, ("m" + i).getBytes(StandardCharsets.UTF_8), Duration.ofSeconds(20)));
            }
            for (int i = 0; i < replies.size(); i++) {
                assertThat(replies.get(i).orTimeout(30, TimeUnit.SECONDS).join().text()).isEqualTo("m" + i);
            }
            // 1 acceptor + 2 IO + 3 workers + 1 client event thread, and nothing else.
            List<String> threads = newPagumaThreads(before);
            assertThat(threads).as("Paguma threads: %s", threads).hasSize(7);
            assertThat(threads).allMatch(n -> n.startsWith("paguma-shared-"), "named after the runtime");
            assertThat(threads.stream().filter(n -> n.startsWith("paguma-shared-boss"))).hasSize(1);
            assertThat(threads.stream().filter(n -> n.startsWith("paguma-shared-io"))).hasSize(2);
            assertThat(threads.stream().filter(n -> n.startsWith("paguma-shared-worker-"))).hasSize(3);
            assertThat(threads.stream().filter(n -> n.startsWith("paguma-shared-client-events"))).hasSize(1);

            // Closing a client leaves the runtime (and everyone else on it) running.
            clients.get(0).close().orTimeout(10, TimeUnit.SECONDS).join();
            assertThat(clients.get(1).request(ECHO, "still".getBytes(StandardCharsets.UTF_8), Duration.ofSeconds(10))
                    .orTimeout(20, TimeUnit.SECONDS).join().text()).isEqualTo("still");
            assertThat(newPagumaThreads(before)).hasSize(7);
            // Stopping a server too.
            a.stop();
            assertThat(clients.get(1).request(ECHO, "on b".getBytes(StandardCharsets.UTF_8), Duration.ofSeconds(10))
                    .orTimeout(20, TimeUnit.SECONDS).join().text()).isEqualTo("on b");
            assertThat(newPagumaThreads(before)).hasSize(7);
        } finally {
            rt.close();
        }
        // Closing the runtime stopped the server, closed every client and ended every thread.
        assertThat(clients).allMatch(c -> c.state() == Client.State.CLOSED);
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(newPagumaThreads(before)).isEmpty());
    }

    @Test
    void anEndpointMayRunItsRoutersOnItsIoThreadsOnARuntimeWithWorkers() {
        PagumaRuntime rt = PagumaRuntime.create(PagumaConfig.builder().name("mixed").ioThreads(1).workerPoolSize(2).build());
        try {
            PagumaConfig cfg = Servers.config().codec("paguma").build();
            Server onWorkers = Server.builder().runtime(rt).config(cfg).name("w")
                    .route(ECHO, r -> r.reply(ECHO, Thread.currentThread().getName())).build().start();
            Server onIo = Server.builder().runtime(rt).config(cfg).name("io").routersOnIoThreads()
                    .route(ECHO, r -> r.reply(ECHO, Thread.currentThread().getName())).build().start();
            for (Server s : List.of(onWorkers, onIo)) {
                Client c = Client.builder().runtime(rt)
                        .config(PagumaConfig.builder().host("127.0.0.1").port(s.port()).codec("paguma").build()).build();
                c.connect().orTimeout(10, TimeUnit.SECONDS).join();
                String thread = c.request(ECHO, new byte[0]).orTimeout(10, TimeUnit.SECONDS).join().text();
                assertThat(thread).contains(s == onIo ? "-io-" : "-worker-");
                c.close().join();
            }
            // A client's routers too: a server's request to it is answered on the client's IO thread.
            CompletableFuture<String> ranOn = new CompletableFuture<>();
            Client asked = Client.builder().runtime(rt).routersOnIoThreads()
                    .config(PagumaConfig.builder().host("127.0.0.1").port(onIo.port()).codec("paguma").build())
                    .route(7, r -> ranOn.complete(Thread.currentThread().getName())).build();
            asked.connect().orTimeout(10, TimeUnit.SECONDS).join();
            await().atMost(Duration.ofSeconds(5)).until(() -> onIo.connections().count() == 1);
            onIo.connections().all().forEach(conn -> conn.send(7, new byte[0]));
            assertThat(ranOn.orTimeout(10, TimeUnit.SECONDS).join()).contains("-io-");
            asked.close();
        } finally {
            rt.close();
        }
    }

    @Test
    void aClosedRuntimeTakesNoMoreEndpoints() {
        PagumaRuntime rt = PagumaRuntime.create(PagumaConfig.builder().name("closed-rt").ioThreads(1).workerPoolSize(1).build());
        rt.close();
        assertThat(rt.isClosed()).isTrue();
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> echoServer(rt, "late"))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
        Client client = Client.builder().runtime(rt).config(PagumaConfig.builder().port(1).build()).build();
        assertThat(client.connect()).failsWithin(Duration.ofSeconds(1))
                .withThrowableOfType(java.util.concurrent.ExecutionException.class)
                .withCauseInstanceOf(IllegalStateException.class).withMessageContaining("closed");
    }

    @Test
    void aStopThatRunsOutOfTimeDropsOnlyItsOwnRequestsOnASharedWorker() throws Exception {
        PagumaRuntime rt = PagumaRuntime.create(PagumaConfig.builder().name("one-worker").ioThreads(1).workerPoolSize(1).build());
        java.util.concurrent.CountDownLatch blocked = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.atomic.AtomicBoolean interrupted = new java.util.concurrent.atomic.AtomicBoolean();
        try {
            Server slow = Server.builder().runtime(rt)
                    .config(Servers.config().name("slow").stopGracePeriod(Duration.ofMillis(300)).build())
                    .route(ECHO, r -> {
                        blocked.countDown();
                        try {
                            new java.util.concurrent.CountDownLatch(1).await();
                        } catch (InterruptedException e) {
                            interrupted.set(true);
                        }
                    })
                    .build().start();
            Server other = Server.builder().runtime(rt).config(Servers.config().name("other").build())
                    .route(ECHO, r -> r.reply(ECHO, r.data()))
                    .build().start();
            try (io.paguma.testing.FrameSocket s = io.paguma.testing.FrameSocket.connect(slow.port());
                 io.paguma.testing.FrameSocket o = io.paguma.testing.FrameSocket.connect(other.port())) {
                s.send(ECHO, "block");
                assertThat(blocked.await(10, TimeUnit.SECONDS)).isTrue();
                for (int i = 0; i < 3; i++) s.send(ECHO, "queued " + i);
                // Queued on the same (only) worker behind the blocked router.
                o.send(ECHO, "behind");
                await().atMost(Duration.ofSeconds(10)).until(() -> slow.traffic().messagesIn() == 4 && other.traffic().messagesIn() == 1);
                StopReport report = slow.stop();
                assertThat(interrupted.get()).as("the slow server's router was interrupted").isTrue();
                assertThat(report.requestsDropped()).as("%s", report).isEqualTo(3);
                // The other server's request on the same worker still ran.
                assertThat(o.read().text()).isEqualTo("behind");
                o.send(ECHO, "after");
                assertThat(o.read().text()).isEqualTo("after");
            }
        } finally {
            rt.close();
        }
    }

    @Test
    void closeWithTheInterruptFlagSetStillStopsEverythingAndKeepsTheFlag() {
        Set<Thread> before = Set.copyOf(Thread.getAllStackTraces().keySet());
        PagumaRuntime rt = PagumaRuntime.create(PagumaConfig.builder().name("interrupted").ioThreads(1).workerPoolSize(1).build());
        Server s1 = echoServer(rt, "s1");
        Server s2 = echoServer(rt, "s2");
        Thread.currentThread().interrupt();
        try {
            rt.close();
            assertThat(Thread.currentThread().isInterrupted()).as("the interrupt is kept").isTrue();
        } finally {
            Thread.interrupted();
        }
        assertThat(s1.isRunning()).isFalse();
        assertThat(s2.isRunning()).isFalse();
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(newPagumaThreads(before)).isEmpty());
    }

    @Test
    void stoppingAnIdleServerDoesNotWaitForAnotherServersBusyRouter() throws Exception {
        PagumaRuntime rt = PagumaRuntime.create(PagumaConfig.builder().name("busy").ioThreads(1).workerPoolSize(1).build());
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch busy = new java.util.concurrent.CountDownLatch(1);
        try {
            Server slow = Server.builder().runtime(rt).config(Servers.config().name("slow").build())
                    .route(ECHO, r -> {
                        busy.countDown();
                        release.await();
                        r.reply(ECHO, r.data());
                    })
                    .build().start();
            Server idle = Server.builder().runtime(rt)
                    .config(Servers.config().name("idle").stopGracePeriod(Duration.ofSeconds(10)).build())
                    .build().start();
            try (io.paguma.testing.FrameSocket s = io.paguma.testing.FrameSocket.connect(slow.port())) {
                s.send(ECHO, "hold");
                assertThat(busy.await(10, TimeUnit.SECONDS)).isTrue();
                long start = System.nanoTime();
                StopReport report = idle.stop();
                assertThat(report.graceExpired()).as("%s", report).isFalse();
                assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isLessThan(5000);
                release.countDown();
                assertThat(s.read().text()).isEqualTo("hold");
            }
        } finally {
            release.countDown();
            rt.close();
        }
    }

    @Test
    void closingTheRuntimeFromAClientListenerIsRefusedNotLeftWaiting() {
        PagumaRuntime rt = PagumaRuntime.create(PagumaConfig.builder().name("from-listener").ioThreads(1).workerPoolSize(1).build());
        try {
            Server server = echoServer(rt, "srv");
            CompletableFuture<Throwable> attempt = new CompletableFuture<>();
            Client client = Client.builder().runtime(rt)
                    .config(PagumaConfig.builder().host("127.0.0.1").port(server.port()).codec("paguma").build())
                    .listener(new ClientListener() {
                        @Override public void connected(Connection connection) {
                            try {
                                rt.close();
                                attempt.complete(null);
                            } catch (RuntimeException e) {
                                attempt.complete(e);
                            }
                        }
                    })
                    .build();
            client.connect();
            assertThat(attempt.orTimeout(10, TimeUnit.SECONDS).join())
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("closeAsync");
            assertThat(rt.isClosed()).isFalse();
        } finally {
            rt.close();
        }
    }
}
