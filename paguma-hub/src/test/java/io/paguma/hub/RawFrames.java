package io.paguma.hub;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.LinkedHashMap;
import java.util.Map;

/** Hub frames written and read by hand, for tests that play a peer over a plain socket. */
final class RawFrames {
    private static final DictCodec DICTS = new DictCodec();

    private RawFrames() {
    }

    static void write(OutputStream out, int kind, byte[] body) throws IOException {
        byte[] f = new byte[DataPack.OVERHEAD + body.length];
        f[1] = DataPack.HEADER_SIZE;
        f[2] = (byte) (body.length >>> 24);
        f[3] = (byte) (body.length >>> 16);
        f[4] = (byte) (body.length >>> 8);
        f[5] = (byte) body.length;
        f[6] = (byte) (kind >>> 8);
        f[7] = (byte) kind;
        System.arraycopy(body, 0, f, DataPack.OVERHEAD, body.length);
        out.write(f);
        out.flush();
    }

    /** Reads one frame: its kind and dict. */
    static Map.Entry<Integer, Map<String, Object>> read(InputStream in) throws IOException {
        DataInputStream d = new DataInputStream(in);
        int headerSize = d.readUnsignedShort();
        int size = d.readInt();
        int kind = d.readUnsignedShort();
        d.skipNBytes(headerSize - 6);
        return Map.entry(kind, DICTS.decode(d.readNBytes(size)));
    }

    /** A hello's body; {@code ip} is added when not null (a claim the hub must not believe). */
    static byte[] hello(long nonce, int port, String ip) {
        Map<String, Object> h = new LinkedHashMap<>();
        h.put("nonce", nonce);
        h.put("port", port);
        if (ip != null) h.put("ip", ip);
        return DICTS.encode(h);
    }
}
