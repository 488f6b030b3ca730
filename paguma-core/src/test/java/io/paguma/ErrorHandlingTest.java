package io.paguma;

import io.paguma.testing.FrameSocket;
import io.paguma.testing.LogCapture;
import io.paguma.testing.Servers;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * Errors thrown by routers and hooks (issue 9, item 10): every {@link Error} is logged at ERROR,
 * never rate-limited; a {@link VirtualMachineError} is also rethrown, which closes the connection
 * it happened on while the worker (or IO thread) and every other connection carry on.
 */
class ErrorHandlingTest {
    private static final Duration WAIT = Duration.ofSeconds(15);

    private static String marker(String what) {
        return what + "-" + UUID.randomUUID();
    }

    private static String address(FrameSocket s) {
        return "127.0.0.1:" + s.socket().getLocalPort();
    }

    @Test
    void routerErrorIsLoggedEveryTimeNotRateLimited() throws Exception {
        String marker = marker("assertion");
        Server server = Server.builder().config(Servers.config().workerPoolSize(1).build())
                .route(1, r -> {
                    throw new AssertionError(marker);
                })
                .route(2, r -> r.reply(2, r.data()))
                .build().start();
        try (LogCapture logs = LogCapture.start(); FrameSocket peer = FrameSocket.connect(server.port())) {
            for (int i = 0; i < 3; i++) peer.send(1, "boom");
            peer.send(2, "after");
            assertThat(peer.read().text()).isEqualTo("after");
            // Within one warnInterval (5 s by default): a rate limiter would have let only one through.
            await().atMost(WAIT).untilAsserted(() -> assertThat(logs.lines(marker)).hasSize(3));
            assertThat(logs.at("ERROR", marker)).hasSize(3)
                    .allSatisfy(l -> assertThat(l).contains(address(peer), "threw in handle", "AssertionError"));
        } finally {
            server.stop();
        }
    }

    @Test
    void virtualMachineErrorFromRouterIsRethrownAfterLogging() {
        String marker = marker("oom");
        OutOfMemoryError oom = new OutOfMemoryError(marker);
        MessageHandler handler = new MessageHandler(RouteTable.of(Map.of(7, r -> {
            throw oom;
        }), null), Duration.ofSeconds(5), new io.paguma.internal.EventHub(java.util.List.of(), null));
        try (LogCapture logs = LogCapture.start()) {
            assertThatThrownBy(() -> handler.handle(new Request(null, new Message(7, new byte[0])))).isSameAs(oom);
            assertThat(logs.at("ERROR", marker, "threw in handle")).hasSize(1);
        }
    }

    @Test
    void virtualMachineErrorFromRouterClosesOnlyItsConnectionAndTheWorkerCarriesOn() throws Exception {
        routerVirtualMachineError(1);
    }

    @Test
    void virtualMachineErrorFromRouterOnTheIoThreadClosesOnlyItsConnection() throws Exception {
        routerVirtualMachineError(0);
    }

    private void routerVirtualMachineError(int workers) throws Exception {
        String marker = marker("oom");
        // One worker: the connections that carry on share the worker the error was thrown on.
        Server server = Server.builder().config(Servers.config().workerPoolSize(workers).build())
                .route(1, r -> {
                    throw new OutOfMemoryError(marker);
                })
                .route(2, r -> r.reply(2, r.data()))
                .build().start();
        try (LogCapture logs = LogCapture.start();
             FrameSocket victim = FrameSocket.connect(server.port());
             FrameSocket other = FrameSocket.connect(server.port())) {
            other.send(2, "before");
            assertThat(other.read().text()).isEqualTo("before");
            victim.send(1, "boom");
            await().atMost(WAIT).untilAsserted(() -> assertThat(logs.at("ERROR", marker, address(victim)))
                    .singleElement().asString().contains("threw in handle", "OutOfMemoryError"));
            assertThat(victim.closedByPeer()).as("the connection the error was thrown on is closed").isTrue();
            if (workers > 0) {
                await().atMost(WAIT).untilAsserted(() -> assertThat(logs.at("ERROR", marker, "the worker carries on"))
                        .hasSize(1));
            }
            other.send(2, "after");
            assertThat(other.read().text()).isEqualTo("after");
            try (FrameSocket late = FrameSocket.connect(server.port())) {
                late.send(2, "new");
                assertThat(late.read().text()).isEqualTo("new");
            }
        } finally {
            server.stop();
        }
    }

