package io.paguma.cluster;

/** A task did not give a result: its handler failed, it timed out, or it could not be published. */
public class TaskException extends RuntimeException {
    private final TaskStatus status;

    public TaskException(String message, TaskStatus status) {
        super(message);
        this.status = status;
    }

    /** The task's status when it failed, or null if it never got one. */
    public TaskStatus status() {
        return status;
    }
}
