package io.paguma.cluster;

/**
 * Runs the tasks of one type on an executor, on a thread of its task pool (it may block). Returns
 * the result for the publisher; a throw fails the task with the exception's message.
 */
@FunctionalInterface
public interface TaskHandler {
    byte[] run(TaskContext context) throws Exception;
}
