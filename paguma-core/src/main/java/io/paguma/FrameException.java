package io.paguma;

/**
 * A frame that a codec cannot accept: a length above {@code maxPacketSize}, a broken delimiter,
 * a field out of range. The connection that sent it is closed with this message as the reason.
 */
public final class FrameException extends RuntimeException {
    /** {@code message} says what is wrong with the frame; a {@link Codec} throws it from {@code decode}. */
    public FrameException(String message) {
        super(message);
    }
}
