package io.paguma.internal.codec;

import io.netty.buffer.ByteBuf;
import io.paguma.Codec;
import io.paguma.Message;

/** {@code [len u32 LE][id u32 LE][data]}. */
public final class LtvLeCodec implements Codec {
    private static final int HEADER = 8;

    @Override
    public String name() {
        return "ltv-le";
    }

    @Override
    public Message decode(ByteBuf in, int maxPacketSize) {
        int start = in.readerIndex();
        if (in.writerIndex() - start < HEADER) return null;
        int length = FrameChecks.checkLength(name(), in.getIntLE(start), maxPacketSize);
        if (in.writerIndex() - start - HEADER < length) return null;
        int id = in.getIntLE(start + 4);
        in.readerIndex(start + HEADER);
        return new Message(id, FrameChecks.readData(in, length));
    }

    @Override
    public void encode(Message message, ByteBuf out) {
        out.writeIntLE(message.length());
        out.writeIntLE(message.id());
        out.writeBytes(message.data());
    }

    @Override
    public int frameLength(Message message) {
        return HEADER + message.length();
    }
}
