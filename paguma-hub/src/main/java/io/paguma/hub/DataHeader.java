package io.paguma.hub;

/**
 * The header of one {@link DataPack} frame (seed 002's {@code XxDataHeader}): how many header
 * bytes there are, how many data bytes follow them, and what kind of frame it is.
 *
 * @param headerSize the header's length in bytes, after the two-byte header size itself
 *                   ({@link DataPack#HEADER_SIZE} in this version; a reader skips what it does not know)
 * @param dataSize   the body's length in bytes
 * @param kind       what the frame carries: a dict ({@link DataPack#DICT}) or one of the link's
 *                   own frames (hello, welcome, refuse)
 */
public record DataHeader(int headerSize, int dataSize, int kind) {
}