    @Test
    void hookErrorIsLoggedAtErrorEveryTime() throws Exception {
        String marker = marker("linkage");
        AtomicInteger stops = new AtomicInteger();
        Server server = Server.builder().config(Servers.config().build())
                .onConnStop(c -> {
                    stops.incrementAndGet();
                    throw new NoClassDefFoundError(marker);
                })
                .route(2, r -> r.reply(2, r.data()))
                .build().start();
        try (LogCapture logs = LogCapture.start()) {
            for (int i = 0; i < 3; i++) {
                try (FrameSocket peer = FrameSocket.connect(server.port())) {
                    peer.send(2, "hi");
                    assertThat(peer.read().text()).isEqualTo("hi");
                }
            }
            await().atMost(WAIT).until(() -> stops.get() == 3);
            await().atMost(WAIT).untilAsserted(() -> assertThat(logs.lines(marker)).hasSize(3));
            assertThat(logs.at("ERROR", marker)).hasSize(3)
                    .allSatisfy(l -> assertThat(l).contains("onConnStop", "NoClassDefFoundError"));
            try (FrameSocket peer = FrameSocket.connect(server.port())) {
                peer.send(2, "still");
                assertThat(peer.read().text()).isEqualTo("still");
            }
        } finally {
            server.stop();
        }
    }

    @Test
    void virtualMachineErrorFromHookClosesOnlyItsConnectionAndOthersCarryOn() throws Exception {
        String marker = marker("overflow");
        AtomicBoolean first = new AtomicBoolean(true);
        AtomicInteger stops = new AtomicInteger();
        Server server = Server.builder().config(Servers.config().workerPoolSize(1).build())
                .onConnStart(c -> {
                    if (first.getAndSet(false)) throw new StackOverflowError(marker);
                })
                .onConnStop(c -> stops.incrementAndGet())
                .route(2, r -> r.reply(2, r.data()))
                .build().start();
        try (LogCapture logs = LogCapture.start(); FrameSocket victim = FrameSocket.connect(server.port())) {
            await().atMost(WAIT).untilAsserted(() -> assertThat(logs.at("ERROR", marker, address(victim)))
                    .singleElement().asString().contains("onConnStart hook threw", "StackOverflowError"));
            assertThat(victim.closedByPeer()).as("the connection the error was thrown on is closed").isTrue();
            await().atMost(WAIT).until(() -> stops.get() == 1);
            try (FrameSocket other = FrameSocket.connect(server.port())) {
                other.send(2, "fine");
                assertThat(other.read().text()).isEqualTo("fine");
            }
            assertThat(logs.at("ERROR", marker, "the worker carries on")).hasSize(1);
        } finally {
            server.stop();
        }
    }

    /** A buggy custom exception: computing its message throws. */
    static final class UnprintableException extends RuntimeException {
        @Override
        public String getMessage() {
            throw new NullPointerException("getMessage failed");
        }
    }

    @Test
    void aRouterExceptionThatCannotBePrintedDoesNotKillTheWorker() throws Exception {
        java.util.concurrent.CountDownLatch thrown = new java.util.concurrent.CountDownLatch(1);
        Server server = Server.builder()
                .config(Servers.config().workerPoolSize(1).build())
                .route(1, r -> r.reply(1, r.data()))
                .route(2, r -> {
                    thrown.countDown();
                    throw new UnprintableException();
                })
                .build().start();
        try (FrameSocket a = FrameSocket.connect(server.port()); FrameSocket b = FrameSocket.connect(server.port())) {
            a.send(2, "boom");
            assertThat(thrown.await(15, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
            // The same (only) worker must still serve: a request that runs after the broken exception was handled.
            b.send(1, "still served");
            assertThat(b.read().text()).isEqualTo("still served");
            a.send(1, "me too");
            assertThat(a.read().text()).isEqualTo("me too");
        } finally {
            server.stop();
        }
    }
}
