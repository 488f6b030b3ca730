package io.paguma.hub;

import io.netty.buffer.ByteBuf;
import io.paguma.Codec;
import io.paguma.FrameException;
import io.paguma.Message;

import java.util.Map;
import java.util.Objects;

/**
 * The hub's wire format (seed 002's {@code XxDataPack}): {@code headerSize | header | data}.
 *
 * <pre>
 * headerSize  u16  big-endian: the header's length in bytes (6 in this version, at most 64)
 * header      dataSize u32 big-endian, kind u16 big-endian, then bytes a newer version may add
 *             (skipped by this one)
 * data        dataSize bytes: a dict in CBOR ({@link DictCodec})
 * </pre>
 *
 * <p>Unpacking follows the seed: read the header size, then the header, then the whole data
 * length. A header size out of range or a data size above {@code maxPacketSize} closes the
 * connection as soon as the header is read. As a {@link Codec} (name {@code hub}) the kind is the
 * {@link Message#id()} and the data its payload, so any Paguma endpoint can speak it; there is no
 * sequence id. {@link #serialize} and {@link #unserialize} pack and unpack a whole frame in memory.
 */
public final class DataPack implements Codec {
    /** The codec's name in configuration. */
    public static final String NAME = "hub";
    /** The header's length in this version: dataSize (4) and kind (2). */
    public static final int HEADER_SIZE = 6;
    /** The longest header a reader accepts (newer versions may add fields). */
    public static final int MAX_HEADER_SIZE = 64;
    /** Bytes before the data: the header size field and the header. */
    public static final int OVERHEAD = 2 + HEADER_SIZE;

    /** A link's first frame, from the side that dialled: who it is. */
    public static final int HELLO = 1;
    /** The answer to a hello that was accepted. */
    public static final int WELCOME = 2;
    /** The answer to a hello that was refused; the link closes after it. */
    public static final int REFUSE = 3;
    /** A heartbeat (core's ping/pong, when heartbeatInterval is set): the links' heartbeatMsgId. */
    public static final int PING = 4;
    /** An application dict. */
    public static final int DICT = 16;

    private final DictCodec dicts;

    /** A pack with dicts nested at most {@link DictCodec#DEFAULT_MAX_DEPTH} deep. */
    public DataPack() {
        this(new DictCodec());
    }

    public DataPack(DictCodec dicts) {
        this.dicts = Objects.requireNonNull(dicts, "dicts");
    }

    /** The body encoding. */
    public DictCodec dicts() {
        return dicts;
    }

    @Override
    public String name() {
        return NAME;
    }

    /**
     * Reads a frame's header from {@code in} at its reader index without consuming anything, or
     * returns null when the header is not all there yet.
     *
     * @throws FrameException if the header size is out of range or the data size above {@code maxDataSize}
     */
    public static DataHeader peekHeader(ByteBuf in, int maxDataSize) {
        int start = in.readerIndex();
        if (in.readableBytes() < 2) return null;
        int headerSize = in.getUnsignedShort(start);
        if (headerSize < HEADER_SIZE || headerSize > MAX_HEADER_SIZE) {
            throw new FrameException("hub frame header size " + headerSize + " is outside " + HEADER_SIZE + ".."
                    + MAX_HEADER_SIZE);
        }
        if (in.readableBytes() < 2 + HEADER_SIZE) return null;
        long dataSize = in.getUnsignedInt(start + 2);
        if (dataSize > maxDataSize) {
            throw new FrameException("hub frame announces " + dataSize + " data bytes, more than maxPacketSize "
                    + maxDataSize);
        }
        return new DataHeader(headerSize, (int) dataSize, in.getUnsignedShort(start + 6));
    }

    @Override
    public Message decode(ByteBuf in, int maxPacketSize) {
        int start = in.readerIndex();
        if (in.readableBytes() < 2 + HEADER_SIZE) {
            // Refuse a bad header size as soon as it is readable.
            if (in.readableBytes() >= 2) peekHeader(in, maxPacketSize);
            return null;
        }
        int headerSize = in.getUnsignedShort(start);
        if (headerSize < HEADER_SIZE || headerSize > MAX_HEADER_SIZE) peekHeader(in, maxPacketSize);
        long dataSize = in.getUnsignedInt(start + 2);
        if (dataSize > maxPacketSize) peekHeader(in, maxPacketSize);
        int kind = in.getUnsignedShort(start + 6);
        // A long: near 2^31 (a maxPacketSize that large) the frame's size overflows an int.
        long frame = 2L + headerSize + dataSize;
        if (in.readableBytes() < frame) return null;
        byte[] data = new byte[(int) dataSize];
        in.getBytes(start + 2 + headerSize, data);
        in.readerIndex(start + (int) frame);
        return new Message(kind, data);
    }

    @Override
    public void encode(Message message, ByteBuf out) {
        int id = message.id();
        if (id < 0 || id > 0xFFFF) {
            throw new IllegalArgumentException("codec hub carries the kind in two bytes (0-65535): cannot send message id "
                    + Integer.toUnsignedString(id));
        }
        byte[] data = message.data();
        out.writeShort(HEADER_SIZE);
        out.writeInt(data.length);
        out.writeShort(id);
        out.writeBytes(data);
    }

    @Override
    public int frameLength(Message message) {
        return OVERHEAD + message.data().length;
    }

    /** The seed's {@code Serialize}: the dict to binary, then the header in front; a whole frame of kind {@link #DICT}. */
    public byte[] serialize(Map<String, ?> dict) {
        int size = dicts.size(dict);
        byte[] out = new byte[OVERHEAD + size];
        out[0] = 0;
        out[1] = HEADER_SIZE;
        out[2] = (byte) (size >>> 24);
        out[3] = (byte) (size >>> 16);
        out[4] = (byte) (size >>> 8);
        out[5] = (byte) size;
        out[6] = 0;
        out[7] = DICT;
        dicts.encode(dict, out, OVERHEAD);
        return out;
    }

    /**
     * The seed's {@code Unserialize}: reads the header size, then the header, then the whole data
     * length, and decodes the dict of one whole frame. A problem of the frame itself is reported at
     * its offset in the frame; one of the dict, at its offset in the dict.
     *
     * @throws DictFormatException if the frame or its dict is malformed, or the bytes are not exactly one frame
     */
    public Map<String, Object> unserialize(byte[] frame) {
        if (frame.length < OVERHEAD) {
            throw new DictFormatException("hub frame of " + frame.length + " bytes is shorter than its header", 0);
        }
        int headerSize = ((frame[0] & 0xFF) << 8) | (frame[1] & 0xFF);
        if (headerSize < HEADER_SIZE || headerSize > MAX_HEADER_SIZE || frame.length < 2 + headerSize) {
            throw new DictFormatException("hub frame header size " + headerSize + " is outside " + HEADER_SIZE + ".."
                    + MAX_HEADER_SIZE + " or beyond the frame", 0);
        }
        long dataSize = ((frame[2] & 0xFFL) << 24) | ((frame[3] & 0xFF) << 16) | ((frame[4] & 0xFF) << 8) | (frame[5] & 0xFF);
        int kind = ((frame[6] & 0xFF) << 8) | (frame[7] & 0xFF);
        if (kind != DICT) throw new DictFormatException("hub frame of kind " + kind + " carries no dict", 6);
        if (2 + headerSize + dataSize != frame.length) {
            throw new DictFormatException("hub frame announces " + dataSize + " data bytes but " + (frame.length - 2 - headerSize)
                    + " follow its header", 2);
        }
        return dicts.decode(frame, 2 + headerSize, (int) dataSize);
    }
}
