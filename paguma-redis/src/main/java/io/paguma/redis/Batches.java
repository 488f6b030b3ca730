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
     * reaches no one), but one call for the whole batch when none has any. Pattern subscriptions are not counted per channel, so while
     * Redis has any, every channel is published.
     */
    private static final String PUBLISH_LISTENED = """
            local function publish(value)
              if redis.call('PUBSUB', 'NUMPAT') == 0 then
                local counts = redis.call('PUBSUB', 'NUMSUB', unpack(KEYS))
                for i = 1, #KEYS do
                  local v = value(i)
                  if v and counts[2 * i] > 0 then redis.call('PUBLISH', KEYS[i], 'S' .. v) end
                end
              else
                for i = 1, #KEYS do
                  local v = value(i)
                  if v then redis.call('PUBLISH', KEYS[i], 'S' .. v) end
                end
              end
            end
            """;

    /** KEYS: the keys (each also the channel of its changes); ARGV: their values. One MSET for all. */
    private static final Script SET_ALL = Script.of("set, batched", PUBLISH_LISTENED + """
            local pairs = {}
            for i = 1, #KEYS do
              pairs[2 * i - 1] = KEYS[i]
              pairs[2 * i] = ARGV[i]
            end
            redis.call('MSET', unpack(pairs))
            publish(function(i) return ARGV[i] end)
            return #KEYS""");
    /** KEYS: the keys; ARGV: value, milliseconds to live, for each. */
    private static final Script SET_TTL_ALL = Script.of("set with ttl, batched", PUBLISH_LISTENED + """
            for i = 1, #KEYS do
              redis.call('SET', KEYS[i], ARGV[2 * i - 1], 'PX', ARGV[2 * i])
            end
            publish(function(i) return ARGV[2 * i - 1] end)
            return #KEYS""");
    /**
     * KEYS: the counters; ARGV: the delta of each. Each result is the new value (an integer reply),
     * or {@code !O} (overflow) / {@code !N} (not a counter), which change nothing. Lua numbers are
     * doubles: a counter beyond ±2^53 is read back with GET and answered as text, so no digit of a
     * 64-bit counter is lost; the text of a change is made only for a counter that has listeners.
     */
    private static final Script INCREMENT_ALL = Script.of("increment, batched", PUBLISH_LISTENED + """
            local out = {}
            for i = 1, #KEYS do
              local result = redis.pcall('INCRBY', KEYS[i], ARGV[i])
              if type(result) == 'table' then
                if string.find(result.err, 'overflow') then out[i] = '!O' else out[i] = '!N' end
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

    /** The scripts, to load when a connection is made. */
    static final List<Script> SCRIPTS = List.of(SET_ALL, SET_TTL_ALL, INCREMENT_ALL);

    /** What the result of an increment that overflowed or met a value that is not a counter says. */
    static final String OVERFLOW = "!O";
    static final String NOT_COUNTER = "!N";

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
    private final EventExecutor executor;
    private final ConcurrentLinkedQueue<Op<?>> queue = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean scheduled = new AtomicBoolean();
    private final List<Op<?>> run = new ArrayList<>();

    Batches(RedisLink link) {
        this.link = link;
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
        queue.add(op);
        if (!scheduled.get() && scheduled.compareAndSet(false, true)) {
            try {
                executor.execute(this);
            } catch (RejectedExecutionException closing) {
                scheduled.set(false);
                failQueued(closing);
            }
        }
        return op.result;
    }

    private void failQueued(Throwable why) {
        for (Op<?> op; (op = queue.poll()) != null; ) op.result.completeExceptionally(why);
    }

    /** On the store's event loop: sends what was queued, one command per run of one kind. */
    @Override
    public void run() {
        scheduled.set(false);
        Kind kind = null;
        for (Op<?> op; (op = queue.poll()) != null; ) {
            if (op.kind != kind || run.size() == MAX_RUN) {
                send(kind);
                kind = op.kind;
            }
            run.add(op);
        }
        send(kind);
    }

    private void send(Kind kind) {
        if (run.isEmpty()) return;
        List<Op<?>> ops = List.copyOf(run);
        run.clear();
        try {
            switch (kind) {
                case GET -> sendGets(ops);
                case SET -> sendSets(ops, SET_ALL, false);
                case SET_TTL -> sendSets(ops, SET_TTL_ALL, true);
                case INCREMENT -> sendIncrements(ops);
                case OTHER -> ops.forEach(Batches::start);
            }
        } catch (RuntimeException e) {
            for (Op<?> op : ops) op.result.completeExceptionally(e);
        }
    }

    @SuppressWarnings("unchecked")
    private static <T> void start(Op<T> op) {
        CompletableFuture<T> f;
        try {
            f = op.other.get();
        } catch (RuntimeException e) {
            f = CompletableFuture.failedFuture(e);
        }
        f.whenComplete((r, e) -> {
            if (e != null) op.result.completeExceptionally(e);
            else op.result.complete(r);
        });
    }

    @SuppressWarnings("unchecked")
    private void sendGets(List<Op<?>> ops) {
        if (ops.size() == 1) {
            Op<byte[]> op = (Op<byte[]>) ops.get(0);
            link.<byte[]>call(c -> c.get(op.key)).whenComplete((v, e) -> {
                if (e != null) op.result.completeExceptionally(e);
                else op.result.complete(v);
            });
            return;
        }
        String[] keys = new String[ops.size()];
        for (int i = 0; i < keys.length; i++) keys[i] = ops.get(i).key;
        link.<List<KeyValue<String, byte[]>>>call(c -> c.mget(keys)).whenComplete((values, e) -> {
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
    private void sendSets(List<Op<?>> ops, Script script, boolean withTtl) {
        int n = ops.size();
        String[] keys = new String[n];
        byte[][] args = new byte[(withTtl ? 2 : 1) * n][];
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
        link.<Long>script(script, ScriptOutputType.INTEGER, keys, args).whenComplete((count, e) -> {
            for (Op<?> op : ops) {
                if (e != null) op.result.completeExceptionally(e);
                else ((Op<Void>) op).result.complete(null);
            }
        });
    }

    @SuppressWarnings("unchecked")
    private void sendIncrements(List<Op<?>> ops) {
        int n = ops.size();
        String[] keys = new String[n];
        byte[][] args = new byte[n][];
        for (int i = 0; i < n; i++) {
            keys[i] = ops.get(i).key;
            args[i] = ops.get(i).arg;
        }
        link.<List<Object>>script(INCREMENT_ALL, ScriptOutputType.MULTI, keys, args).whenComplete((results, e) -> {
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
