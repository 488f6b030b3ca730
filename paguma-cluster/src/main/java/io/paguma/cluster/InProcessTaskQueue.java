package io.paguma.cluster;

import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Tasks for the executors of one JVM ({@link TaskQueue}; what an {@link InProcessRegistry}
 * offers): the registry node's assignment rules ({@link TaskBoard}) under one lock, listeners
 * called in order on one daemon thread of its own.
 */
public final class InProcessTaskQueue implements TaskQueue, AutoCloseable {
    private final Object lock = new Object();
    private final TaskBoard board;
    private final ScheduledExecutorService thread;
    private final Map<String, Consumer<Task>> servers = new ConcurrentHashMap<>();
    private final CopyOnWriteArrayList<Consumer<TaskStatus>> watchers = new CopyOnWriteArrayList<>();

    public InProcessTaskQueue() {
        thread = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "paguma-tasks");
            t.setDaemon(true);
            return t;
        });
        board = new TaskBoard(new TaskBoard.Out() {
            @Override
            public void assign(String executorId, Task task) {
                Consumer<Task> c = servers.get(executorId);
                if (c != null) thread.execute(() -> c.accept(task));
            }

            @Override
            public void changed(TaskStatus status) {
                thread.execute(() -> watchers.forEach(w -> w.accept(status)));
            }
        }, 10_000);
        thread.scheduleWithFixedDelay(() -> {
            synchronized (lock) {
                board.sweep(System.nanoTime());
            }
        }, 50, 50, TimeUnit.MILLISECONDS);
    }

    @Override
    public CompletableFuture<TaskStatus> publish(Task task) {
        synchronized (lock) {
            return CompletableFuture.completedFuture(board.publish(task));
        }
    }

    @Override
    public Registry.Subscription serve(String executorId, Set<String> types, int slots, Consumer<Task> assigned) {
        servers.put(executorId, assigned);
        synchronized (lock) {
            board.serve(executorId, types, slots);
        }
        return () -> {
            if (servers.remove(executorId, assigned)) {
                synchronized (lock) {
                    board.gone(executorId, "it stopped serving");
                }
            }
        };
    }

    @Override
    public CompletableFuture<Void> report(String taskId, String executorId, TaskState state, String detail) {
        synchronized (lock) {
            board.report(taskId, executorId, state, detail, System.nanoTime());
        }
        return CompletableFuture.completedFuture(null);
    }

    @Override
    public CompletableFuture<TaskStatus> status(String taskId) {
        TaskStatus s;
        synchronized (lock) {
            s = board.status(taskId);
        }
        return s == null ? CompletableFuture.failedFuture(new TaskException("no task " + taskId, null)) : CompletableFuture.completedFuture(s);
    }

    @Override
    public Registry.Subscription watchTasks(Consumer<TaskStatus> listener) {
        watchers.add(listener);
        return () -> watchers.remove(listener);
    }

    /** The tasks each executor holds now. */
    public Map<String, Integer> load() {
        synchronized (lock) {
            return board.load();
        }
    }

    @Override
    public void close() {
        thread.shutdownNow();
    }
}
