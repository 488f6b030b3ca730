package io.paguma.cluster;

/** Where a task is (SPEC X7). */
public enum TaskState {
    /** Published, waiting for an executor that runs its type. */
    QUEUED,
    /** Given to an executor, which has not yet said it runs it. */
    ASSIGNED,
    /** The executor runs it (fetching its files, then its handler). */
    RUNNING,
    /** It ran; its result went to the publisher. */
    DONE,
    /** Its handler failed, a file could not be fetched, or no executor could take it. */
    FAILED,
    /** It was not done within its timeout after it was assigned. */
    TIMED_OUT;

    public boolean isFinal() {
        return this == DONE || this == FAILED || this == TIMED_OUT;
    }
}
