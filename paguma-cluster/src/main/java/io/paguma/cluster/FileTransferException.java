package io.paguma.cluster;

/**
 * A file transfer between executors failed (SPEC X8): the message names the peer, the file, how
 * far it got and why (the name was refused, no such file, no data for {@code noProgressTimeout},
 * the {@code transferDeadline} passed, the data did not match its checksum, the peer left).
 * Nothing is left under the file's final name.
 */
public class FileTransferException extends RuntimeException {
    public FileTransferException(String message) {
        super(message);
    }

    public FileTransferException(String message, Throwable cause) {
        super(message, cause);
    }
}
