package io.paguma.cluster;

import java.nio.file.Path;

/**
 * The seed's completion callback of a file request (seed 002 §3.1.2, step 4: "calls the callback
 * by its id"): registered under an id with {@link Executor#onFile}, named by
 * {@link Executor#requestFile(String, String, long)}, called once with the file or the error.
 */
@FunctionalInterface
public interface FileCallback {
    /** {@code file} is the fetched file, or null when {@code error} says why there is none. */
    void done(long callbackId, Path file, Throwable error);
}
