package io.paguma.internal;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.MessageToByteEncoder;
import io.paguma.Codec;
import io.paguma.Message;

/** Encodes each outgoing {@link Message} with the server's codec into a pooled buffer of the exact frame size. */
@Sharable
public final class FrameEncoder extends MessageToByteEncoder<Message> {
    private final Codec codec;

    FrameEncoder(Codec codec) {
        super(Message.class);
        this.codec = codec;
    }

    @Override
    protected ByteBuf allocateBuffer(ChannelHandlerContext ctx, Message msg, boolean preferDirect) {
        return ctx.alloc().ioBuffer(codec.frameLength(msg));
    }

    @Override
    protected void encode(ChannelHandlerContext ctx, Message msg, ByteBuf out) {
        codec.encode(msg, out);
    }
}
