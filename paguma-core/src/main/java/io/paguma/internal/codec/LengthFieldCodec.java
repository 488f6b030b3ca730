package io.paguma.internal.codec;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.paguma.Codec;
import io.paguma.ConfigException;
import io.paguma.FrameException;
import io.paguma.Message;

/**
 * The {@code length-field} codec: a header with a length field (1–4 bytes, unsigned), an optional
 * message id field and an optional constant prefix, then the payload (see
 * {@link io.paguma.LengthFieldConfig}). The frame's length is
 * {@code lengthOffset + lengthSize + length + lengthAdjustment}, Netty's rule, so layouts written
 * for {@code LengthFieldBasedFrameDecoder} or Zinx's {@code LengthField} carry over.
 */
public final class LengthFieldCodec implements Codec, SplitFrames {
    private final boolean littleEndian;
    private final byte[] prefix;
    private final int lengthOffset;
    private final int lengthSize;
    private final int lengthAdjustment;
    /** -1: no id field. */
    private final int idOffset;
    private final int idSize;
    private final int headerLength;
    private final long maxLengthValue;
    private final long maxId;

    private LengthFieldCodec(boolean littleEndian, byte[] prefix, int lengthOffset, int lengthSize, int lengthAdjustment,
                             int idOffset, int idSize, int headerLength) {
        this.littleEndian = littleEndian;
        this.prefix = prefix;
        this.lengthOffset = lengthOffset;
        this.lengthSize = lengthSize;
        this.lengthAdjustment = lengthAdjustment;
        this.idOffset = idOffset;
        this.idSize = idSize;
        this.headerLength = headerLength;
        this.maxLengthValue = (1L << (8 * lengthSize)) - 1;
        this.maxId = idOffset < 0 ? 0 : (1L << (8 * idSize)) - 1;
    }

    /**
     * A layout; see {@link io.paguma.LengthFieldConfig} for the meaning of each value.
     *
     * @throws ConfigException if the fields overlap each other or the prefix, or lie past headerLength
     */
    public static LengthFieldCodec of(boolean littleEndian, String prefixHex, int lengthOffset, int lengthSize,
                                      int lengthAdjustment, int idOffset, int idSize, int headerLength) {
        byte[] prefix = ByteBufUtil.decodeHexDump(prefixHex);
        int lengthEnd = lengthOffset + lengthSize;
        int end = Math.max(prefix.length, Math.max(lengthEnd, idOffset < 0 ? 0 : idOffset + idSize));
        int header = headerLength == 0 ? end : headerLength;
        if (header < end) {
            throw new ConfigException("lengthField.headerLength", "lengthField.headerLength " + headerLength
                    + " ends before the fields do (at byte " + end + ")");
        }
        if (lengthOffset < prefix.length) {
            throw new ConfigException("lengthField.lengthOffset", "lengthField.lengthOffset " + lengthOffset
                    + " lies inside the " + prefix.length + "-byte prefix");
        }
        if (idOffset >= 0 && idOffset < prefix.length) {
            throw new ConfigException("lengthField.idOffset", "lengthField.idOffset " + idOffset
                    + " lies inside the " + prefix.length + "-byte prefix");
        }
        if (idOffset >= 0 && idOffset < lengthEnd && lengthOffset < idOffset + idSize) {
            throw new ConfigException("lengthField.idOffset", "lengthField.idOffset " + idOffset + " (" + idSize
                    + " bytes) overlaps the length field at " + lengthOffset + " (" + lengthSize + " bytes)");
        }
        return new LengthFieldCodec(littleEndian, prefix, lengthOffset, lengthSize, lengthAdjustment, idOffset, idSize, header);
    }

    @Override
    public String name() {
        return "length-field";
    }

    @Override
    public Message decode(ByteBuf in, int maxPacketSize) {
        return decode(in, maxPacketSize, false);
    }

