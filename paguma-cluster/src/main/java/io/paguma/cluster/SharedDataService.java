package io.paguma.cluster;

import io.paguma.Request;
import io.paguma.Routes;
import io.paguma.cluster.internal.Wire;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The home of service-hosted shared data (SPEC H4; seed 003's design without Redis: "kept in a
 * local service", reached by the other services "through messages"). Mount it on one node; the
 * nodes configured with {@code cluster.sharedData: service} reach it with {@link ServiceSharedData}.
 * The data lives in this node's memory (an {@link InProcessSharedData}): it is as durable as the
 * node, and gone when the node stops.
 *
 * <p>Its message ids (1-9) and their fields are in docs/PROTOCOL.md ("Service-hosted shared
 * data"). It is a service like any other: its ids are its own in the cluster.
 */
public final class SharedDataService implements Service, OnNodeLeave {
    /** The service's name, which {@link ServiceSharedData} asks for. */
    public static final String NAME = "shared-data";
    static final int GET = 1, SET = 2, SET_TTL = 3, DELETE = 4, CAS = 5, INCREMENT = 6, EXPIRE = 7, SUBSCRIBE = 8, UNSUBSCRIBE = 9;
    /** Statuses of failures: the caller's mistake, and the data's (not a counter, overflow, closed). */
    static final int BAD_ARGUMENT = 400, REFUSED = 409;

    private final InProcessSharedData data;
    /** Key → subscriber (node id + "/" + store number) → its subscription to the data here. */
    private final Map<String, Map<String, SharedData.Subscription>> subscribers = new ConcurrentHashMap<>();
    private volatile ClusterNode node;

    public SharedDataService() {
        this.data = InProcessSharedData.create("hosted");
    }

    @Override
    public String name() {
        return NAME;
    }

    /** Only nodes reach it: a client of a gateway must not read or write the cluster's data. */
    @Override
    public boolean servesClients() {
        return false;
    }

    @Override
    public void mount(ServiceContext context, Routes.Builder routes) {
        this.node = (ClusterNode) context;
        routes.route(GET, r -> answer(r, data.get(key(r.data())), v -> {
            Wire.Writer w = new Wire.Writer(8 + (v == null ? 0 : v.length)).u8(v == null ? 0 : 1);
            if (v != null) w.bytes(v);
            return w.toBytes();
        }));
        routes.route(SET, r -> {
            Wire.Reader in = new Wire.Reader(r.data());
            String k = keyOf(in);
            byte[] v = in.bytes("value");
            in.end();
            answer(r, data.set(k, v), x -> new byte[0]);
        });
        routes.route(SET_TTL, r -> {
            Wire.Reader in = new Wire.Reader(r.data());
            String k = keyOf(in);
            byte[] v = in.bytes("value");
            long ttl = in.i64("ttl");
            in.end();
            answer(r, data.set(k, v, Duration.ofNanos(ttl)), x -> new byte[0]);
        });
        routes.route(DELETE, r -> answer(r, data.delete(key(r.data())), SharedDataService::bool));
        routes.route(CAS, r -> {
            Wire.Reader in = new Wire.Reader(r.data());
            String k = keyOf(in);
            byte[] expected = in.u8("has expected") == 1 ? in.bytes("expected") : null;
            byte[] update = in.u8("has update") == 1 ? in.bytes("update") : null;
            in.end();
            answer(r, data.compareAndSet(k, expected, update), SharedDataService::bool);
        });
        routes.route(INCREMENT, r -> {
            Wire.Reader in = new Wire.Reader(r.data());
            String k = keyOf(in);
            long delta = in.i64("delta");
            in.end();
            answer(r, data.increment(k, delta), v -> new Wire.Writer(8).i64(v).toBytes());
        });
        routes.route(EXPIRE, r -> {
            Wire.Reader in = new Wire.Reader(r.data());
            String k = keyOf(in);
            long ttl = in.i64("ttl");
            in.end();
            answer(r, data.expire(k, Duration.ofNanos(ttl)), SharedDataService::bool);
        });
        routes.route(SUBSCRIBE, r -> {
            Wire.Reader in = new Wire.Reader(r.data());
            String k = keyOf(in);
            String subscriberNode = in.str("node");
            int store = in.i32("store");
            in.end();
            subscribe(k, subscriberNode, store);
            r.reply(SUBSCRIBE, new byte[0]);
        });
        routes.route(UNSUBSCRIBE, r -> {
            Wire.Reader in = new Wire.Reader(r.data());
            String k = keyOf(in);
            String subscriberNode = in.str("node");
            int store = in.i32("store");
            in.end();
            unsubscribe(k, subscriberNode + "/" + store);
            r.reply(UNSUBSCRIBE, new byte[0]);
        });
    }

    private static byte[] bool(boolean b) {
        return new byte[]{(byte) (b ? 1 : 0)};
    }

    private static String key(byte[] frame) {
        Wire.Reader in = new Wire.Reader(frame);
        String k = keyOf(in);
        in.end();
        return k;
    }

    static String keyOf(Wire.Reader in) {
        return new String(in.bytes("key"), StandardCharsets.UTF_8);
    }

    private static <T> void answer(Request r, CompletableFuture<T> op, java.util.function.Function<T, byte[]> encode) {
        op.whenComplete((v, e) -> {
            if (e == null) {
                r.reply(r.id(), encode.apply(v));
                return;
            }
            Throwable cause = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
            r.fail(cause instanceof IllegalArgumentException ? BAD_ARGUMENT : REFUSED, String.valueOf(cause.getMessage()));
        });
    }

    private void subscribe(String key, String subscriberNode, int store) {
        String who = subscriberNode + "/" + store;
        Map<String, SharedData.Subscription> subs = subscribers.computeIfAbsent(key, k -> new ConcurrentHashMap<>());
        subs.computeIfAbsent(who, w -> data.subscribe(key, change -> {
            // On the data's single notification thread: the pushes leave in the order of the changes.
            node.pushDataChange(subscriberNode, store, change);
        }));
    }

    private void unsubscribe(String key, String who) {
        Map<String, SharedData.Subscription> subs = subscribers.get(key);
        if (subs == null) return;
        SharedData.Subscription s = subs.remove(who);
        if (s != null) s.close();
        subscribers.computeIfPresent(key, (k, m) -> m.isEmpty() ? null : m);
    }

    /** A node that left takes its subscriptions with it. */
    @Override
    public void nodeLeft(NodeInfo left, String reason) {
        String prefix = left.id() + "/";
        for (String key : Set.copyOf(subscribers.keySet())) {
            Map<String, SharedData.Subscription> subs = subscribers.get(key);
            if (subs == null) continue;
            for (String who : Set.copyOf(subs.keySet())) {
                if (who.startsWith(prefix)) unsubscribe(key, who);
            }
        }
    }

    @Override
    public void unmount() {
        data.close();
    }
}
