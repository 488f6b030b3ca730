package io.paguma.internal.codec;

import io.netty.buffer.ByteBuf;
import io.paguma.Codec;
import io.paguma.Message;

/** {@code [len u32 BE][data]}; every frame is message id 0. */
public final class LengthPrefixCodec implements Codec {
    private static final int HEADER = 4;

    @Override
    public String name() {
        return "length-prefix";
    }

    @Override
    public Message decode(ByteBuf in, int maxPacketSize) {
        int start = in.readerIndex();
        if (in.writerIndex() - start < HEADER) return null;
        int length = FrameChecks.checkLength(name(), in.getInt(start), maxPacketSize);
        if (in.writerIndex() - start - HEADER < length) return null;
        in.readerIndex(start + HEADER);
        return new Message(0, FrameChecks.readData(in, length));
    }

    @Override
    public void encode(Message message, ByteBuf out) {
        if (message.id() != 0) {
            throw new IllegalArgumentException("codec length-prefix carries no message id: cannot send message id "
                    + Integer.toUnsignedString(message.id()) + " (send with id 0)");
        }
        out.writeInt(message.length());
        out.writeBytes(message.data());
    }

    @Override
    public int frameLength(Message message) {
        return HEADER + message.length();
    }
}
