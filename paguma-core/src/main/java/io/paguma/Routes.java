package io.paguma;

import io.paguma.internal.EventHub;

import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * A route table that is not an endpoint's: message ids to {@link Router}s with their
 * {@link Interceptor}s, run by whoever holds the table. Modules that deliver messages of their own
 * (paguma-cluster's services, which receive their clients' messages from a gateway on any node)
 * use it so that their users write the same routers, responders and middleware as on a
 * {@link Server}.
 *
 * <pre>{@code
 * Routes routes = Routes.builder()
 *         .use(authCheck)
 *         .respond(1, r -> r.data())
 *         .build(runtime);
 * if (routes.has(request.id())) routes.handle(request);
 * }</pre>
 *
 * <p>{@link #handle} behaves as an endpoint's dispatch: interceptors, then pre, handle, post; a
 * request whose time limit has passed fails with {@link RemoteException#DEADLINE_EXCEEDED}; an id
 * without a route fails with {@link RemoteException#NO_ROUTE}; a step that throws is logged (with
 * the request's connection and the message id, rate-limited as on an endpoint) and fails the
 * request with {@link RemoteException#ROUTER_FAILED}. Immutable once built; safe from any thread.
 */
public final class Routes {
    private final MessageHandler handler;
    private final Set<Integer> ids;

    private Routes(Builder b, PagumaRuntime runtime, PagumaConfig config) {
        EventHub events = new EventHub(b.listeners, runtime != null ? runtime.events() : null);
        this.handler = new MessageHandler(b.table, config.warnInterval(), events,
                runtime != null ? runtime.scheduler() : null);
        TreeSet<Integer> sorted = new TreeSet<>(Integer::compareUnsigned);
        sorted.addAll(b.table.routes.keySet());
        this.ids = java.util.Collections.unmodifiableSet(sorted);
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The message ids that have a route, in unsigned order. */
    public Set<Integer> ids() {
        return ids;
    }

    /** Whether {@code id} has a route. */
    public boolean has(int id) {
        return handler.router(id) != null;
    }

    /** Runs the request's route on the calling thread (see the class comment); never throws but a {@link VirtualMachineError}. */
    public void handle(Request request) {
        handler.handle(request);
    }

    /** Collects routes and middleware as {@link Server.Builder} does. */
    public static final class Builder {
        private final RouteTable table = new RouteTable();
        private final List<EndpointListener> listeners = new java.util.ArrayList<>();

        private Builder() {
        }

        /** Routes {@code id} to {@code router}; an id routed twice fails. */
        public Builder route(int id, Router router) {
            table.route(id, router);
            return this;
        }

        /** Routes {@code id} to a router that replies with what {@code responder} returns. */
        public Builder respond(int id, Responder responder) {
            table.respond(id, responder);
            return this;
        }

        /** Middleware around every route, in the order added. */
        public Builder use(Interceptor interceptor) {
            table.use(interceptor);
            return this;
        }

        /** Middleware around the routes of ids {@code first..last} (unsigned, inclusive). */
        public Builder use(int first, int last, Interceptor interceptor) {
            table.use(first, last, interceptor);
            return this;
        }

        /** Told of what the routes do (failures, expired requests, timings), besides the runtime's listeners. */
        public Builder eventListener(EndpointListener listener) {
            listeners.add(Objects.requireNonNull(listener, "listener"));
            return this;
        }

        /**
         * The table. {@code runtime} (may be null) gives its listeners and the timers of held-back
         * warning summaries; {@code config} gives {@code warnInterval}.
         */
        public Routes build(PagumaRuntime runtime, PagumaConfig config) {
            return new Routes(this, runtime, Objects.requireNonNull(config, "config"));
        }
    }
}
