package io.paguma;

import io.netty.channel.ChannelOption;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.uring.IoUring;
import io.paguma.testing.FrameSocket;
import io.paguma.testing.Servers;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class TransportTest {

    private static Server echo(PagumaConfig config) {
        return Server.builder().config(config).route(1, r -> r.reply(1, r.data())).build();
    }

    @ParameterizedTest
    @EnumSource(value = PagumaConfig.Transport.class, names = {"AUTO", "NIO", "EPOLL"})
    void eachAvailableTransportServes(PagumaConfig.Transport transport) throws Exception {
        assumeTrue(transport != PagumaConfig.Transport.EPOLL || Epoll.isAvailable(), "epoll needs Linux");
        Server server = echo(Servers.config().transport(transport).build()).start();
        try (FrameSocket s = FrameSocket.connect(server.port())) {
            s.send(1, "via " + transport);
            assertThat(s.read().text()).isEqualTo("via " + transport);
            if (transport == PagumaConfig.Transport.AUTO && Epoll.isAvailable()) assertThat(server.transport()).isEqualTo("epoll");
            if (transport == PagumaConfig.Transport.NIO) assertThat(server.transport()).isEqualTo("nio");
        } finally {
            server.stop();
        }
    }

    @ParameterizedTest
    @EnumSource(value = PagumaConfig.Transport.class, names = {"NIO", "EPOLL", "IO_URING"})
    void aClientOnEachAvailableTransportTalksToTheServer(PagumaConfig.Transport transport) {
        assumeTrue(transport != PagumaConfig.Transport.EPOLL || Epoll.isAvailable(), "epoll needs Linux");
        assumeTrue(transport != PagumaConfig.Transport.IO_URING || IoUring.isAvailable(), "io_uring is not available here");
        Server server = echo(Servers.config().codec("paguma").build()).start();
        Client client = Client.builder().config(PagumaConfig.builder().host("127.0.0.1").port(server.port())
                .codec("paguma").transport(transport).keepAlivePeriod(Duration.ofSeconds(30)).build()).build();
        try {
            Connection c = client.connect().orTimeout(10, java.util.concurrent.TimeUnit.SECONDS).join();
            assertThat(client.request(1, "via " + transport).orTimeout(10, java.util.concurrent.TimeUnit.SECONDS).join().text())
                    .isEqualTo("via " + transport);
            assertThat(c.channel().config().getOption(ChannelOption.SO_KEEPALIVE)).isTrue();
        } finally {
            client.close().orTimeout(10, java.util.concurrent.TimeUnit.SECONDS).join();
            server.stop();
        }
    }

    @Test
    void ioUringIsOptInAndSaysWhenItIsMissing() throws Exception {
        PagumaConfig config = Servers.config().transport(PagumaConfig.Transport.IO_URING).build();
        if (IoUring.isAvailable()) {
            Server server = echo(config).start();
            try (FrameSocket s = FrameSocket.connect(server.port())) {
                s.send(1, "ring");
                assertThat(s.read().text()).isEqualTo("ring");
                assertThat(server.transport()).isEqualTo("io_uring");
            } finally {
                server.stop();
            }
        } else {
            assertThatThrownBy(() -> echo(config).start())
                    .isInstanceOf(ConfigException.class)
                    .hasMessageContaining("transport io_uring is not available on this machine");
        }
    }

    @Test
    void tcpKeepAliveAndItsPeriodAreSetOnAcceptedConnections() throws Exception {
        assumeTrue(Epoll.isAvailable(), "the keep-alive period is read back through epoll's options");
        Server server = echo(Servers.config().transport(PagumaConfig.Transport.EPOLL)
                .keepAlivePeriod(Duration.ofSeconds(42)).build()).start();
        try (FrameSocket s = FrameSocket.connect(server.port())) {
            s.send(1, "x");
            s.read();
            var channel = server.connections().all().iterator().next().channel();
            assertThat(channel.config().getOption(ChannelOption.SO_KEEPALIVE)).isTrue();
            assertThat(channel.config().getOption(EpollChannelOption.TCP_KEEPIDLE)).isEqualTo(42);
            assertThat(channel.config().getOption(EpollChannelOption.TCP_KEEPINTVL)).isEqualTo(42);
        } finally {
            server.stop();
        }
    }

    @Test
    void keepAliveCanBeTurnedOff() throws Exception {
        Server server = echo(Servers.config().keepAlive(false).build()).start();
        try (FrameSocket s = FrameSocket.connect(server.port())) {
            s.send(1, "x");
            s.read();
            var channel = server.connections().all().iterator().next().channel();
            assertThat(channel.config().getOption(ChannelOption.SO_KEEPALIVE)).isFalse();
        } finally {
            server.stop();
        }
    }
}
