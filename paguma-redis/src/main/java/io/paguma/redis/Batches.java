package io.paguma.redis;

import io.lettuce.core.KeyValue;
import io.lettuce.core.ScriptOutputType;
import io.netty.util.concurrent.EventExecutor;
import io.paguma.cluster.SharedDataException;
import io.paguma.redis.RedisLink.Script;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;

/**
 * Auto-pipelining for {@link RedisSharedData}: the operations issued while one turn of the store's
 * event loop runs (typically every completion of the replies Redis sent in one read, each issuing
 * its next operation, or many callers at once) go to Redis as one command per run of the same kind
 * — gets as one {@code MGET}, sets as one script that sets and publishes each key in turn,
 * increments likewise — instead of one command each. Each operation keeps its own result, its own
 * failure and its own notification; Redis still applies them one by one, in the order they were
 * issued (a run ends where another kind of operation comes, so a thread's operations never pass
 * each other). A failure of the whole command (Redis unreachable, the timeout) fails each of its
 * operations.
 *
 * <p>The same idea as ioredis's {@code enableAutoPipelining}: a single command costs the client a
 * command object, a future and a timeout task, and Redis a read, a parse and a call of the script,
 * whatever its size; shared between dozens of operations, both sides do several times more.
 */
final class Batches implements Runnable {
    /** Operations per command at most: a bound on one command's and one reply's size. */
    static final int MAX_RUN = 256;

    /**
     * Publishes {@code S<value>} on the channel of each key (named like the key) that someone
     * listens to: the same as publishing on every one (a message on a channel without subscribers
     * reaches no one), at a cost per key only while someone listens to some key. The last ARGV is
     * the store's "watching" channel: every store that listens to a key's channel listens to it
     * too, from before (the same SUBSCRIBE) to after ({@code RedisSharedData}); while it has no
     * subscriber no key's channel has one, and nothing is checked or published per key. Pattern
     * subscriptions are not counted per channel, so while Redis has any, every channel is published.
     */
    private static final String PUBLISH_LISTENED = """
            local function publish(value)
              if redis.call('PUBSUB', 'NUMPAT') == 0 then
                if redis.call('PUBSUB', 'NUMSUB', ARGV[#ARGV])[2] == 0 then return end
                local counts = redis.call('PUBSUB', 'NUMSUB', unpack(KEYS))
                for i = 1, #KEYS do
                  if counts[2 * i] > 0 then
                    local v = value(i)
                    if v then redis.call('PUBLISH', KEYS[i], 'S' .. v) end
                  end
                end
              else
                for i = 1, #KEYS do
                  local v = value(i)
                  if v then redis.call('PUBLISH', KEYS[i], 'S' .. v) end
                end
              end
            end
            """;

    /** KEYS: the keys (each also the channel of its changes); ARGV: their values, then the watching channel. One MSET for all. */
    private static final Script SET_ALL = Script.of("set, batched", PUBLISH_LISTENED + """
            local pairs = {}
            for i = 1, #KEYS do
              pairs[2 * i - 1] = KEYS[i]
              pairs[2 * i] = ARGV[i]
            end
            redis.call('MSET', unpack(pairs))
            publish(function(i) return ARGV[i] end)
            return #KEYS""");
    /** KEYS: the keys; ARGV: value, milliseconds to live, for each; then the watching channel. */
    private static final Script SET_TTL_ALL = Script.of("set with ttl, batched", PUBLISH_LISTENED + """
            for i = 1, #KEYS do
              redis.call('SET', KEYS[i], ARGV[2 * i - 1], 'PX', ARGV[2 * i])
            end
            publish(function(i) return ARGV[2 * i - 1] end)
            return #KEYS""");
    /**
     * KEYS: the counters; ARGV: the delta of each, then the watching channel. Each result is the new value (an integer reply),
     * or {@code !O} (overflow) / {@code !N} (not a counter) / {@code !E<Redis's error>} (out of
     * memory, a read-only replica, ...), which change nothing. Lua numbers are
     * doubles: a counter beyond ±2^53 is read back with GET and answered as text, so no digit of a
     * 64-bit counter is lost; the text of a change is made only for a counter that has listeners.
     */
    private static final Script INCREMENT_ALL = Script.of("increment, batched", PUBLISH_LISTENED + """
            local out = {}
            for i = 1, #KEYS do
              local result = redis.pcall('INCRBY', KEYS[i], ARGV[i])
              if type(result) == 'table' then
                local err = tostring(result.err)
                if string.find(err, 'overflow') then out[i] = '!O'
                elseif string.find(err, 'WRONGTYPE') or string.find(err, 'not an integer') then out[i] = '!N'
                else out[i] = '!E' .. err end
              elseif result > -9007199254740992 and result < 9007199254740992 then
                out[i] = result
              else
                out[i] = redis.call('GET', KEYS[i])
              end
            end
            publish(function(i)
              local v = out[i]
              if type(v) == 'number' then return string.format('%d', v) end
              if string.byte(v) ~= 33 then return v end
            end)
            return out""");

