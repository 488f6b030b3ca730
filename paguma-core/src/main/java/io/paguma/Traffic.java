package io.paguma;

/**
 * Traffic counters (T7): bytes and messages received and sent, for one connection
 * ({@link Connection#traffic()}) or a whole server or client. Bytes are the frames' bytes, headers
 * included (with TLS, before encryption): counted as they are read, and once the write that
 * carried them has completed. A message is counted when it is decoded, or when its write has
 * completed. Heartbeats count like any message.
 */
public record Traffic(long bytesIn, long bytesOut, long messagesIn, long messagesOut) {
    /** No traffic at all: an endpoint's before it has run. */
    public static final Traffic ZERO = new Traffic(0, 0, 0, 0);

    /** The sum of this and {@code other}. */
    public Traffic plus(Traffic other) {
        return new Traffic(bytesIn + other.bytesIn, bytesOut + other.bytesOut,
                messagesIn + other.messagesIn, messagesOut + other.messagesOut);
    }
}
