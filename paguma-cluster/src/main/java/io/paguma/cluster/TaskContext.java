package io.paguma.cluster;

import java.nio.file.Path;

/** What a {@link TaskHandler} gets: the task, and its files already fetched into this executor's shared directory. */
public interface TaskContext {
    Task task();

    /** The local copy of one of the task's files (fetched from the publisher before the handler runs). */
    Path file(String name);

    /** The executor running it. */
    Executor executor();
}