    /** What the result of an increment that overflowed or met a value that is not a counter says. */
    static final String OVERFLOW = "!O";
    static final String NOT_COUNTER = "!N";
    /** Prefixes Redis's own error for an increment it refused for another reason. */
    static final String ERROR = "!E";
    /** Commands sent and not yet answered, at most: what is issued beyond them waits in the queue. */
    static final int MAX_IN_FLIGHT = 16;

    private enum Kind { GET, SET, SET_TTL, INCREMENT, OTHER }

    /** One operation: its kind, its Redis keys and arguments, and its result. */
    private static final class Op<T> {
        final Kind kind;
        final String key;
        final byte[] value;
        final byte[] arg;
        final Supplier<CompletableFuture<T>> other;
        final CompletableFuture<T> result = new CompletableFuture<>();

        Op(Kind kind, String key, byte[] value, byte[] arg, Supplier<CompletableFuture<T>> other) {
            this.kind = kind;
            this.key = key;
            this.value = value;
            this.arg = arg;
            this.other = other;
        }
    }

    private final RedisLink link;
    private final byte[] watching;
    private final Supplier<CompletableFuture<?>> gate;
    private final EventExecutor executor;
    private final ConcurrentLinkedQueue<Op<?>> queue = new ConcurrentLinkedQueue<>();
    /** True while a drain is scheduled, runs, or waits for the gate: then a new operation needs no task of its own. */
    private final AtomicBoolean scheduled = new AtomicBoolean();
    private List<Op<?>> run = new ArrayList<>();
    private final java.util.concurrent.atomic.AtomicInteger inFlight = new java.util.concurrent.atomic.AtomicInteger();
    private volatile Throwable closed;

    /**
     * @param watching the channel every store listening to a key's channel listens to too
     * @param gate what to wait for before sending (the connection attempt under way, subscriptions
     *             being confirmed): asked at each drain; the queue keeps its order meanwhile
     */
    Batches(RedisLink link, String watching, Supplier<CompletableFuture<?>> gate) {
        this.link = link;
        this.watching = watching.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        this.gate = gate;
        this.executor = link.scheduler().next();
    }

    /** The value of Redis key {@code key}, or null. */
    CompletableFuture<byte[]> get(String key) {
        return submit(new Op<>(Kind.GET, key, null, null, null));
    }

    /** Sets {@code key} and publishes {@code S<value>} on the channel of the same name; {@code ttlMillis} null: no time to live. */
    CompletableFuture<Void> set(String key, byte[] value, byte[] ttlMillis) {
        return submit(new Op<>(ttlMillis == null ? Kind.SET : Kind.SET_TTL, key, value, ttlMillis, null));
    }

    /** Increments {@code key}: the new value as text, or {@link #OVERFLOW} / {@link #NOT_COUNTER}. */
    CompletableFuture<String> increment(String key, byte[] delta) {
        return submit(new Op<>(Kind.INCREMENT, key, null, delta, null));
    }

    /** Any other command, started in its turn among the batched ones. */
    <T> CompletableFuture<T> other(Supplier<CompletableFuture<T>> command) {
        return submit(new Op<>(Kind.OTHER, null, null, null, command));
    }

    private <T> CompletableFuture<T> submit(Op<T> op) {
        Throwable why = closed;
        if (why != null) return CompletableFuture.failedFuture(why);
        queue.add(op);
        if (!scheduled.get() && scheduled.compareAndSet(false, true)) schedule();
        if (closed != null) failQueued(closed);   // closed meanwhile: nothing may wait for a drain that will not come
        return op.result;
    }

    private void schedule() {
        try {
            if (executor.isShuttingDown()) throw new RejectedExecutionException("event executor shutting down");
            executor.execute(this);
        } catch (RejectedExecutionException ended) {
            scheduled.set(false);
            failQueued(closed != null ? closed : new SharedDataException("its threads have ended (was the runtime closed first?)", ended));
        }
    }

    /** Fails what is queued and every later operation with {@code why}. */
    void close(Throwable why) {
        closed = why;
        failQueued(why);
    }

    private void failQueued(Throwable why) {
        for (Op<?> op; (op = queue.poll()) != null; ) op.result.completeExceptionally(why);
    }

    /**
     * On the store's event loop: once the gate is open, sends what was queued, one command per run
     * of one kind, while fewer than {@link #MAX_IN_FLIGHT} commands await their replies; the rest
     * waits in the queue (in order, and not yet under Redis's command timeout) until a reply frees
     * room. Without that bound a flood of operations would have the loop write commands for up to
     * a second before it reads a reply (Netty runs tasks, new ones included, that long), and their
     * timeouts would run out.
     */
    @Override
    public void run() {
        CompletableFuture<?> g;
        try {
            g = gate.get();
        } catch (RuntimeException e) {
            g = CompletableFuture.completedFuture(null);
        }
        if (!g.isDone()) {
            // Still scheduled: operations queue behind, in order, until the gate opens.
            g.whenComplete((v, e) -> schedule());
            return;
        }
        scheduled.set(false);
        Kind kind = null;
        try {
            for (Op<?> op; (op = queue.peek()) != null; ) {
                if (op.kind != kind || run.size() == MAX_RUN || op.kind == Kind.OTHER) {
                    // The next operation starts a command of its own: is there room for it?
                    send(kind);
                    if (inFlight.get() >= MAX_IN_FLIGHT) break;
                    kind = op.kind;
                }
                run.add(queue.poll());
            }
            send(kind);
        } catch (Throwable t) {
            for (Op<?> op : run) op.result.completeExceptionally(t);
            run = new ArrayList<>();
            if (t instanceof Error e) throw e;
        }
    }

