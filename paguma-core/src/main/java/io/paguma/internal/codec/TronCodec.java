package io.paguma.internal.codec;

import io.netty.buffer.ByteBuf;
import io.paguma.Codec;
import io.paguma.FrameException;
import io.paguma.Message;

/**
 * The TRON project's packets (seed 001, T2), byte for byte as its own Go code writes them:
 *
 * <ul>
 *   <li>{@code tron} (TRON v0.1, {@code packet.go}): {@code [seq i32 BE][category u8][dataLen u32 BE][data]["\r\n"]},
 *       a 9-byte header; the category is the message id (0–255); an empty packet is refused, as
 *       TRON refuses it;</li>
 *   <li>{@code tron-v2} (TRON's later {@code DefaultCodec}): {@code [packLen i32 BE = 8 + dataLen][seq i32 BE][dataLen i32 BE][data]};
 *       no message id: every message is id 0, as with {@code length-prefix}.</li>
 * </ul>
 *
 * <p>TRON's "no sequence" is seq −1; Paguma's is 0. So the two values trade places on the wire:
 * Paguma's 0 is written as −1 and −1 is read as 0; TRON's seq 0 (which its counter reaches when it
 * wraps) is Paguma's {@code 0xFFFFFFFF}. Every other value is the same on both sides, and a
 * reply carries back exactly the seq its request came with.
 */
public final class TronCodec implements Codec, SplitFrames {
    private final boolean v2;

    private TronCodec(boolean v2) {
        this.v2 = v2;
    }

    /** TRON v0.1's packet: {@code tron}. */
    public static TronCodec v01() {
        return new TronCodec(false);
    }

    /** TRON's later default codec: {@code tron-v2}. */
    public static TronCodec v2() {
        return new TronCodec(true);
    }

    @Override
    public String name() {
        return v2 ? "tron-v2" : "tron";
    }

    @Override
    public boolean hasSequence() {
        return true;
    }

    /** TRON's seq −1 and 0 are Paguma's 0 and −1; the mapping is its own inverse. */
    private static int swapNoSequence(int seq) {
        return seq == 0 ? -1 : seq == -1 ? 0 : seq;
    }

    @Override
    public Message decode(ByteBuf in, int maxPacketSize) {
        return decode(in, maxPacketSize, false);
    }

    @Override
    public Message decode(ByteBuf in, int maxPacketSize, boolean zeroCopy) {
        return v2 ? decodeV2(in, maxPacketSize, zeroCopy) : decodeV01(in, maxPacketSize, zeroCopy);
    }

    private Message decodeV01(ByteBuf in, int maxPacketSize, boolean zeroCopy) {
        int start = in.readerIndex();
        int readable = in.writerIndex() - start;
        if (readable < 9) return null;
        int length = in.getInt(start + 5);
        checkLength(length, maxPacketSize);
        int seq = in.getInt(start);
        int category = in.getUnsignedByte(start + 4);
        if (length == 0) {
            throw new FrameException("tron frame (seq " + seq + ", category " + category
                    + ") has no data: TRON refuses empty packets");
        }
        if (readable - 11 < length) return null;
        int end = start + 9 + length;
        if (in.getByte(end) != '\r' || in.getByte(end + 1) != '\n') {
            throw new FrameException("tron frame (seq " + seq + ", category " + category + ", " + length
                    + " bytes) does not end with \\r\\n");
        }
        Message m = Payloads.message(category, swapNoSequence(seq), 0, 0, in, start + 9, length, zeroCopy);
        in.readerIndex(end + 2);
        return m;
    }

    private Message decodeV2(ByteBuf in, int maxPacketSize, boolean zeroCopy) {
        int start = in.readerIndex();
        int readable = in.writerIndex() - start;
        if (readable < 12) return null;
        int length = in.getInt(start + 8);
        checkLength(length, maxPacketSize);
        int packLen = in.getInt(start);
        int seq = in.getInt(start + 4);
        if (packLen != 8 + length) {
            throw new FrameException("tron-v2 frame (seq " + seq + ") says packLen " + packLen + " but dataLen "
                    + length + " (packLen must be 8 + dataLen)");
        }
        if (readable - 12 < length) return null;
        Message m = Payloads.message(0, swapNoSequence(seq), 0, 0, in, start + 12, length, zeroCopy);
        in.readerIndex(start + 12 + length);
        return m;
    }

    private void checkLength(int length, int maxPacketSize) {
        if (length < 0 || length > maxPacketSize) {
            throw new FrameException("frame of " + Integer.toUnsignedString(length) + " bytes exceeds maxPacketSize "
                    + maxPacketSize + " (codec " + name() + "; set paguma.maxPacketSize to raise it)");
        }
    }

    @Override
    public void encode(Message message, ByteBuf out) {
        out.ensureWritable(frameLength(message));
        encodeHeader(message, out);
        message.writePayload(out);
        encodeTrailer(message, out);
    }

    @Override
    public void encodeHeader(Message message, ByteBuf out) {
        check(message);
        int seq = swapNoSequence(message.seq());
        if (v2) {
            out.writeInt(8 + message.length());
            out.writeInt(seq);
            out.writeInt(message.length());
        } else {
            out.writeInt(seq);
            out.writeByte(message.id());
            out.writeInt(message.length());
        }
    }

    @Override
    public int trailerLength() {
        return v2 ? 0 : 2;
    }

    @Override
    public void encodeTrailer(Message message, ByteBuf out) {
        if (!v2) out.writeShort(0x0d0a);
    }

    private void check(Message message) {
        Statusless.check(name(), message);
        int id = message.id();
        if (v2 && id != 0) {
            throw new IllegalArgumentException("codec tron-v2 carries no message id: cannot send message id "
                    + Integer.toUnsignedString(id) + " (send with id 0)");
        }
        if (!v2 && (id < 0 || id > 255)) {
            throw new IllegalArgumentException("codec tron carries the message id in one byte (TRON's category, 0-255):"
                    + " cannot send message id " + Integer.toUnsignedString(id));
        }
        if (!v2 && message.length() == 0) {
            throw new IllegalArgumentException("codec tron cannot send an empty message: TRON refuses packets without data");
        }
    }

    @Override
    public int frameLength(Message message) {
        check(message);
        return v2 ? 12 + message.length() : 11 + message.length();
    }

    @Override
    public String toString() {
        return name();
    }
}
