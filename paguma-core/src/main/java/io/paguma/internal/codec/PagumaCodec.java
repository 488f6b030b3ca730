package io.paguma.internal.codec;

import io.netty.buffer.ByteBuf;
import io.paguma.Codec;
import io.paguma.FrameException;
import io.paguma.Message;

/**
 * Paguma's own format (0.2): a length, a marker, flags, a status, the message id and the sequence
 * id, then an optional time limit and the payload. Big-endian throughout.
 *
 * <pre>
 *  0  len     u32  payload length
 *  4  marker  u8   0xB7: a Paguma 0.2 frame (0.1 frames had the id's top byte here: refused, not misread)
 *  5  flags   u8   bit 0: a 4-byte time limit follows the header; other bits 0
 *  6  status  u16  0, or the error status of a failed request's reply
 *  8  id      u32  message id
 * 12  seq     u32  sequence id, 0 = none
 * 16  timeout u32  (flag bit 0 only) the request's time limit in milliseconds
 * 16|20 data
 * </pre>
 */
public final class PagumaCodec implements Codec, SplitFrames {
    static final int MARKER = 0xB7;
    private static final int HEADER = 16;
    private static final int FLAG_TIMEOUT = 1;

    @Override
    public String name() {
        return "paguma";
    }

    @Override
    public boolean hasSequence() {
        return true;
    }

    @Override
    public boolean hasStatus() {
        return true;
    }

    @Override
    public Message decode(ByteBuf in, int maxPacketSize) {
        return decode(in, maxPacketSize, false);
    }

    @Override
    public Message decode(ByteBuf in, int maxPacketSize, boolean zeroCopy) {
        int start = in.readerIndex();
        int readable = in.writerIndex() - start;
        if (readable < 5) return null;
        int marker = in.getUnsignedByte(start + 4);
        if (marker != MARKER) {
            throw new FrameException("not a paguma 0.2 frame: byte 4 is 0x" + String.format("%02x", marker)
                    + ", not 0xb7 (a peer of Paguma 0.1, whose paguma frames had another layout? both sides need 0.2)");
        }
        // The whole header first, so a frame refused as too large can still be answered (its id and seq).
        if (readable < HEADER) return null;
        int length = in.getInt(start);
        if (length < 0 || length > maxPacketSize) {
            throw new FrameException("frame of " + Integer.toUnsignedString(length) + " bytes exceeds maxPacketSize "
                    + maxPacketSize + " (codec paguma; set paguma.maxPacketSize to raise it)");
        }
        int flags = in.getUnsignedByte(start + 5);
        if ((flags & ~FLAG_TIMEOUT) != 0) {
            throw new FrameException("paguma frame with unknown flags 0x" + String.format("%02x", flags));
        }
        int header = (flags & FLAG_TIMEOUT) != 0 ? HEADER + 4 : HEADER;
        if (readable - header < length) return null;
        int status = in.getUnsignedShort(start + 6);
        int id = in.getInt(start + 8);
        int seq = in.getInt(start + 12);
        int timeout = 0;
        if (header > HEADER) {
            long t = in.getUnsignedInt(start + 16);
            // Zero on the wire means none; anything above 24 days is "very long".
            timeout = t == 0 ? 0 : (int) Math.min(Integer.MAX_VALUE, t);
        }
        Message m = Payloads.message(id, seq, status, timeout, in, start + header, length, zeroCopy);
        in.readerIndex(start + header + length);
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
        int timeout = message.timeoutMillis();
        out.writeInt(message.length());
        out.writeByte(MARKER);
        out.writeByte(timeout != 0 ? FLAG_TIMEOUT : 0);
        out.writeShort(message.status());
        out.writeInt(message.id());
        out.writeInt(message.seq());
        if (timeout != 0) out.writeInt(timeout);
    }

    @Override
    public int frameLength(Message message) {
        return HEADER + (message.timeoutMillis() != 0 ? 4 : 0) + message.length();
    }

    @Override
    public String toString() {
        return name();
    }
}
