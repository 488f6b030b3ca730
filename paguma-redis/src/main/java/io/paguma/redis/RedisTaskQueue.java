package io.paguma.redis;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lettuce.core.ScriptOutputType;
import io.paguma.PagumaRuntime;
import io.paguma.ConfigSection;
import io.paguma.cluster.Registry;
import io.paguma.cluster.Task;
import io.paguma.cluster.TaskException;
import io.paguma.cluster.TaskQueue;
import io.paguma.cluster.TaskState;
import io.paguma.cluster.TaskStatus;
import io.paguma.redis.RedisLink.Script;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/**
 * Tasks in Redis (SPEC X7, B8): a stream per task type ({@code <p>tasks:<type>}) read by the
 * consumer group {@code executors}, a hash per task ({@code <p>task:<id>}: its fields, state,
 * executor, attempts, version, the stream entry that carries it), the idempotency keys
 * ({@code <p>task-key:<key>} → id), the deadlines of assigned tasks (sorted set
 * {@code <p>task-deadlines}, by Redis's clock: {@code TIME}) and two channels: {@code <p>task-ready:<type>} (a task was queued)
 * and {@code <p>task-changes} (a task's status, as a line). Every change is one Lua script.
 *
 * <p>Executors pull: an executor with a free slot reads one entry of its types' streams as its own
 * consumer ({@code XREADGROUP}) and takes the task in the same script. The entries of an executor
 * that died stay pending; every {@code memberTtl / 2} each executor claims entries idle for longer
 * than {@code memberTtl} ({@code XAUTOCLAIM}) and takes their tasks over (attempt + 1), while a
 * live executor keeps its entries fresh ({@code XCLAIM … JUSTID}) every {@code memberTtl / 3}. An
 * executor that stops gives its unfinished tasks back (a new entry each). Assignment is by who asks
 * first: the executors of one process ask least loaded first; across processes it is not strictly
 * least loaded (docs/EXECUTORS.md).
 *
 * <p>One daemon thread per queue, {@code paguma-redis-tasks-<name>}, takes, claims, refreshes and
 * sweeps (it waits for Redis's answers, never on an IO thread); listeners are called on another,
 * in order.
 */
