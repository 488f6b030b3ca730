package io.paguma.cli.demo;

import io.paguma.Codecs;
import io.paguma.PagumaConfig;
import io.paguma.Server;

/**
 * The demo: an echo route and a small chat room on one server. Everything here is public API; it
 * is also the example to copy from.
 */
public final class DemoServer {
    /** Echo: the payload comes back on the same id. */
    public static final int ECHO = 1;

    private DemoServer() {
    }

    public static Server build(PagumaConfig config) {
        return build(config, null);
    }

    /** The demo server on {@code runtime} (null: one of its own), where an admin endpoint may hear it. */
    public static Server build(PagumaConfig config, io.paguma.PagumaRuntime runtime) {
        ChatRoom chat = new ChatRoom();
        Server.Builder b = Server.builder();
        if (runtime != null) b.runtime(runtime);
        b.config(config)
                .route(ECHO, r -> r.reply(ECHO, r.data()))
                .route(ChatRoom.NICK, chat::nick)
                .route(ChatRoom.JOIN, chat::join)
                .route(ChatRoom.SAY, chat::say)
                .route(ChatRoom.LEAVE, chat::leave)
                .onConnStart(chat::onConnect)
                .onConnStop(chat::onDisconnect);
        // Codecs without an id field (length-prefix, tron-v2, length-field without idOffset): every
        // frame arrives as id 0, so echo there too.
        if (!carriesIds(Codecs.forConfig(config))) b.route(0, r -> r.reply(0, r.data()));
        return b.build();
    }

    private static boolean carriesIds(io.paguma.Codec codec) {
        io.netty.buffer.ByteBuf probe = io.netty.buffer.Unpooled.buffer();
        try {
            codec.encode(new io.paguma.Message(ECHO, new byte[] {1}), probe);
            return true;
        } catch (IllegalArgumentException noIdField) {
            return false;
        } finally {
            probe.release();
        }
    }
}
