package io.paguma.hub;

import io.netty.util.NetUtil;

import java.net.InetAddress;
import java.net.UnknownHostException;

/** A peer's address: an IP in its canonical text form and a port. */
record PeerKey(String ip, int port) {

    static String format(String ip, int port) {
        if (ip == null) return "?:" + port;
        return ip.indexOf(':') >= 0 ? "[" + ip + "]:" + port : ip + ":" + port;
    }

    /** One text form per IP ({@code ::ffff:1.2.3.4} is {@code 1.2.3.4}); a host name is looked up once; null stays null. */
    static String canonical(String host) {
        String h = host.trim();
        if (h.startsWith("[") && h.endsWith("]")) h = h.substring(1, h.length() - 1);
        byte[] bytes = NetUtil.createByteArrayFromIpAddressString(h);
        if (bytes == null) {
            try {
                bytes = InetAddress.getByName(h).getAddress();
            } catch (UnknownHostException e) {
                return h;
            }
        }
        return canonical(bytes);
    }

    static String canonical(InetAddress address) {
        return canonical(address.getAddress());
    }

    private static String canonical(byte[] bytes) {
        if (bytes.length == 16) {
            boolean mapped = bytes[10] == (byte) 0xFF && bytes[11] == (byte) 0xFF;
            for (int i = 0; i < 10 && mapped; i++) mapped = bytes[i] == 0;
            if (mapped) bytes = new byte[] {bytes[12], bytes[13], bytes[14], bytes[15]};
        }
        return NetUtil.bytesToIpAddress(bytes);
    }

    @Override
    public String toString() {
        return format(ip, port);
    }
}
