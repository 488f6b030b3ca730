package io.paguma.internal.codec;

import io.netty.buffer.ByteBuf;
import io.paguma.Message;

/** How the built-in codecs take a payload out of the read buffer: copied, or as a retained slice (zeroCopy). */
final class Payloads {
    private Payloads() {
    }

    /** The message whose payload is {@code length} bytes of {@code in} at {@code at}; the reader index is left alone. */
    static Message message(int id, int seq, int status, int timeoutMillis, ByteBuf in, int at, int length, boolean zeroCopy) {
        if (zeroCopy && length > 0) return new Message(id, seq, status, timeoutMillis, in.retainedSlice(at, length));
        byte[] data = new byte[length];
        in.getBytes(at, data);
        return status == 0 && timeoutMillis == 0 ? new Message(id, seq, data) : new Message(id, seq, status, timeoutMillis, data);
    }
}
