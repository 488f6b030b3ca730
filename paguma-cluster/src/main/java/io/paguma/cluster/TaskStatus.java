package io.paguma.cluster;

/**
 * A task's state as its queue knows it: the executor it is with (null while queued), how many
 * times it was assigned, for FAILED or TIMED_OUT why, and {@code version}, which grows with every
 * change (a status that arrives late, after a newer one, is recognised by it).
 */
public record TaskStatus(String id, String type, String key, String publisher, TaskState state, String executor, int attempts,
                         String detail, long version) {
    @Override
    public String toString() {
        return id + " " + type + " " + state + (executor == null ? "" : " on " + executor)
                + (attempts > 1 ? " (attempt " + attempts + ")" : "") + (detail == null ? "" : ": " + detail);
    }
}
