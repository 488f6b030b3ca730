package io.paguma.internal.codec;

import io.netty.buffer.ByteBuf;
import io.paguma.Message;

/**
 * A built-in codec whose frame is a header, the payload as it is, and an optional trailer: the
 * send path can then write a large buffer payload as its own write, without copying it
 * ({@code SendQueue}). {@code encode} is {@link #encodeHeader}, the payload, {@link #encodeTrailer}.
 */
public interface SplitFrames {
    /** Appends the frame's header for {@code message} (checked as {@code encode} checks it). */
    void encodeHeader(Message message, ByteBuf out);

    /** The trailer's length in bytes (0 for most formats). */
    default int trailerLength() {
        return 0;
    }

    /** Appends the frame's trailer, if it has one. */
    default void encodeTrailer(Message message, ByteBuf out) {
    }
}
