package io.paguma.internal;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.kqueue.KQueue;
import io.netty.channel.kqueue.KQueueIoHandler;
import io.netty.channel.kqueue.KQueueServerSocketChannel;
import io.netty.channel.kqueue.KQueueSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioChannelOption;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.channel.uring.IoUring;
import io.netty.channel.uring.IoUringChannelOption;
import io.netty.channel.uring.IoUringIoHandler;
import io.netty.channel.uring.IoUringServerSocketChannel;
import io.netty.channel.uring.IoUringSocketChannel;
import io.paguma.ConfigException;
import io.paguma.PagumaConfig.Transport;
import io.paguma.PagumaConfig;

import jdk.net.ExtendedSocketOptions;

/**
 * The Netty transport chosen once at start (R1): io_uring when asked for, else epoll, kqueue or
 * NIO, whichever the platform has.
 */
public final class Transports {
    private Transports() {
    }

    /** One resolved transport: its name, the IO handler factory and the server channel class. */
    public record Choice(String name, IoHandlerFactory ioHandlerFactory, Class<? extends ServerChannel> serverChannel,
                         Class<? extends Channel> clientChannel) {

        /** Sets TCP keep-alive, with the period where the transport can set it, on accepted sockets. */
        public void applyKeepAlive(ServerBootstrap b, PagumaConfig c) {
            keepAliveOptions(c, b::childOption);
        }

        /** Sets TCP keep-alive, with the period where the transport can set it, on a client's sockets. */
        public void applyKeepAlive(Bootstrap b, PagumaConfig c) {
            keepAliveOptions(c, b::option);
        }

        private interface OptionSink {
            <T> void set(ChannelOption<T> option, T value);
        }

        private void keepAliveOptions(PagumaConfig c, OptionSink sink) {
            sink.set(ChannelOption.SO_KEEPALIVE, c.keepAlive());
            if (!c.keepAlive()) return;
            int seconds = (int) Math.min(Integer.MAX_VALUE, c.keepAlivePeriod().toSeconds());
            switch (name) {
                case "epoll" -> {
                    sink.set(EpollChannelOption.TCP_KEEPIDLE, seconds);
                    sink.set(EpollChannelOption.TCP_KEEPINTVL, seconds);
                }
                case "io_uring" -> {
                    sink.set(IoUringChannelOption.TCP_KEEPIDLE, seconds);
                    sink.set(IoUringChannelOption.TCP_KEEPINTVL, seconds);
                }
                case "nio" -> {
                    sink.set(NioChannelOption.of(ExtendedSocketOptions.TCP_KEEPIDLE), seconds);
                    sink.set(NioChannelOption.of(ExtendedSocketOptions.TCP_KEEPINTERVAL), seconds);
                }
                default -> {
                    // kqueue exposes no per-socket keep-alive period: the system default applies.
                }
            }
        }
    }

    /** @throws ConfigException if the configured transport is not available on this machine */
    public static Choice choose(Transport wanted) {
        switch (wanted) {
            case IO_URING:
                if (!IoUring.isAvailable()) throw unavailable("io_uring", IoUring.unavailabilityCause());
                return ioUring();
            case EPOLL:
                if (!Epoll.isAvailable()) throw unavailable("epoll", Epoll.unavailabilityCause());
                return epoll();
            case KQUEUE:
                if (!KQueue.isAvailable()) throw unavailable("kqueue", KQueue.unavailabilityCause());
                return kqueue();
            case NIO:
                return nio();
            default:
                if (Epoll.isAvailable()) return epoll();
                if (KQueue.isAvailable()) return kqueue();
                return nio();
        }
    }

    private static Choice ioUring() {
        return new Choice("io_uring", IoUringIoHandler.newFactory(), IoUringServerSocketChannel.class, IoUringSocketChannel.class);
    }

    private static Choice epoll() {
        return new Choice("epoll", EpollIoHandler.newFactory(), EpollServerSocketChannel.class, EpollSocketChannel.class);
    }

    private static Choice kqueue() {
        return new Choice("kqueue", KQueueIoHandler.newFactory(), KQueueServerSocketChannel.class, KQueueSocketChannel.class);
    }

    private static Choice nio() {
        return new Choice("nio", NioIoHandler.newFactory(), NioServerSocketChannel.class, NioSocketChannel.class);
    }

    private static ConfigException unavailable(String name, Throwable cause) {
        return new ConfigException("transport", "transport " + name + " is not available on this machine ("
                + cause + "); use transport: auto");
    }
}
