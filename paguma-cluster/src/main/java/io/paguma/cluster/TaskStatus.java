package io.paguma.cluster;

/**
 * A task's state as its queue knows it: the executor it is with (null while queued), how many
 * times it was assigned, and for FAILED or TIMED_OUT why.
 */
public record TaskStatus(String id, String type, String key, String publisher, TaskState state, String executor, int attempts,
                         String detail) {
    @Override
    public String toString() {
        return id + " " + type + " " + state + (executor == null ? "" : " on " + executor)
                + (attempts > 1 ? " (attempt " + attempts + ")" : "") + (detail == null ? "" : ": " + detail);
    }
}
