package io.paguma;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What a server's and a client's builders collect the same way: routers by message id, the
 * unknown-message router, and interceptors with the ids they apply to.
 */
final class RouteTable {
    final Map<Integer, Router> routes = new LinkedHashMap<>();
    Router unknownRouter;
    final List<Scoped> interceptors = new ArrayList<>();

    /** An interceptor and the ids it applies to: all (first > last never happens then), or [first, last] unsigned. */
    record Scoped(Interceptor interceptor, boolean all, int first, int last) {
        boolean appliesTo(int id) {
            return all || (Integer.compareUnsigned(id, first) >= 0 && Integer.compareUnsigned(id, last) <= 0);
        }
    }

    /** A table of these routers, without interceptors. */
    static RouteTable of(Map<Integer, Router> routes, Router unknownRouter) {
        RouteTable t = new RouteTable();
        routes.forEach(t::route);
        t.unknownRouter = unknownRouter;
        return t;
    }

    void route(int id, Router router) {
        Objects.requireNonNull(router, "router");
        if (routes.putIfAbsent(id, router) != null) {
            throw new IllegalArgumentException("message id " + Integer.toUnsignedString(id) + " already has a router");
        }
    }

    /** A route that replies with what {@code responder} returns (nothing when it returns null). */
    void respond(int id, Responder responder) {
        Objects.requireNonNull(responder, "responder");
        route(id, request -> {
            byte[] reply = responder.respond(request);
            if (reply != null) request.reply(request.id(), reply);
        });
    }

    void onUnknownMessage(Router router) {
        this.unknownRouter = Objects.requireNonNull(router, "router");
    }

    void use(Interceptor interceptor) {
        interceptors.add(new Scoped(Objects.requireNonNull(interceptor, "interceptor"), true, 0, 0));
    }

    void use(int first, int last, Interceptor interceptor) {
        Objects.requireNonNull(interceptor, "interceptor");
        if (Integer.compareUnsigned(first, last) > 0) {
            throw new IllegalArgumentException("message id range " + Integer.toUnsignedString(first) + ".."
                    + Integer.toUnsignedString(last) + " is empty");
        }
        interceptors.add(new Scoped(interceptor, false, first, last));
    }

    /** The interceptors for {@code id}, in the order registered (the unknown router: only those for all ids). */
    Interceptor[] interceptorsFor(Integer id) {
        return interceptors.stream().filter(s -> id == null ? s.all() : s.appliesTo(id))
                .map(Scoped::interceptor).toArray(Interceptor[]::new);
    }
}
