package io.paguma;

import io.paguma.testing.FrameSocket;
import io.paguma.testing.JavaSources;
import io.paguma.testing.LogCapture;
import io.paguma.testing.Servers;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Faults (issue 16 item 4): a peer that resets mid-frame; a server restarted under load with
 * reconnecting clients; a stop under heavy traffic; a client process killed (-9) while the server
 * waits on thousands of its requests. Nothing acknowledged is lost, nothing runs twice, nothing is
 * left waiting, and other connections carry on.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class FaultTest {
    private static final Duration WAIT = Duration.ofSeconds(20);

    @Test
    void aPeerThatResetsMidFrameLosesOnlyItsOwnConnection() throws Exception {
        AtomicInteger stops = new AtomicInteger();
        Server server = Server.builder().config(Servers.config().build())
                .route(1, r -> r.reply(1, r.data()))
                .onConnStop(c -> stops.incrementAndGet())
                .build().start();
        try (LogCapture logs = LogCapture.start(); FrameSocket bystander = FrameSocket.connect(server.port())) {
            for (int round = 0; round < 50; round++) {
                Socket s = new Socket("127.0.0.1", server.port());
                // A header announcing 1,000 bytes, 10 of them, then a reset (SO_LINGER 0).
                s.getOutputStream().write(new byte[]{(byte) 0xE8, 3, 0, 0, 1, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10});
                s.setSoLinger(true, 0);
                s.close();
                bystander.send(1, "rt " + round);
                assertThat(bystander.read().text()).isEqualTo("rt " + round);
            }
            await().atMost(WAIT).until(() -> stops.get() == 50 && server.connections().count() == 1);
            // Each reset is at most one line (rate-limited), never a stack trace.
            assertThat(logs.traces()).isEmpty();
        } finally {
            server.stop();
        }
    }

    /** Requests of a client under load: each carries a unique number; the server records what it ran. */
    private static final class Load {
        final Map<Integer, Integer> ran = new ConcurrentHashMap<>();
        final Set<Integer> acknowledged = ConcurrentHashMap.newKeySet();
        final AtomicInteger failed = new AtomicInteger();
        final AtomicInteger next = new AtomicInteger();

        Server server(int port) {
            return Server.builder().config(Servers.config().port(port).codec("paguma").build())
                    .route(1, r -> {
                        ran.merge(Integer.parseInt(r.text()), 1, Integer::sum);
                        r.reply(1, r.data());
                    })
                    .build().start();
        }

        /** Keeps {@code window} requests in flight on {@code client} until {@code stop}. */
        Thread drive(Client client, int window, AtomicBoolean stop) {
            Thread t = new Thread(() -> {
                java.util.concurrent.Semaphore slots = new java.util.concurrent.Semaphore(window);
                while (!stop.get()) {
                    try {
                        if (!slots.tryAcquire(100, TimeUnit.MILLISECONDS)) continue;
                    } catch (InterruptedException e) {
                        return;
                    }
                    int n = next.getAndIncrement();
                    client.request(1, Integer.toString(n).getBytes(StandardCharsets.UTF_8), Duration.ofSeconds(10)).whenComplete((m, e) -> {
                        if (e == null && m.text().equals(Integer.toString(n))) acknowledged.add(n);
                        else failed.incrementAndGet();
                        slots.release();
                    });
                }
            }, "load");
            t.start();
            return t;
        }
    }

    private static Client reconnecting(int port) {
        Client c = Client.builder().config(PagumaConfig.builder().name("load").host("127.0.0.1").port(port).codec("paguma")
                .reconnectBase(Duration.ofMillis(50)).reconnectMaxDelay(Duration.ofMillis(200)).build()).build();
        c.connect().orTimeout(10, TimeUnit.SECONDS).join();
        return c;
    }

    @Test
    void aServerRestartedUnderLoadLosesNoAcknowledgedRequestAndRunsNoneTwice() throws Exception {
        Load load = new Load();
        Server first = load.server(0);
        int port = first.port();
        List<Client> clients = new ArrayList<>();
        AtomicBoolean stop = new AtomicBoolean();
        List<Thread> drivers = new ArrayList<>();
        Server second = null;
        try {
            for (int i = 0; i < 4; i++) {
                Client c = reconnecting(port);
                clients.add(c);
                drivers.add(load.drive(c, 64, stop));
            }
            await().atMost(WAIT).until(() -> load.acknowledged.size() > 2000);
            long stopAt = System.nanoTime();
            StopReport report = first.stop();
            int acknowledgedBefore = load.acknowledged.size();
            second = load.server(port);
            await().atMost(WAIT).until(() -> load.acknowledged.size() > acknowledgedBefore + 2000);
            long recovered = System.nanoTime();
            stop.set(true);
            for (Thread t : drivers) t.join(10_000);
            // Every request is settled: acknowledged or failed (its caller told).
            await().atMost(WAIT).until(() -> load.acknowledged.size() + load.failed.get() == load.next.get());
            for (int n : load.acknowledged) {
                assertThat(load.ran.get(n)).as("acknowledged request %d ran once", n).isEqualTo(1);
            }
            assertThat(load.ran.values()).as("no request ran twice").allMatch(count -> count == 1);
            long ranUnacknowledged = load.ran.keySet().stream().filter(n -> !load.acknowledged.contains(n)).count();
            System.out.printf("FAULT restart under load: %d requests, %d acknowledged (each ran once), %d failed to "
                            + "their callers (most made while disconnected; %d of them ran: reply lost with the connection), 0 ran twice; "
                            + "first stop %s; the clients were served again %d ms after the stop began%n",
                    load.next.get(), load.acknowledged.size(), load.failed.get(), ranUnacknowledged, report,
                    TimeUnit.NANOSECONDS.toMillis(recovered - stopAt));
        } finally {
            stop.set(true);
            for (Client c : clients) c.close();
            first.stop();
            if (second != null) second.stop();
        }
    }

    @Test
    void aStopUnderHeavyTrafficAnswersEveryRequestItRan() throws Exception {
        Load load = new Load();
        Server server = load.server(0);
        List<Client> clients = new ArrayList<>();
        AtomicBoolean stop = new AtomicBoolean();
        List<Thread> drivers = new ArrayList<>();
        try {
            for (int i = 0; i < 8; i++) {
                Client c = Client.builder().config(PagumaConfig.builder().name("load").host("127.0.0.1").port(server.port())
                        .codec("paguma").reconnect(false).build()).build();
                c.connect().orTimeout(10, TimeUnit.SECONDS).join();
                clients.add(c);
                drivers.add(load.drive(c, 256, stop));
            }
            await().atMost(WAIT).until(() -> load.acknowledged.size() > 20_000);
            long start = System.nanoTime();
            StopReport report = server.stop();
            long drained = System.nanoTime() - start;
            stop.set(true);
            for (Thread t : drivers) t.join(10_000);
            await().atMost(WAIT).until(() -> load.acknowledged.size() + load.failed.get() == load.next.get());
            // Zero accepted requests lost: every request a router ran was answered to its caller.
            Set<Integer> ranNotAnswered = new java.util.HashSet<>(load.ran.keySet());
            ranNotAnswered.removeAll(load.acknowledged);
            assertThat(ranNotAnswered).as("requests that ran and whose reply was lost").isEmpty();
            assertThat(report.requestsDropped()).isZero();
            assertThat(report.graceExpired()).isFalse();
            System.out.printf("FAULT stop under traffic (8 clients x 256 in flight): %d acknowledged, %d failed to their "
                            + "callers (made during or after the stop: not run), 0 ran without an answer; stop took %d ms; %s%n",
                    load.acknowledged.size(), load.failed.get(), TimeUnit.NANOSECONDS.toMillis(drained), report);
        } finally {
            stop.set(true);
            for (Client c : clients) c.close();
            server.stop();
        }
    }

    @Test
    void killingAClientProcessFailsTheServersThousandsOfPendingRequestsPromptly() throws Exception {
        int pending = 5000;
        List<CompletableFuture<Message>> requests = new ArrayList<>();
        AtomicReference<Connection> silent = new AtomicReference<>();
        CountDownLatch connected = new CountDownLatch(1);
        Server server = Server.builder().config(Servers.config().codec("paguma").build())
                .onConnStart(c -> {
                    silent.set(c);
                    connected.countDown();
                })
                .build().start();
        String java = ProcessHandle.current().info().command().orElse("java");
        Process child = new ProcessBuilder(java, "-cp", JavaSources.testClassPath(), "io.paguma.testing.SilentClientMain",
                Integer.toString(server.port())).redirectErrorStream(true).start();
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
            String line;
            while ((line = out.readLine()) != null && !line.contains("CONNECTED")) {
                // the child's log lines
            }
            assertThat(line).as("the child connected").isNotNull();
            assertThat(connected.await(20, TimeUnit.SECONDS)).isTrue();
            Connection c = silent.get();
            for (int i = 0; i < pending; i++) requests.add(c.request(7, ("q" + i).getBytes(), Duration.ofSeconds(60)));
            // Every request reached the child (it reads them and never answers).
            await().atMost(WAIT).until(() -> c.traffic().messagesOut() >= pending);
            long killed = System.nanoTime();
            child.destroyForcibly();
            assertThat(child.waitFor(20, TimeUnit.SECONDS)).isTrue();
            AtomicLong lastFailed = new AtomicLong();
            CompletableFuture.allOf(requests.stream().map(f -> f.handle((m, e) -> {
                lastFailed.accumulateAndGet(System.nanoTime(), Math::max);
                return null;
            })).toArray(CompletableFuture[]::new)).get(20, TimeUnit.SECONDS);
            assertThat(requests).allMatch(f -> f.isCompletedExceptionally());
            for (CompletableFuture<Message> f : requests) {
                Throwable e = f.handle((m, t) -> t instanceof java.util.concurrent.CompletionException ? t.getCause() : t).join();
                assertThat(e).isInstanceOf(ConnectionClosedException.class);
            }
            long millis = TimeUnit.NANOSECONDS.toMillis(lastFailed.get() - killed);
            assertThat(millis).as("all failed within 5 s of the kill (their timeout was 60 s)").isLessThan(5000);
            await().atMost(WAIT).until(() -> server.connections().count() == 0);
            System.out.println("FAULT kill -9 of a client with " + pending + " server requests pending: all failed "
                    + millis + " ms after the kill, connection gone, nothing left waiting");
        } finally {
            child.destroyForcibly();
            server.stop();
        }
    }
}