    /** A command's reply came (or it failed): room for another; the queue goes on if it waits. */
    private void replied() {
        inFlight.decrementAndGet();
        if (!queue.isEmpty() && !scheduled.get() && scheduled.compareAndSet(false, true)) schedule();
    }

    private void send(Kind kind) {
        if (run.isEmpty()) return;
        List<Op<?>> ops = run;
        run = new ArrayList<>();
        inFlight.incrementAndGet();
        CompletableFuture<?> sent;
        try {
            sent = switch (kind) {
                case GET -> sendGets(ops);
                case SET -> sendSets(ops, SET_ALL, false);
                case SET_TTL -> sendSets(ops, SET_TTL_ALL, true);
                case INCREMENT -> sendIncrements(ops);
                case OTHER -> start(ops.get(0));
            };
        } catch (RuntimeException e) {
            for (Op<?> op : ops) op.result.completeExceptionally(e);
            sent = CompletableFuture.completedFuture(null);
        }
        sent.whenComplete((v, e) -> replied());
    }

    private static <T> CompletableFuture<?> start(Op<T> op) {
        CompletableFuture<T> f;
        try {
            f = op.other.get();
        } catch (RuntimeException e) {
            f = CompletableFuture.failedFuture(e);
        }
        return f.whenComplete((r, e) -> {
            if (e != null) op.result.completeExceptionally(e);
            else op.result.complete(r);
        });
    }

    /** Always {@code MGET}, even of one key: a key holding something else than a string reads as absent either way. */
    @SuppressWarnings("unchecked")
    private CompletableFuture<?> sendGets(List<Op<?>> ops) {
        String[] keys = new String[ops.size()];
        for (int i = 0; i < keys.length; i++) keys[i] = ops.get(i).key;
        return link.<List<KeyValue<String, byte[]>>>call(c -> c.mget(keys)).whenComplete((values, e) -> {
            if (e == null && values.size() != ops.size()) {
                e = new SharedDataException("MGET of " + ops.size() + " keys answered " + values.size() + " values");
            }
            for (int i = 0; i < ops.size(); i++) {
                Op<byte[]> op = (Op<byte[]>) ops.get(i);
                if (e != null) op.result.completeExceptionally(e);
                else op.result.complete(values.get(i).getValueOrElse(null));
            }
        });
    }

    @SuppressWarnings("unchecked")
    private CompletableFuture<?> sendSets(List<Op<?>> ops, Script script, boolean withTtl) {
        int n = ops.size();
        String[] keys = new String[n];
        byte[][] args = new byte[(withTtl ? 2 : 1) * n + 1][];
        args[args.length - 1] = watching;
        for (int i = 0; i < n; i++) {
            Op<?> op = ops.get(i);
            keys[i] = op.key;
            if (withTtl) {
                args[2 * i] = op.value;
                args[2 * i + 1] = op.arg;
            } else {
                args[i] = op.value;
            }
        }
        return link.<Long>script(script, ScriptOutputType.INTEGER, keys, args).whenComplete((count, e) -> {
            for (Op<?> op : ops) {
                if (e != null) op.result.completeExceptionally(e);
                else ((Op<Void>) op).result.complete(null);
            }
        });
    }

    @SuppressWarnings("unchecked")
    private CompletableFuture<?> sendIncrements(List<Op<?>> ops) {
        int n = ops.size();
        String[] keys = new String[n];
        byte[][] args = new byte[n + 1][];
        for (int i = 0; i < n; i++) {
            keys[i] = ops.get(i).key;
            args[i] = ops.get(i).arg;
        }
        args[n] = watching;
        return link.<List<Object>>script(INCREMENT_ALL, ScriptOutputType.MULTI, keys, args).whenComplete((results, e) -> {
            if (e == null && results.size() != ops.size()) {
                e = new SharedDataException("the increment script answered " + results.size() + " results for " + ops.size());
            }
            for (int i = 0; i < ops.size(); i++) {
                Op<String> op = (Op<String>) ops.get(i);
                if (e != null) op.result.completeExceptionally(e);
                else if (results.get(i) instanceof Long value) op.result.complete(Long.toString(value));
                else if (results.get(i) instanceof byte[] text) op.result.complete(new String(text, StandardCharsets.US_ASCII));
                else op.result.completeExceptionally(new SharedDataException("the increment script answered " + results.get(i)));
            }
        });
    }
}
