package io.paguma.internal.codec;

import io.netty.buffer.ByteBuf;
import io.paguma.Codec;
import io.paguma.FrameException;
import io.paguma.Message;

/**
 * A format made of a fixed header of unsigned 32-bit fields (payload length, and optionally the
 * message id and the sequence id) followed by the payload. The built-in formats {@code ltv-le},
 * {@code tlv-be}, {@code length-prefix} differ only in field order and byte
 * order, so one class serves them all ({@link TronCodec} and {@link LengthFieldCodec} do the rest).
 */
public final class HeaderCodec implements Codec, SplitFrames {
    private static final int NONE = -1;

    private final String name;
    private final int headerLength;
    private final int lengthOffset;
    private final int idOffset;
    private final int seqOffset;
    private final boolean littleEndian;

    private HeaderCodec(String name, int headerLength, int lengthOffset, int idOffset, int seqOffset,
                        boolean littleEndian) {
        this.name = name;
        this.headerLength = headerLength;
        this.lengthOffset = lengthOffset;
        this.idOffset = idOffset;
        this.seqOffset = seqOffset;
        this.littleEndian = littleEndian;
    }

    /** {@code [len u32 LE][id u32 LE][data]}. */
    public static HeaderCodec ltvLe() {
        return new HeaderCodec("ltv-le", 8, 0, 4, NONE, true);
    }

    /** {@code [id u32 BE][len u32 BE][data]}. */
    public static HeaderCodec tlvBe() {
        return new HeaderCodec("tlv-be", 8, 4, 0, NONE, false);
    }

    /** {@code [len u32 BE][data]}; every frame is message id 0. */
    public static HeaderCodec lengthPrefix() {
        return new HeaderCodec("length-prefix", 4, 0, NONE, NONE, false);
    }

    @Override
    public boolean hasSequence() {
        return seqOffset != NONE;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public Message decode(ByteBuf in, int maxPacketSize) {
        return decode(in, maxPacketSize, false);
    }

    @Override
    public Message decode(ByteBuf in, int maxPacketSize, boolean zeroCopy) {
        int start = in.readerIndex();
        int readable = in.writerIndex() - start;
        if (readable < headerLength) return null;
        int length = getInt(in, start + lengthOffset);
        // The length is unsigned: above 2 GiB it reads as negative.
        if (length < 0 || length > maxPacketSize) {
            throw new FrameException("frame of " + Integer.toUnsignedString(length) + " bytes exceeds maxPacketSize "
                    + maxPacketSize + " (codec " + name + "; set paguma.maxPacketSize to raise it)");
        }
        if (readable - headerLength < length) return null;
        int id = idOffset == NONE ? 0 : getInt(in, start + idOffset);
        int seq = seqOffset == NONE ? 0 : getInt(in, start + seqOffset);
        int end = start + headerLength + length;
        Message m = Payloads.message(id, seq, 0, 0, in, start + headerLength, length, zeroCopy);
        in.readerIndex(end);
        return m;
    }

    @Override
    public void encode(Message message, ByteBuf out) {
        out.ensureWritable(frameLength(message));
        encodeHeader(message, out);
        message.writePayload(out);
    }

    @Override
    public void encodeHeader(Message message, ByteBuf out) {
        Statusless.check(name, message);
        if (idOffset == NONE && message.id() != 0) {
            throw new IllegalArgumentException("codec " + name + " carries no message id: cannot send message id "
                    + Integer.toUnsignedString(message.id()) + " (send with id 0)");
        }
        out.ensureWritable(headerLength);
        int at = out.writerIndex();
        setInt(out, at + lengthOffset, message.length());
        if (idOffset != NONE) setInt(out, at + idOffset, message.id());
        if (seqOffset != NONE) setInt(out, at + seqOffset, message.seq());
        out.writerIndex(at + headerLength);
    }

    @Override
    public int frameLength(Message message) {
        Statusless.check(name, message);
        return headerLength + message.length();
    }

    private int getInt(ByteBuf b, int index) {
        return littleEndian ? b.getIntLE(index) : b.getInt(index);
    }

    private void setInt(ByteBuf b, int index, int value) {
        if (littleEndian) b.setIntLE(index, value);
        else b.setInt(index, value);
    }

    @Override
    public String toString() {
        return name;
    }
}
