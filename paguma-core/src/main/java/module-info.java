/**
 * Paguma's core: servers, clients, connections, routing, codecs, config. Only {@code io.paguma}
 * is API; {@code io.paguma.internal} is not exported and may change without notice.
 */
module io.paguma.core {
    exports io.paguma;

    // The API speaks Netty's types (Connection.channel(), Codec's ByteBuf).
    requires transitive io.netty.buffer;
    requires transitive io.netty.common;
    requires transitive io.netty.transport;
    requires io.netty.codec;
    requires io.netty.codec.http;
    requires io.netty.handler;
    requires io.netty.transport.unix.common;
    requires io.netty.transport.classes.epoll;
    requires io.netty.transport.classes.kqueue;
    requires io.netty.transport.classes.io_uring;
    requires org.slf4j;
    requires jdk.net; // keep-alive period on NIO (ExtendedSocketOptions)
    requires com.fasterxml.jackson.databind;
    requires com.fasterxml.jackson.dataformat.yaml;

    // Custom codecs and modules' config sections, found by name / on the class path.
    uses io.paguma.Codec;
    uses io.paguma.ConfigSection;
}
