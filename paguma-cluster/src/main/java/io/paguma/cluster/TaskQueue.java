package io.paguma.cluster;

import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/**
 * Where tasks wait for executors (SPEC X7; seed 002 §3.1.2, step 2: "Reg assigns it to an
 * executor"). Homes: this process ({@link InProcessTaskQueue}), the registry node (least loaded
 * of the executors that run the type), Redis (a stream per type with a consumer group).
 * Delivery is at least once: a task whose executor went away before it reported the end is
 * queued again.
 */
public interface TaskQueue {
    /**
     * Queues {@code task} (id, publisher and key set). A task whose key is already known is not
     * queued again: the answer is the known task's status.
     */
    CompletableFuture<TaskStatus> publish(Task task);

    /**
     * Offers executor {@code executorId} for {@code types}, at most {@code slots} tasks at once;
     * {@code assigned} is called (never on the caller's thread) with each task given to it. Ends
     * with the returned subscription's close (its unfinished tasks are queued again).
     */
    Registry.Subscription serve(String executorId, Set<String> types, int slots, Consumer<Task> assigned);

    /** The executor says where its task is: RUNNING, then DONE or FAILED ({@code detail}: why). */
    CompletableFuture<Void> report(String taskId, String executorId, TaskState state, String detail);

    /** The task's status; fails if the queue knows no such task. */
    CompletableFuture<TaskStatus> status(String taskId);

    /** Hears every change of the tasks published through this queue object. */
    Registry.Subscription watchTasks(Consumer<TaskStatus> listener);
}
