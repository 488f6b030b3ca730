package io.paguma.testing;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.paguma.Codec;
import io.paguma.Codecs;
import io.paguma.Message;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;

/**
 * A plain blocking socket client for tests: no Paguma and no Netty event loop on its path, so it
 * checks the server from the outside. Reads time out after 10 s so a broken test fails instead of
 * hanging.
 */
public final class FrameSocket implements Peer {
    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;
    private final Codec codec;
    private final ByteBuf inbound = Unpooled.buffer(256);

    private FrameSocket(int port, Codec codec) throws IOException {
        this.socket = new Socket(InetAddress.getLoopbackAddress(), port);
        this.socket.setTcpNoDelay(true);
        this.socket.setSoTimeout(10_000);
        this.in = socket.getInputStream();
        this.out = socket.getOutputStream();
        this.codec = codec;
    }

    public static FrameSocket connect(int port) throws IOException {
        return new FrameSocket(port, Codecs.LTV_LE);
    }

    public static FrameSocket connect(int port, Codec codec) throws IOException {
        return new FrameSocket(port, codec);
    }

    /** The frame bytes of {@code message} in this socket's codec. */
    @Override
    public byte[] encode(Message message) {
        ByteBuf b = Unpooled.buffer(codec.frameLength(message));
        try {
            codec.encode(message, b);
            byte[] bytes = new byte[b.readableBytes()];
            b.readBytes(bytes);
            return bytes;
        } finally {
            b.release();
        }
    }

    @Override
    public void sendRaw(byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
    }

    public void sendRaw(byte[] bytes, int offset, int length) throws IOException {
        out.write(bytes, offset, length);
        out.flush();
    }

    /** The next message; fails on end of stream or after 10 s. */
    @Override
    public Message read() throws IOException {
        byte[] chunk = new byte[8192];
        for (;;) {
            Message m = codec.decode(inbound, Integer.MAX_VALUE);
            if (m != null) {
                inbound.discardReadBytes();
                return m;
            }
            int n = in.read(chunk);
            if (n < 0) throw new EOFException("server closed the connection");
            inbound.writeBytes(chunk, 0, n);
        }
    }

    /** Reads exactly {@code n} raw bytes. */
    public byte[] readRaw(int n) throws IOException {
        byte[] b = new byte[n];
        int have = Math.min(n, inbound.readableBytes());
        inbound.readBytes(b, 0, have);
        while (have < n) {
            int r = in.read(b, have, n - have);
            if (r < 0) throw new EOFException("server closed the connection after " + have + " of " + n + " bytes");
            have += r;
        }
        return b;
    }

    /**
     * True if the server closes the connection cleanly (end of stream) within 10 s with no further
     * message; false if a message arrives first or nothing happens. A reset fails the test: the
     * server must close so that the peer can read everything sent before the close.
     */
    @Override
    public boolean closedByPeer() throws IOException {
        if (inbound.isReadable()) return false;
        try {
            return in.read() < 0;
        } catch (SocketException reset) {
            throw new AssertionError("the server reset the connection instead of closing it cleanly", reset);
        } catch (SocketTimeoutException e) {
            return false;
        }
    }

    public Socket socket() {
        return socket;
    }

    @Override
    public void close() throws IOException {
        if (inbound.refCnt() > 0) inbound.release();
        socket.close();
    }
}
