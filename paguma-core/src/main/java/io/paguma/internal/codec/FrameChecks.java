package io.paguma.internal.codec;

import io.paguma.FrameException;

/** Shared checks of the built-in codecs. */
final class FrameChecks {
    private FrameChecks() {
    }

    /** {@code rawLength} is the unsigned 32-bit length field as read into an int. */
    static int checkLength(String codec, int rawLength, int maxPacketSize) {
        if (rawLength < 0 || rawLength > maxPacketSize) {
            throw new FrameException("frame of " + Integer.toUnsignedString(rawLength)
                    + " bytes exceeds maxPacketSize " + maxPacketSize
                    + " (codec " + codec + "; set paguma.maxPacketSize to raise it)");
        }
        return rawLength;
    }

    static byte[] readData(io.netty.buffer.ByteBuf in, int length) {
        byte[] data = new byte[length];
        in.readBytes(data);
        return data;
    }
}
