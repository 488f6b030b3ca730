package io.paguma.internal.codec;

import io.netty.buffer.ByteBuf;
import io.paguma.Codec;
import io.paguma.Message;

/** {@code [id u32 BE][len u32 BE][data]}. */
public final class TlvBeCodec implements Codec {
    private static final int HEADER = 8;

    @Override
    public String name() {
        return "tlv-be";
    }

    @Override
    public Message decode(ByteBuf in, int maxPacketSize) {
        int start = in.readerIndex();
        if (in.writerIndex() - start < HEADER) return null;
        int length = FrameChecks.checkLength(name(), in.getInt(start + 4), maxPacketSize);
        if (in.writerIndex() - start - HEADER < length) return null;
        int id = in.getInt(start);
        in.readerIndex(start + HEADER);
        return new Message(id, FrameChecks.readData(in, length));
    }

    @Override
    public void encode(Message message, ByteBuf out) {
        out.writeInt(message.id());
        out.writeInt(message.length());
        out.writeBytes(message.data());
    }

    @Override
    public int frameLength(Message message) {
        return HEADER + message.length();
    }
}