    @Override
    public Message decode(ByteBuf in, int maxPacketSize, boolean zeroCopy) {
        int start = in.readerIndex();
        int readable = in.writerIndex() - start;
        // The prefix is checked as soon as it is there: a stream out of step fails at once.
        int have = Math.min(readable, prefix.length);
        for (int i = 0; i < have; i++) {
            if (in.getByte(start + i) != prefix[i]) {
                // What came instead is not shown: it may be payload (no payload bytes in logs).
                throw new FrameException("length-field frame does not start with the prefix "
                        + ByteBufUtil.hexDump(prefix) + " (byte " + i + " differs)");
            }
        }
        if (readable < headerLength) return null;
        long lengthValue = getUnsigned(in, start + lengthOffset, lengthSize);
        long frameLength = lengthOffset + lengthSize + lengthValue + lengthAdjustment;
        long payload = frameLength - headerLength;
        if (payload < 0) {
            throw new FrameException("length-field frame announces length " + lengthValue + ", shorter than its "
                    + headerLength + "-byte header");
        }
        if (payload > maxPacketSize) {
            throw new FrameException("frame of " + payload + " bytes exceeds maxPacketSize " + maxPacketSize
                    + " (codec " + name() + "; set paguma.maxPacketSize to raise it)");
        }
        if (readable < frameLength) return null;
        int id = idOffset < 0 ? 0 : (int) getUnsigned(in, start + idOffset, idSize);
        Message m = Payloads.message(id, 0, 0, 0, in, start + headerLength, (int) payload, zeroCopy);
        in.readerIndex(start + (int) frameLength);
        return m;
    }

    @Override
    public void encode(Message message, ByteBuf out) {
        out.ensureWritable(headerLength + message.length());
        encodeHeader(message, out);
        message.writePayload(out);
    }

    @Override
    public void encodeHeader(Message message, ByteBuf out) {
        long value = lengthValue(message);
        out.ensureWritable(headerLength);
        int at = out.writerIndex();
        out.writeBytes(prefix);
        out.writeZero(headerLength - prefix.length);
        setUnsigned(out, at + lengthOffset, lengthSize, value);
        if (idOffset >= 0) setUnsigned(out, at + idOffset, idSize, Integer.toUnsignedLong(message.id()));
    }

    /** The length field's value for {@code message}, after checking that it and the id fit their fields. */
    private long lengthValue(Message message) {
        Statusless.check(name(), message);
        long id = Integer.toUnsignedLong(message.id());
        if (id > maxId) {
            throw new IllegalArgumentException(idOffset < 0
                    ? "codec length-field has no id field here: cannot send message id " + id + " (send with id 0)"
                    : "codec length-field's id field has " + idSize + " byte(s): cannot send message id " + id);
        }
        long value = (long) headerLength + message.length() - lengthOffset - lengthSize - lengthAdjustment;
        if (value < 0 || value > maxLengthValue) {
            throw new IllegalArgumentException("codec length-field's length field has " + lengthSize
                    + " byte(s): a payload of " + message.length() + " bytes does not fit");
        }
        return value;
    }

    @Override
    public int frameLength(Message message) {
        lengthValue(message);
        return headerLength + message.length();
    }

    private long getUnsigned(ByteBuf b, int index, int size) {
        long v = 0;
        for (int i = 0; i < size; i++) {
            int at = littleEndian ? index + size - 1 - i : index + i;
            v = (v << 8) | b.getUnsignedByte(at);
        }
        return v;
    }

    private void setUnsigned(ByteBuf b, int index, int size, long value) {
        for (int i = 0; i < size; i++) {
            int at = littleEndian ? index + i : index + size - 1 - i;
            b.setByte(at, (int) (value >>> (8 * i)));
        }
    }

    @Override
    public String toString() {
        return "length-field{" + (littleEndian ? "little" : "big") + (prefix.length > 0 ? ", prefix " + ByteBufUtil.hexDump(prefix) : "")
                + ", length at " + lengthOffset + " (" + lengthSize + " B, adjust " + lengthAdjustment + ")"
                + (idOffset >= 0 ? ", id at " + idOffset + " (" + idSize + " B)" : ", no id") + ", header " + headerLength + " B}";
    }
}
