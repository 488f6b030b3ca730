package io.paguma.testing;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.paguma.Codecs;
import io.paguma.Message;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/** WebSocket bytes written by hand, for tests of what a hostile or clumsy peer sends (no library in the way). */
public final class RawWs {
    /** An upgrade request for {@code /} (version 13). */
    public static final String UPGRADE = "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
    public static final int BINARY = 2;
    public static final int CONTINUATION = 0;
    public static final int PONG = 0xA;

    private RawWs() {
    }

    /** A masked client frame with {@code opcode}; {@code fin} false for all but a message's last fragment. */
    public static byte[] frame(int opcode, byte[] payload, boolean fin) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write((fin ? 0x80 : 0) | opcode);
        int n = payload.length;
        if (n < 126) {
            out.write(0x80 | n);
        } else if (n < 65536) {
            out.write(0x80 | 126);
            out.write(n >>> 8);
            out.write(n);
        } else {
            out.write(0x80 | 127);
            for (int i = 7; i >= 0; i--) out.write((int) ((long) n >>> (8 * i)));
        }
        byte[] mask = {1, 2, 3, 4};
        out.writeBytes(mask);
        for (int i = 0; i < n; i++) out.write(payload[i] ^ mask[i & 3]);
        return out.toByteArray();
    }

    public static byte[] frame(int opcode, byte[] payload) {
        return frame(opcode, payload, true);
    }

    /** An ltv-le frame of the codec. */
    public static byte[] ltv(int id, byte[] data) {
        ByteBuf b = Unpooled.buffer();
        try {
            Codecs.LTV_LE.encode(new Message(id, data), b);
            byte[] a = new byte[b.readableBytes()];
            b.readBytes(a);
            return a;
        } finally {
            b.release();
        }
    }

    /** Reads an HTTP response head (up to the blank line). */
    public static String readHead(InputStream in) throws IOException {
        StringBuilder sb = new StringBuilder();
        while (!sb.toString().endsWith("\r\n\r\n")) {
            int c = in.read();
            if (c < 0) break;
            sb.append((char) c);
        }
        return sb.toString();
    }

    /** A socket that sent {@code request} and read the response's head. */
    public static Socket send(int port, String request) throws IOException {
        Socket s = new Socket();
        s.setSoTimeout(20_000);
        s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
        s.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
        return s;
    }
}
