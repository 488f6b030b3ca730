package io.paguma;

import io.netty.buffer.ByteBuf;

/**
 * A wire format: how a {@link Message} becomes a frame of bytes and back (seed 000's
 * {@code DataPack}, P6, B6). This is the SPI for custom formats.
 *
 * <p>Built-in formats are in {@link Codecs}. A custom codec is passed to
 * {@code Server.builder().codec(...)}, or made selectable by name in configuration by listing its
 * class (public, with a no-argument constructor) in
 * {@code META-INF/services/io.paguma.Codec}.
 *
 * <p>Of the built-in formats, {@code paguma} and {@code tron} carry the sequence id
 * ({@link #hasSequence()}); {@code ltv-le}, {@code tlv-be} and {@code length-prefix} ignore
 * {@link Message#seq()} and decode it as 0.
 *
 * <p>A codec is stateless and shared by all connections of a server; its methods are called on
 * IO threads and must not block.
 */
public interface Codec {

    /** The name used in configuration, e.g. {@code ltv-le}. */
    String name();

    /**
     * Decodes one frame from {@code in} if a whole frame is readable, advancing the reader index
     * past it. If not, returns null and leaves the reader index where it was. The announced
     * payload length must be checked against {@code maxPacketSize} as soon as the header is
     * readable, before waiting for the body.
     *
     * @throws FrameException if the frame is too long or malformed; the connection is then closed
     */
    Message decode(ByteBuf in, int maxPacketSize);

    /**
     * As {@link #decode(ByteBuf, int)}; with {@code zeroCopy} the payload may be a retained slice
     * of {@code in} ({@link Message#Message(int, int, int, int, ByteBuf)}) instead of a copy, as
     * the built-in codecs do when the {@code zeroCopy} key is on. The default copies.
     */
    default Message decode(ByteBuf in, int maxPacketSize, boolean zeroCopy) {
        return decode(in, maxPacketSize);
    }

    /**
     * Appends {@code message} as one frame to {@code out}, at its writer index. {@code out} may
     * already hold earlier frames of the same batch: write only after the writer index (the
     * relative {@code write*} methods, or absolute ones at offsets from the writer index), never
     * before it. If this throws, whatever was appended is cut off again and only this send fails.
     * Write the payload with {@link Message#writePayload(ByteBuf)}: it serves array and buffer
     * payloads alike ({@code out.writeBytes(message.data())} copies a buffer payload twice).
     */
    void encode(Message message, ByteBuf out);

    /** The exact number of bytes {@link #encode} writes for {@code message}. */
    int frameLength(Message message);

    /**
     * True when the format carries {@link Message#seq()} on the wire, so that
     * {@link Connection#request} can match replies to requests. Formats without one decode seq as 0.
     */
    default boolean hasSequence() {
        return false;
    }

    /**
     * True when the format carries {@link Message#status()} and {@link Message#timeoutMillis()}:
     * a request that fails remotely then fails its caller at once with a {@link RemoteException},
     * and requests carry their time limit. Formats without them send neither.
     */
    default boolean hasStatus() {
        return false;
    }
}
