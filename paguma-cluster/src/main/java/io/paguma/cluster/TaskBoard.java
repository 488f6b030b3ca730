package io.paguma.cluster;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The assignment of tasks to executors, as the seed's registry does it (seed 002 §3.1.2, step 2):
 * a queued task goes to the least loaded of the executors that run its type and have a free slot
 * (ties: the one that waited longest); an executor that goes away gives its unfinished tasks back
 * to the queue; a task not done within its timeout after assignment is TIMED_OUT. Pure state: its
 * owner ({@link InProcessTaskQueue}, {@link RegistryServer}) guards it with a lock and carries out
 * what it decides through {@link Out}, outside nothing (calls come under the owner's lock).
 */
final class TaskBoard {
    /** What the board decided: give a task to an executor; tell the publisher a task changed. */
    interface Out {
        void assign(String executorId, Task task);

        void changed(TaskStatus status);
    }

    private static final class Entry {
        final Task task;
        TaskState state = TaskState.QUEUED;
        String executor;
        int attempts;
        long deadlineNanos;
        String detail;
        long endedNanos;
        long version;

        Entry(Task task) {
            this.task = task;
        }

        /** One more change: its status, with the next version. */
        TaskStatus changed() {
            version++;
            return status();
        }

        TaskStatus status() {
            return new TaskStatus(task.id(), task.type(), task.key(), task.publisher(), state, executor, attempts, detail, version);
        }
    }

    private static final class Worker {
        final String id;
        Set<String> types;
        int slots;
        boolean available = true;
        final Set<String> running = new LinkedHashSet<>();
        long lastAssigned;

        Worker(String id, Set<String> types, int slots) {
            this.id = id;
            this.types = types;
            this.slots = slots;
        }
    }

    private final Out out;
    private final int keepFinished;
    private final Map<String, Entry> tasks = new HashMap<>();
    private final Map<String, String> byKey = new HashMap<>();
    private final ArrayDeque<String> queue = new ArrayDeque<>();
    private final Map<String, Worker> workers = new LinkedHashMap<>();
    private final ArrayDeque<String> finished = new ArrayDeque<>();
    private long assignments;

    TaskBoard(Out out, int keepFinished) {
        this.out = out;
        this.keepFinished = keepFinished;
    }

    /** Queues {@code task}, or answers the status of the task that has its key. */
    TaskStatus publish(Task task) {
        String known = byKey.get(task.key());
        if (known != null && tasks.containsKey(known)) return tasks.get(known).status();
        Entry e = new Entry(task);
        tasks.put(task.id(), e);
        byKey.put(task.key(), task.id());
        queue.add(task.id());
        out.changed(e.changed());
        dispatch();
        return tasks.get(task.id()).status();
    }

    /** An executor offers itself (again: its types and slots are replaced, and it is available). */
    void serve(String executorId, Set<String> types, int slots) {
        Worker w = workers.get(executorId);
        if (w == null) {
            workers.put(executorId, new Worker(executorId, Set.copyOf(types), slots));
        } else {
            w.types = Set.copyOf(types);
            w.slots = slots;
            w.available = true;
        }
        dispatch();
    }

    /** An executor cannot be reached for now (its link closed): nothing new goes to it; its tasks stay with it. */
    void unavailable(String executorId) {
        Worker w = workers.get(executorId);
        if (w != null) w.available = false;
    }

    /** An executor is gone: its unfinished tasks are queued again, ahead of the others. */
    void gone(String executorId, String why) {
        Worker w = workers.remove(executorId);
        if (w == null) return;
        List<String> back = new ArrayList<>(w.running);
        for (int i = back.size() - 1; i >= 0; i--) {
            Entry e = tasks.get(back.get(i));
            if (e == null || e.state.isFinal()) continue;
            e.state = TaskState.QUEUED;
            e.executor = null;
            e.detail = "executor " + executorId + " went away (" + why + "): queued again";
            queue.addFirst(e.task.id());
            out.changed(e.changed());
        }
        dispatch();
    }

    /** What an executor says of its task; ignored unless the task is with it and not ended. */
    boolean report(String taskId, String executorId, TaskState state, String detail, long now) {
        Entry e = tasks.get(taskId);
        if (e == null || e.state.isFinal() || !executorId.equals(e.executor)) return false;
        if (state == TaskState.RUNNING) {
            if (e.state == TaskState.RUNNING) return true;
            e.state = TaskState.RUNNING;
            e.detail = null;
            out.changed(e.changed());
            return true;
        }
        if (state != TaskState.DONE && state != TaskState.FAILED) return false;
        end(e, state, detail, now);
        dispatch();
        return true;
    }

    /** Times out what ran too long; forgets the oldest ended tasks beyond those kept. */
    void sweep(long now) {
        List<Entry> late = new ArrayList<>();
        for (Entry e : tasks.values()) {
            if ((e.state == TaskState.ASSIGNED || e.state == TaskState.RUNNING) && now - e.deadlineNanos > 0) late.add(e);
        }
        for (Entry e : late) {
            end(e, TaskState.TIMED_OUT, "not done within " + e.task.timeout().toMillis() + " ms on " + e.executor, now);
        }
        if (!late.isEmpty()) dispatch();
    }

    TaskStatus status(String taskId) {
        Entry e = tasks.get(taskId);
        return e == null ? null : e.status();
    }

    /** Tasks with each executor now, for tests and the admin page. */
    Map<String, Integer> load() {
        Map<String, Integer> m = new LinkedHashMap<>();
        workers.values().forEach(w -> m.put(w.id, w.running.size()));
        return m;
    }

    int queued() {
        return queue.size();
    }

    private void end(Entry e, TaskState state, String detail, long now) {
        Worker w = e.executor == null ? null : workers.get(e.executor);
        if (w != null) w.running.remove(e.task.id());
        e.state = state;
        e.detail = detail;
        e.endedNanos = now;
        finished.add(e.task.id());
        out.changed(e.changed());
        while (finished.size() > keepFinished) {
            Entry old = tasks.remove(finished.poll());
            if (old != null) byKey.remove(old.task.key(), old.task.id());
        }
    }

    private void dispatch() {
        for (Iterator<String> it = queue.iterator(); it.hasNext(); ) {
            Entry e = tasks.get(it.next());
            if (e == null || e.state != TaskState.QUEUED) {
                it.remove();
                continue;
            }
            Worker best = null;
            for (Worker w : workers.values()) {
                if (!w.available || w.running.size() >= w.slots || !w.types.contains(e.task.type())) continue;
                if (best == null || w.running.size() < best.running.size()
                        || w.running.size() == best.running.size() && w.lastAssigned < best.lastAssigned) {
                    best = w;
                }
            }
            if (best == null) continue;
            it.remove();
            best.running.add(e.task.id());
            best.lastAssigned = ++assignments;
            e.state = TaskState.ASSIGNED;
            e.executor = best.id;
            e.attempts++;
            e.detail = null;
            e.deadlineNanos = System.nanoTime() + e.task.timeout().toNanos();
            out.changed(e.changed());
            out.assign(best.id, e.task);
        }
    }
}
