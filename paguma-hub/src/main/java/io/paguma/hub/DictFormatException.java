package io.paguma.hub;

/**
 * Bytes that {@link DictCodec#decode} cannot accept as a dict: truncated, malformed CBOR, a type
 * outside the dict subset, a length the input cannot hold, nesting too deep. The message says what
 * is wrong and at which byte offset, counted from the first byte of the dict.
 */
public final class DictFormatException extends RuntimeException {
    private final int offset;

    /** {@code problem} says what is wrong; {@code offset} is where, from the first byte of the dict. */
    public DictFormatException(String problem, int offset) {
        super(problem + " at byte offset " + offset);
        this.offset = offset;
    }

    /** The byte offset of the problem, from the first byte of the dict. */
    public int offset() {
        return offset;
    }
}
