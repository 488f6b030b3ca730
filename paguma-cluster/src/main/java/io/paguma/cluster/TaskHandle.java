package io.paguma.cluster;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * A published task, as its publisher sees it: its latest status and its result. The result
 * completes once — with the first result an executor delivered, or failed with
 * {@link TaskException} when the task FAILED or TIMED_OUT — however many times the task ran.
 */
public final class TaskHandle {
    private final Task task;
    private final CompletableFuture<byte[]> result = new CompletableFuture<>();
    private final CopyOnWriteArrayList<Consumer<TaskStatus>> listeners = new CopyOnWriteArrayList<>();
    private volatile String id;
    private volatile TaskStatus status;

    TaskHandle(Task task) {
        this.task = task;
        this.id = task.id();
    }

    /** The task's id: its own, or that of the task published earlier with the same key. */
    public String id() {
        return id;
    }

    public Task task() {
        return task;
    }

    /** The latest status heard, or null before the queue answered. */
    public TaskStatus status() {
        return status;
    }

    /** The result: the bytes the handler returned. */
    public CompletableFuture<byte[]> result() {
        return result;
    }

    /** Calls {@code listener} with every later status change (on the queue's thread). */
    public synchronized TaskHandle onChange(Consumer<TaskStatus> listener) {
        listeners.add(listener);
        TaskStatus now = status;
        if (now != null) listener.accept(now);
        return this;
    }

    void rebind(String knownId) {
        this.id = knownId;
    }

    /** A status change; a FAILED or TIMED_OUT fails the result (if no result came first). */
    synchronized void changed(TaskStatus s) {
        TaskStatus now = status;
        // Late or repeated news (the queue's answer and its pushes may cross) changes nothing.
        if (now != null && now.id().equals(s.id()) && s.version() <= now.version()) return;
        status = s;
        for (Consumer<TaskStatus> l : listeners) {
            try {
                l.accept(s);
            } catch (RuntimeException ignored) {
                // a listener's failure is its own
            }
        }
        if (s.state() == TaskState.FAILED || s.state() == TaskState.TIMED_OUT) {
            result.completeExceptionally(new TaskException("task " + s.id() + " (" + s.type() + ") " + s.state()
                    + (s.executor() == null ? "" : " on executor " + s.executor()) + (s.detail() == null ? "" : ": " + s.detail()), s));
        }
    }

    boolean delivered(byte[] bytes) {
        return result.complete(bytes);
    }

    boolean failed(TaskException e) {
        return result.completeExceptionally(e);
    }

    @Override
    public String toString() {
        TaskStatus s = status;
        return "TaskHandle[" + id + " " + task.type() + (s == null ? "" : " " + s.state()) + "]";
    }
}
