package io.paguma.testing;

import io.netty.buffer.ByteBuf;
import io.paguma.Codec;
import io.paguma.Codecs;
import io.paguma.Message;

import java.util.concurrent.atomic.AtomicInteger;

/** ltv-le that counts the frames the server has taken off the wire: a test's view of "accepted". */
public final class CountingCodec implements Codec {
    private final Codec inner = Codecs.LTV_LE;
    public final AtomicInteger decoded = new AtomicInteger();

    @Override
    public String name() {
        return "counting-ltv-le";
    }

    @Override
    public Message decode(ByteBuf in, int maxPacketSize) {
        Message m = inner.decode(in, maxPacketSize);
        if (m != null) decoded.incrementAndGet();
        return m;
    }

    @Override
    public void encode(Message message, ByteBuf out) {
        inner.encode(message, out);
    }

    @Override
    public int frameLength(Message message) {
        return inner.frameLength(message);
    }
}
