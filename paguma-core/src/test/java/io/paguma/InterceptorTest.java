package io.paguma;

import io.paguma.testing.FrameSocket;
import io.paguma.testing.Servers;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/** Middleware around routers (Zinx's Use / Group): order, id ranges, short-circuit, failures. */
class InterceptorTest {

    private static Interceptor recording(List<String> trace, String name) {
        return (request, chain) -> {
            trace.add(name + " in " + request.id());
            chain.proceed(request);
            trace.add(name + " out " + request.id());
        };
    }

    @Test
    void interceptorsRunInRegistrationOrderAroundTheRouterStepsForTheirIds() throws Exception {
        List<String> trace = new CopyOnWriteArrayList<>();
        Server server = Server.builder().config(Servers.config().build())
                .use(recording(trace, "all"))
                .use(100, 199, recording(trace, "group"))
                .use(recording(trace, "last"))
                .route(150, new BaseRouter() {
                    @Override public void preHandle(Request r) { trace.add("pre"); }
                    @Override public void handle(Request r) { trace.add("handle"); r.reply(150, "ok"); }
                    @Override public void postHandle(Request r) { trace.add("post"); }
                })
                .route(7, r -> {
                    trace.add("router 7");
                    r.reply(7, "ok");
                })
                .build().start();
        try (FrameSocket s = FrameSocket.connect(server.port())) {
            s.send(150, "x");
            assertThat(s.read().text()).isEqualTo("ok");
            await().atMost(Duration.ofSeconds(10)).until(() -> trace.size() == 9);
            assertThat(trace).containsExactly("all in 150", "group in 150", "last in 150",
                    "pre", "handle", "post", "last out 150", "group out 150", "all out 150");
            trace.clear();
            // Outside the group's ids: only the interceptors for every id.
            s.send(7, "y");
            assertThat(s.read().text()).isEqualTo("ok");
            await().atMost(Duration.ofSeconds(10)).until(() -> trace.size() == 5);
            assertThat(trace).containsExactly("all in 7", "last in 7", "router 7", "last out 7", "all out 7");
        } finally {
            server.stop();
        }
    }

    @Test
    void anInterceptorThatDoesNotProceedStopsTheChain() throws Exception {
        List<String> trace = new CopyOnWriteArrayList<>();
        Server server = Server.builder().config(Servers.config().build())
                .use(recording(trace, "outer"))
                // Authentication: only a connection with a user gets through.
                .use(100, 199, (request, chain) -> {
                    if (request.connection().property("user") != null) chain.proceed(request);
                    else request.reply(401, "log in first");
                })
                .use(recording(trace, "inner"))
                .route(1, r -> {
                    r.connection().property("user", r.text());
                    r.reply(1, "hello " + r.text());
                })
                .route(100, r -> {
                    trace.add("secret router");
                    r.reply(100, "secret");
                })
                .build().start();
        try (FrameSocket s = FrameSocket.connect(server.port())) {
            s.send(100, "let me in");
            Message refused = s.read();
            assertThat(refused.id()).isEqualTo(401);
            assertThat(refused.text()).isEqualTo("log in first");
            await().atMost(Duration.ofSeconds(10)).until(() -> trace.size() == 2);
            assertThat(trace).containsExactly("outer in 100", "outer out 100");
            s.send(1, "ann");
            assertThat(s.read().text()).isEqualTo("hello ann");
            s.send(100, "now?");
            assertThat(s.read().text()).isEqualTo("secret");
            assertThat(trace).contains("inner in 100", "secret router");
        } finally {
            server.stop();
        }
    }

    @Test
    void anInterceptorThatThrowsIsAFailureOfTheRouteAndTheConnectionCarriesOn() throws Exception {
        List<String> failures = new CopyOnWriteArrayList<>();
        Server server = Server.builder().config(Servers.config().build())
                .eventListener(new EndpointListener() {
                    @Override public void routerFailed(Request request, Throwable failure) {
                        failures.add(request.id() + ": " + failure.getMessage());
                    }
                })
                .use(5, 5, (request, chain) -> {
                    throw new IllegalStateException("rate limit broken");
                })
                .route(5, r -> r.reply(5, "never"))
                .route(6, r -> r.reply(6, "fine"))
                .build().start();
        try (FrameSocket s = FrameSocket.connect(server.port())) {
            s.send(5, "x");
            s.send(6, "y");
            assertThat(s.read().text()).isEqualTo("fine");
            await().atMost(Duration.ofSeconds(10)).until(() -> failures.size() == 1);
            assertThat(failures).containsExactly("5: rate limit broken");
            assertThat(server.stats().routerFailures()).isEqualTo(1);
        } finally {
            server.stop();
        }
    }

    @Test
    void clientsHaveInterceptorsToo() {
        Server server = Server.builder().config(Servers.config().codec("paguma").build())
                .onConnStart(c -> c.send(new Message(20, "push".getBytes())))
                .build().start();
        List<String> seen = new CopyOnWriteArrayList<>();
        Client client = Client.builder()
                .config(PagumaConfig.builder().host("127.0.0.1").port(server.port()).codec("paguma").build())
                .use((request, chain) -> {
                    seen.add("intercepted " + request.text());
                    chain.proceed(request);
                })
                .route(20, r -> seen.add("routed " + r.text()))
                .build();
        try {
            client.connect().orTimeout(10, TimeUnit.SECONDS).join();
            await().atMost(Duration.ofSeconds(10)).until(() -> seen.size() == 2);
            assertThat(seen).containsExactly("intercepted push", "routed push");
        } finally {
            client.close().orTimeout(10, TimeUnit.SECONDS).join();
            server.stop();
        }
    }

    @Test
    void anEmptyIdRangeIsRefused() {
        assertThatThrownBy(() -> Server.builder().use(10, 9, (r, c) -> c.proceed(r)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("10..9");
    }
}
