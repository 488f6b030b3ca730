package io.paguma.testing;

import io.paguma.Message;

import java.io.IOException;
import java.nio.charset.StandardCharsets;

/** A test's blocking client of one connection, over TCP ({@link FrameSocket}) or WebSocket ({@link WsFrameSocket}). */
public interface Peer extends AutoCloseable {
    /** The frame bytes of {@code message} in this peer's codec. */
    byte[] encode(Message message);

    /** Sends bytes as they are: on TCP into the stream, on WebSocket as one binary frame. */
    void sendRaw(byte[] bytes) throws IOException;

    default void send(int id, byte[] data) throws IOException {
        sendRaw(encode(new Message(id, data)));
    }

    default void send(int id, String text) throws IOException {
        send(id, text.getBytes(StandardCharsets.UTF_8));
    }

    /** The next message; fails on end of stream or after 10 s. */
    Message read() throws IOException;

    /** True if the server closes the connection cleanly within 10 s with no further message. */
    boolean closedByPeer() throws IOException;

    @Override
    void close() throws IOException;
}
