package io.paguma.cluster;

/**
 * Hears how a file transfer goes (for a progress bar). Called on the transfer's writer thread, in
 * order; must not block for long.
 */
public interface TransferListener {
    /** The owner accepted the request: {@code size} bytes, sent from {@code offset}. */
    default void started(long size, long offset) {
    }

    /** {@code bytes} of the file are on disk (verified by their chunks' checksums). */
    default void progress(long bytes, long size) {
    }

    /** The file link broke or a chunk was damaged: the transfer goes on from {@code offset} on a new link. */
    default void resumed(long offset, String why) {
    }

    TransferListener NONE = new TransferListener() {
    };
}
