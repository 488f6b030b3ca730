package io.paguma;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * What {@link Server.Builder} and {@link Client.Builder} have in common: config, codec, routes,
 * interceptors, hooks, event listeners and runtime. One model for both sides, as the connections
 * of both sides are one type.
 *
 * @param <B> the builder itself, so calls chain
 */
public abstract class EndpointBuilder<B extends EndpointBuilder<B>> {
    PagumaConfig config;
    String name;
    String host;
    Integer port;
    Codec codec;
    final RouteTable table = new RouteTable();
    Consumer<Connection> onConnStart;
    Consumer<Connection> onConnStop;
    PagumaRuntime runtime;
    final List<EndpointListener> eventListeners = new ArrayList<>();
    boolean routersOnIoThreads;

    EndpointBuilder() {
    }

    @SuppressWarnings("unchecked")
    private B self() {
        return (B) this;
    }

    /**
     * Uses {@code config} (e.g. {@link PagumaConfig#load(ConfigSection...)}) instead of the defaults.
     * The shortcuts {@link #name}, {@link #host} and {@link #port} apply on top of it, whatever the
     * order of the calls.
     */
    public B config(PagumaConfig config) {
        this.config = Objects.requireNonNull(config, "config");
        return self();
    }

    /** Sets the config's {@code name}, used in logs and thread names. */
    public B name(String name) {
        this.name = Objects.requireNonNull(name, "name");
        return self();
    }

    /** Sets the config's {@code host}: where a server listens, the server a client connects to. */
    public B host(String host) {
        this.host = Objects.requireNonNull(host, "host");
        return self();
    }

    /** Sets the config's {@code port}: where a server listens (0 picks a free one), the server's for a client. */
    public B port(int port) {
        this.port = port;
        return self();
    }

    /** Uses {@code codec} instead of the one named by the config's {@code codec} key; both sides must agree. */
    public B codec(Codec codec) {
        this.codec = Objects.requireNonNull(codec, "codec");
        return self();
    }

    /**
     * Routes message id {@code id} to {@code router} (P7).
     *
     * @throws IllegalArgumentException if {@code id} already has a router
     */
    public B route(int id, Router router) {
        table.route(id, router);
        return self();
    }

    /**
     * Routes message id {@code id} to a function whose result is the reply (seed 004): the bytes
     * it returns go back with the request's id and sequence id; {@code null} sends nothing.
     *
     * @throws IllegalArgumentException if {@code id} already has a router
     */
    public B respond(int id, Responder responder) {
        table.respond(id, responder);
        return self();
    }

    /** Handles messages whose id has no router (by default they are dropped with a rate-limited warning). */
    public B onUnknownMessage(Router router) {
        table.onUnknownMessage(router);
        return self();
    }

    /**
     * Runs {@code interceptor} around the router of every message, after the interceptors
     * registered before it (Zinx's {@code Use}); see {@link Interceptor}.
     */
    public B use(Interceptor interceptor) {
        table.use(interceptor);
        return self();
    }

    /**
     * Runs {@code interceptor} around the routers of message ids {@code first} to {@code last}
     * (inclusive, unsigned), in registration order with the others (Zinx's {@code Group}).
     *
     * @throws IllegalArgumentException if {@code first} is above {@code last}
     */
    public B use(int first, int last, Interceptor interceptor) {
        table.use(first, last, interceptor);
        return self();
    }

    /** Runs after a connection is set up, before its first message is handled (P11). */
    public B onConnStart(Consumer<Connection> hook) {
        this.onConnStart = Objects.requireNonNull(hook, "hook");
        return self();
    }

    /** Runs once when a connection has closed, after its last message was handled (P11). */
    public B onConnStop(Consumer<Connection> hook) {
        this.onConnStop = Objects.requireNonNull(hook, "hook");
        return self();
    }

    /** Adds a listener for the endpoint's events (accepted, refused, bad frames, failures, timeouts, ...). */
    /**
     * This endpoint's routers run on its IO threads, even when its runtime has workers: for an
     * endpoint whose routers only hand work on (a cluster's node links, which dispatch to service
     * lanes of their own), a worker would be one more thread hop per message. Its routers must
     * never block. Without it, {@code workerPoolSize} decides, as for every endpoint.
     */
    public B routersOnIoThreads() {
        this.routersOnIoThreads = true;
        return self();
    }

    public B eventListener(EndpointListener listener) {
        eventListeners.add(Objects.requireNonNull(listener, "listener"));
        return self();
    }

    /**
     * Runs on {@code runtime}'s threads, shared with other servers and clients, instead of threads
     * of its own: closing the endpoint then leaves the runtime running, and the config's thread
     * and transport keys are not used.
     */
    public B runtime(PagumaRuntime runtime) {
        this.runtime = Objects.requireNonNull(runtime, "runtime");
        return self();
    }

    /** The config with the shortcuts applied. */
    PagumaConfig effectiveConfig() {
        PagumaConfig.Builder b = (config != null ? config : PagumaConfig.defaults()).toBuilder();
        if (name != null) b.name(name);
        if (host != null) b.host(host);
        if (port != null) b.port(port);
        return b.build();
    }
}