final class RedisTaskQueue implements TaskQueue, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(RedisTaskQueue.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String GROUP = "executors";
    /** How long ended tasks (and their keys) are kept, for status and idempotency. */
    private static final long KEEP_ENDED_MS = Duration.ofHours(1).toMillis();

    private static final String PRELUDE = """
            local P = ARGV[1]
            local function line(id)
              local h = redis.call('HMGET', P .. 'task:' .. id, 'type', 'key', 'publisher', 'state', 'executor', 'attempts', 'version', 'detail')
              return id .. '\\n' .. (h[1] or '') .. '\\n' .. (h[2] or '') .. '\\n' .. (h[3] or '') .. '\\n' .. (h[4] or '') .. '\\n'
                .. (h[5] or '') .. '\\n' .. (h[6] or '0') .. '\\n' .. (h[7] or '0') .. '\\n' .. (h[8] or '')
            end
            local function changed(id)
              redis.call('HINCRBY', P .. 'task:' .. id, 'version', 1)
              redis.call('PUBLISH', P .. 'task-changes', line(id))
            end
            local function nowMs()
              local t = redis.call('TIME')
              return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
            end
            local function assign(id, executor, entry, now, reclaim)
              local hk = P .. 'task:' .. id
              local h = redis.call('HMGET', hk, 'state', 'entry', 'executor')
              local st, cur, prev = h[1], h[2], h[3]
              if not st or cur ~= entry then return nil end
              if st ~= 'QUEUED' and not (reclaim and (st == 'ASSIGNED' or st == 'RUNNING')) then return nil end
              local detail = ''
              if reclaim and st ~= 'QUEUED' then detail = 'taken over from ' .. (prev or '?') .. ', which stopped refreshing it' end
              redis.call('HSET', hk, 'state', 'ASSIGNED', 'executor', executor, 'detail', detail)
              redis.call('HINCRBY', hk, 'attempts', 1)
              local t = redis.call('HMGET', hk, 'type', 'key', 'publisher', 'timeoutMs', 'files', 'payload')
              redis.call('ZADD', P .. 'task-deadlines', nowMs() + tonumber(t[4]), id)
              changed(id)
              return {id, t[1], t[2], t[3], t[4], t[5], t[6], redis.call('HGET', hk, 'version')}
            end
            local function ended(id, hk, typ, entry)
              if entry then redis.call('XACK', P .. 'tasks:' .. typ, 'executors', entry) end
              redis.call('ZREM', P .. 'task-deadlines', id)
              local key = redis.call('HGET', hk, 'key')
              redis.call('PEXPIRE', hk, %d)
              if key then redis.call('PEXPIRE', P .. 'task-key:' .. key, %d) end
            end
            """.formatted(KEEP_ENDED_MS, KEEP_ENDED_MS);

    /** ARGV: prefix, id, type, key, publisher, timeoutMs, files (JSON), payload. Returns the status line of the task (the known one, for a known key). */
    private static final Script PUBLISH = Script.of("task publish", PRELUDE + """
            local id = ARGV[2]
            local known = redis.call('GET', P .. 'task-key:' .. ARGV[4])
            if known and redis.call('EXISTS', P .. 'task:' .. known) == 1 then return line(known) end
            local hk = P .. 'task:' .. id
            local stream = P .. 'tasks:' .. ARGV[3]
            redis.pcall('XGROUP', 'CREATE', stream, 'executors', '0', 'MKSTREAM')
            local entry = redis.call('XADD', stream, '*', 'id', id)
            redis.call('HSET', hk, 'type', ARGV[3], 'key', ARGV[4], 'publisher', ARGV[5], 'timeoutMs', ARGV[6], 'files', ARGV[7],
              'payload', ARGV[8], 'state', 'QUEUED', 'attempts', 0, 'version', 0, 'entry', entry, 'detail', '')
            redis.call('SET', P .. 'task-key:' .. ARGV[4], id)
            changed(id)
            redis.call('PUBLISH', P .. 'task-ready:' .. ARGV[3], id)
            return line(id)""");

    /** ARGV: prefix, then the types: makes their streams and the group. */
    private static final Script SERVE = Script.of("task serve", PRELUDE + """
            for i = 2, #ARGV do redis.pcall('XGROUP', 'CREATE', P .. 'tasks:' .. ARGV[i], 'executors', '0', 'MKSTREAM') end
            return 1""");

    /** ARGV: prefix, executor, now, then the streams. Takes at most one task; returns its fields, or nothing. */
    private static final Script TAKE = Script.of("task take", PRELUDE + """
            local args = {'XREADGROUP', 'GROUP', 'executors', ARGV[2], 'COUNT', 1, 'STREAMS'}
            for i = 4, #ARGV do args[#args + 1] = ARGV[i] end
            for i = 4, #ARGV do args[#args + 1] = '>' end
            local res = redis.call(unpack(args))
            if not res then return {} end
            for _, s in ipairs(res) do
              for _, e in ipairs(s[2]) do
                local t = nil
                if e[2] then t = assign(e[2][2], ARGV[2], e[1], tonumber(ARGV[3]), false) end
                if t then return t end
                redis.call('XACK', s[1], 'executors', e[1])
              end
            end
            return {}""");

    /**
     * ARGV: prefix, executor, now, min idle ms, at most how many, then the streams. Takes over the
     * tasks of entries idle that long (at most that many); returns their fields.
     */
    private static final Script RECLAIM = Script.of("task reclaim", PRELUDE + """
            local out = {}
            local left = tonumber(ARGV[5])
            for i = 6, #ARGV do
              if left <= 0 then break end
              local r = redis.call('XAUTOCLAIM', ARGV[i], 'executors', ARGV[2], ARGV[4], '0-0', 'COUNT', left)
              for _, e in ipairs(r[2]) do
                if e and e[2] then
                  local t = assign(e[2][2], ARGV[2], e[1], tonumber(ARGV[3]), true)
                  if t then
                    for _, v in ipairs(t) do out[#out + 1] = v end
                    left = left - 1
                  else
                    redis.call('XACK', ARGV[i], 'executors', e[1])
                  end
                end
              end
            end
            return out""");

    /** ARGV: prefix, executor, then task ids: their entries are claimed again by the executor (idle time 0). */
    private static final Script REFRESH = Script.of("task refresh", PRELUDE + """
            for i = 3, #ARGV do
              local h = redis.call('HMGET', P .. 'task:' .. ARGV[i], 'type', 'entry', 'executor', 'state')
              if h[1] and h[3] == ARGV[2] and (h[4] == 'ASSIGNED' or h[4] == 'RUNNING') then
                redis.call('XCLAIM', P .. 'tasks:' .. h[1], 'executors', ARGV[2], 0, h[2], 'JUSTID')
              end
            end
            return 1""");

    /** ARGV: prefix, id, executor, state, detail. */
    private static final Script REPORT = Script.of("task report", PRELUDE + """
            local id = ARGV[2]
            local hk = P .. 'task:' .. id
            local h = redis.call('HMGET', hk, 'state', 'executor', 'entry', 'type')
            local st = h[1]
            if not st or h[2] ~= ARGV[3] or st == 'DONE' or st == 'FAILED' or st == 'TIMED_OUT' then return 0 end
            if ARGV[4] == 'RUNNING' then
              if st == 'RUNNING' then return 1 end
              redis.call('HSET', hk, 'state', 'RUNNING', 'detail', '')
              changed(id)
              return 1
            end
            redis.call('HSET', hk, 'state', ARGV[4], 'detail', ARGV[5])
            ended(id, hk, h[4], h[3])
            changed(id)
            return 1""");

    /**
     * ARGV: prefix, id, executor, why, and "1" when the executor never got the task (taken for it
     * while it was stopping: that assignment was no attempt, so it is not counted): the task goes
     * back to its stream (a new entry).
     */
    private static final Script REQUEUE = Script.of("task requeue", PRELUDE + """
            local id = ARGV[2]
            local hk = P .. 'task:' .. id
            local h = redis.call('HMGET', hk, 'state', 'executor', 'entry', 'type')
            if not h[1] or h[2] ~= ARGV[3] or (h[1] ~= 'ASSIGNED' and h[1] ~= 'RUNNING') then return 0 end
            if ARGV[5] == '1' then redis.call('HINCRBY', hk, 'attempts', -1) end
            local stream = P .. 'tasks:' .. h[4]
            redis.call('XACK', stream, 'executors', h[3])
            local entry = redis.call('XADD', stream, '*', 'id', id)
            redis.call('HSET', hk, 'state', 'QUEUED', 'executor', '', 'entry', entry, 'detail', ARGV[4])
            redis.call('ZREM', P .. 'task-deadlines', id)
            changed(id)
            redis.call('PUBLISH', P .. 'task-ready:' .. h[4], id)
            return 1""");

    /** ARGV: prefix, now: times out what passed its deadline (100 at a time). */
    private static final Script SWEEP = Script.of("task sweep", PRELUDE + """
            local ids = redis.call('ZRANGEBYSCORE', P .. 'task-deadlines', '-inf', nowMs(), 'LIMIT', 0, 100)
            for _, id in ipairs(ids) do
              local hk = P .. 'task:' .. id
              local h = redis.call('HMGET', hk, 'state', 'executor', 'entry', 'type', 'timeoutMs')
              if h[1] == 'ASSIGNED' or h[1] == 'RUNNING' then
                redis.call('HSET', hk, 'state', 'TIMED_OUT', 'detail', 'not done within ' .. (h[5] or '?') .. ' ms on ' .. (h[2] or '?'))
                ended(id, hk, h[4], h[3])
                changed(id)
              else
                redis.call('ZREM', P .. 'task-deadlines', id)
              end
            end
            return #ids""");

    /** ARGV: prefix, id: its status line, or nothing. */
    private static final Script STATUS = Script.of("task status", PRELUDE + """
            if redis.call('EXISTS', P .. 'task:' .. ARGV[2]) == 0 then return false end
            return line(ARGV[2])""");

    /** An executor this queue offers, and the tasks it holds now. */
    private final class Serving {
        final String executor;
        final Set<String> types;
        final int slots;
        final Consumer<Task> assigned;
        /**
         * The tasks it holds, each with the version its assignment made: a status line of that
         * version or older, heard late (pub/sub is another connection than the script's answer),
         * says nothing about who holds it now.
         */
        final Map<String, Long> running = new ConcurrentHashMap<>();
        volatile boolean closed;

        Serving(String executor, Set<String> types, int slots, Consumer<Task> assigned) {
            this.executor = executor;
            this.types = types;
            this.slots = slots;
            this.assigned = assigned;
        }

        String[] streams() {
            return types.stream().sorted().map(t -> prefix + "tasks:" + t).toArray(String[]::new);
        }
    }

    private final String name;
    private final String prefix;
    private final Duration memberTtl;
    private final RedisLink link;
    private final ScheduledExecutorService worker;
    private final ScheduledExecutorService notifier;
    private final Map<String, Serving> servings = new ConcurrentHashMap<>();
    private final Set<String> watched = ConcurrentHashMap.newKeySet();
    private final CopyOnWriteArrayList<Consumer<TaskStatus>> watchers = new CopyOnWriteArrayList<>();
    private final AtomicBoolean pumpQueued = new AtomicBoolean();
    private volatile boolean closed;
    private long lastReclaim;
    private long lastRefresh;

    RedisTaskQueue(String name, ConfigSection.Values redis, Duration memberTtl, PagumaRuntime runtime) {
        this.name = name;
        this.prefix = redis.get(RedisConfig.KEY_PREFIX);
        this.memberTtl = memberTtl;
        this.worker = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "paguma-redis-tasks-" + name);
            t.setDaemon(true);
            return t;
        });
        this.notifier = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "paguma-redis-task-changes-" + name);
            t.setDaemon(true);
            return t;
        });
        String changes = prefix + "task-changes";
        this.link = new RedisLink("tasks '" + name + "'", redis, runtime, Set.of(changes), new RedisLink.Listener() {
            @Override
            public void message(String channel, byte[] message) {
                if (channel.equals(changes)) heardChange(message);
                else if (channel.startsWith(prefix + "task-ready:")) pumpSoon();
            }

            @Override
            public void connected() {
                pumpSoon();
            }
        });
        long tick = Math.max(50, Math.min(500, memberTtl.toMillis() / 6));
        worker.scheduleWithFixedDelay(this::tick, tick, tick, TimeUnit.MILLISECONDS);
    }

    // --- Publishing

    @Override
    public CompletableFuture<TaskStatus> publish(Task task) {
        String files;
        try {
            files = JSON.writeValueAsString(task.files());
        } catch (Exception e) {
            return CompletableFuture.failedFuture(e);
        }
        watched.add(task.id());
        return link.<byte[]>script(PUBLISH, ScriptOutputType.VALUE, new String[0], args(task.id(), task.type(), task.key(), task.publisher(),
                        Long.toString(task.timeout().toMillis()), files).withPayload(task.payload()))
                .handle((line, e) -> {
                    if (e != null) {
                        watched.remove(task.id());
                        throw new TaskException("publishing " + task + " failed: " + link.describe(e, "a task publish"), null);
                    }
                    TaskStatus s = parse(line);
                    if (!s.id().equals(task.id())) {
                        watched.remove(task.id());
                        if (!s.state().isFinal()) watched.add(s.id());
                    }
                    return s;
                });
    }

    @Override
    public CompletableFuture<TaskStatus> status(String taskId) {
        return link.<byte[]>script(STATUS, ScriptOutputType.VALUE, new String[0], args(taskId).array())
                .handle((line, e) -> {
                    if (e != null) throw new TaskException("the status of task " + taskId + ": " + link.describe(e, "a task status"), null);
                    if (line == null) throw new TaskException("Redis at " + link.address() + " knows no task " + taskId, null);
                    return parse(line);
                });
    }

    @Override
    public Registry.Subscription watchTasks(Consumer<TaskStatus> listener) {
        watchers.add(listener);
        return () -> watchers.remove(listener);
    }

    private void heardChange(byte[] message) {
        TaskStatus s;
        try {
            s = parse(message);
        } catch (RuntimeException e) {
            log.warn("tasks '{}': a malformed task change on Redis at {}: {}", name, link.address(), e.getMessage());
            return;
        }
        boolean mine = watched.contains(s.id());
        for (Serving sv : servings.values()) mine |= sv.running.containsKey(s.id()) || s.executor() != null && s.executor().equals(sv.executor);
        if (!mine) return;
        if (s.state().isFinal()) watched.remove(s.id());
        // A task of ours taken over by another executor (ours seemed dead) is no longer ours.
        for (Serving sv : servings.values()) {
            Long taken = sv.running.get(s.id());
            if (taken != null && s.version() > taken && (s.state().isFinal() || !sv.executor.equals(s.executor()))
                    && sv.running.remove(s.id(), taken)) {
                pumpSoon();
            }
        }
        try {
            notifier.execute(() -> watchers.forEach(w -> {
                try {
                    w.accept(s);
                } catch (RuntimeException x) {
                    log.warn("tasks '{}': a listener failed on {}", name, s, x);
                }
            }));
        } catch (RejectedExecutionException closing) {
            // closed
        }
    }

    // --- Executors

    @Override
    public Registry.Subscription serve(String executorId, Set<String> types, int slots, Consumer<Task> assigned) {
        Serving sv = new Serving(executorId, Set.copyOf(types), slots, assigned);
        servings.put(executorId, sv);
        for (String t : sv.types) link.subscribe(prefix + "task-ready:" + t);
        List<String> a = new ArrayList<>();
        a.add(prefix);
        a.addAll(sv.types);
        link.script(SERVE, ScriptOutputType.INTEGER, new String[0], bytes(a)).whenComplete((v, e) -> pumpSoon());
        return () -> {
            if (!servings.remove(executorId, sv)) return;
            sv.closed = true;
            List<CompletableFuture<?>> back = new ArrayList<>();
            for (String id : sv.running.keySet()) {
                back.add(link.script(REQUEUE, ScriptOutputType.INTEGER, new String[0],
                        args(id, executorId, "executor " + executorId + " stopped: queued again", "0").array()));
            }
            try {
                CompletableFuture.allOf(back.toArray(CompletableFuture[]::new)).get(link.timeout().toMillis() * 2, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (Exception e) {
                log.warn("tasks '{}': giving back executor {}'s tasks failed ({}); others take them over after memberTtl",
                        name, executorId, e.getMessage());
            }
        };
    }

    @Override
    public CompletableFuture<Void> report(String taskId, String executorId, TaskState state, String detail) {
        Serving sv = servings.get(executorId);
        String d = detail == null ? "" : detail.length() > 2000 ? detail.substring(0, 2000) : detail;
        return link.<Long>script(REPORT, ScriptOutputType.INTEGER, new String[0], args(taskId, executorId, state.name(), d).array())
                .handle((n, e) -> {
                    if (state.isFinal() && sv != null && sv.running.remove(taskId) != null) pumpSoon();
                    if (e != null) throw new TaskException("reporting task " + taskId + ": " + link.describe(e, "a task report"), null);
                    return null;
                });
    }

    /** The tasks each executor of this queue holds now. */
    Map<String, Integer> load() {
        Map<String, Integer> m = new LinkedHashMap<>();
        servings.values().forEach(sv -> m.put(sv.executor, sv.running.size()));
        return m;
    }

    // --- The worker thread

    private void pumpSoon() {
        if (closed || !pumpQueued.compareAndSet(false, true)) return;
        try {
            worker.execute(() -> {
                pumpQueued.set(false);
                pump();
            });
        } catch (RejectedExecutionException ended) {
            pumpQueued.set(false);
        }
    }

    /** Takes tasks for the executors with free slots, least loaded first, one at a time, until none gets one. */
    private void pump() {
        boolean took = true;
        while (took && !closed) {
            took = false;
            List<Serving> free = new ArrayList<>();
            for (Serving sv : servings.values()) if (!sv.closed && sv.running.size() < sv.slots) free.add(sv);
            free.sort(Comparator.comparingInt(sv -> sv.running.size()));
            for (Serving sv : free) {
                List<String> a = new ArrayList<>(List.of(prefix, sv.executor, Long.toString(System.currentTimeMillis())));
                a.addAll(List.of(sv.streams()));
                List<Taken> got = call(TAKE, a);
                if (got == null) return;   // Redis unreachable: the next tick tries again
                if (!got.isEmpty()) {
                    give(sv, got);
                    took = true;
                    break;   // the loads changed: sort again
                }
            }
        }
    }

    private void give(Serving sv, List<Taken> tasks) {
        for (Taken taken : tasks) {
            Task t = taken.task();
            if (sv.closed) {
                // Taken for it while it was stopping (the pump chose it before it closed): given back
                // uncounted, so a task that a stopping executor's requeue raced back to it does not
                // show an attempt that never ran.
                link.script(REQUEUE, ScriptOutputType.INTEGER, new String[0],
                        args(t.id(), sv.executor, "executor " + sv.executor + " stopped", "1").array());
                continue;
            }
            sv.running.put(t.id(), taken.version());
            try {
                sv.assigned.accept(t);
            } catch (RuntimeException e) {
                log.warn("tasks '{}': executor {} failed to take {}: {}", name, sv.executor, t, e.toString());
            }
        }
    }

    private void tick() {
        if (closed) return;
        try {
            long now = System.currentTimeMillis();
            if (!servings.isEmpty()) {
                link.script(SWEEP, ScriptOutputType.INTEGER, new String[0], args(Long.toString(now)).array());
                if (now - lastRefresh >= memberTtl.toMillis() / 3) {
                    lastRefresh = now;
                    for (Serving sv : servings.values()) {
                        if (sv.running.isEmpty()) continue;
                        List<String> a = new ArrayList<>(List.of(prefix, sv.executor));
                        a.addAll(sv.running.keySet());
                        link.script(REFRESH, ScriptOutputType.INTEGER, new String[0], bytes(a));
                    }
                }
                if (now - lastReclaim >= memberTtl.toMillis() / 2) {
                    lastReclaim = now;
                    for (Serving sv : new ArrayList<>(servings.values())) {
                        int free = sv.slots - sv.running.size();
                        if (sv.closed || free <= 0) continue;
                        List<String> a = new ArrayList<>(List.of(prefix, sv.executor, Long.toString(now), Long.toString(memberTtl.toMillis()),
                                Integer.toString(free)));
                        a.addAll(List.of(sv.streams()));
                        List<Taken> got = call(RECLAIM, a);
                        if (got != null && !got.isEmpty()) {
                            log.info("tasks '{}': executor {} takes over {} task(s) whose executor stopped refreshing them: {}",
                                    name, sv.executor, got.size(), got.stream().map(x -> x.task().id()).toList());
                            give(sv, got);
                        }
                    }
                }
            }
            pump();
        } catch (RuntimeException e) {
            log.warn("tasks '{}': {}", name, e.toString());
        }
    }

    /** Runs a script that answers task fields, waiting (on the worker thread); null when Redis failed. */
    /** A task an assignment gave to an executor, and the version of its status that assignment made. */
    private record Taken(Task task, long version) {
    }

    private List<Taken> call(Script script, List<String> args) {
        try {
            List<Object> r = link.<List<Object>>script(script, ScriptOutputType.MULTI, new String[0], bytes(args))
                    .get(link.timeout().toMillis() + 1000, TimeUnit.MILLISECONDS);
            List<Taken> out = new ArrayList<>();
            for (int i = 0; i + 7 < r.size(); i += 8) {
                List<String> files = JSON.readValue(text(r.get(i + 5)), new TypeReference<List<String>>() { });
                out.add(new Taken(new Task(text(r.get(i)), text(r.get(i + 1)), (byte[]) r.get(i + 6), files, text(r.get(i + 2)),
                        Duration.ofMillis(Long.parseLong(text(r.get(i + 4)))), text(r.get(i + 3))), Long.parseLong(text(r.get(i + 7)))));
            }
            return out;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        } catch (Exception e) {
            if (!closed) log.debug("tasks '{}': {} failed: {}", name, script.name(), e.toString());
            return null;
        }
    }

    // --- Helpers

    private static String text(Object o) {
        return o == null ? null : new String((byte[]) o, StandardCharsets.UTF_8);
    }

    /** A status line: id, type, key, publisher, state, executor, attempts, version, detail. */
    private static TaskStatus parse(byte[] line) {
        String[] f = new String(line, StandardCharsets.UTF_8).split("\n", 9);
        if (f.length < 9) throw new IllegalArgumentException("a task status line of " + f.length + " fields");
        return new TaskStatus(f[0], f[1], f[2], f[3], TaskState.valueOf(f[4]), f[5].isEmpty() ? null : f[5],
                Integer.parseInt(f[6]), f[8].isEmpty() ? null : f[8], Long.parseLong(f[7]));
    }

    private Args args(String... values) {
        return new Args(prefix, values);
    }

    private static byte[][] bytes(List<String> values) {
        byte[][] b = new byte[values.size()][];
        for (int i = 0; i < b.length; i++) b[i] = values.get(i).getBytes(StandardCharsets.UTF_8);
        return b;
    }

    /** ARGV: the prefix, then values (and optionally raw bytes last). */
    private record Args(String prefix, String[] values) {
        byte[][] array() {
            List<String> all = new ArrayList<>();
            all.add(prefix);
            all.addAll(List.of(values));
            return bytes(all);
        }

        byte[][] withPayload(byte[] payload) {
            byte[][] a = array();
            byte[][] b = java.util.Arrays.copyOf(a, a.length + 1);
            b[a.length] = payload;
            return b;
        }
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        worker.shutdownNow();
        notifier.shutdownNow();
        link.close();
    }

    @Override
    public String toString() {
        return "RedisTaskQueue[" + name + " at " + link.address() + "]";
    }
}
