package io.paguma.testing;

import io.paguma.Client;
import io.paguma.Codec;
import io.paguma.Codecs;
import io.paguma.PagumaConfig;
import io.paguma.Server;

import java.io.IOException;

/**
 * The two transports a test runs on (B4): a TCP byte stream, or WebSocket binary frames. Each
 * sets up a server's config for itself, opens a test {@link Peer} to the server, and points a
 * Paguma {@link Client} at it, so one test body checks both.
 */
public enum Wire {
    TCP {
        @Override
        public PagumaConfig.Builder server(PagumaConfig.Builder b) {
            return b.mode(PagumaConfig.Mode.TCP).port(0);
        }

        @Override
        public int port(Server server) {
            return server.port();
        }

        @Override
        public Peer connect(Server server, Codec codec) throws IOException {
            return FrameSocket.connect(server.port(), codec);
        }

        @Override
        public PagumaConfig.Builder client(PagumaConfig.Builder b, Server server) {
            return b.mode(PagumaConfig.Mode.TCP).host("127.0.0.1").port(server.port());
        }
    },
    WEBSOCKET {
        @Override
        public PagumaConfig.Builder server(PagumaConfig.Builder b) {
            return b.mode(PagumaConfig.Mode.WEBSOCKET).wsPort(0);
        }

        @Override
        public int port(Server server) {
            return server.wsPort();
        }

        @Override
        public Peer connect(Server server, Codec codec) throws IOException {
            return WsFrameSocket.connect(java.net.URI.create("ws://127.0.0.1:" + server.wsPort() + server.config().wsPath()),
                    codec, null, null);
        }

        @Override
        public PagumaConfig.Builder client(PagumaConfig.Builder b, Server server) {
            return b.mode(PagumaConfig.Mode.WEBSOCKET).host("127.0.0.1").wsPort(server.wsPort())
                    .wsPath(server.config().wsPath());
        }
    };

    /** A server's config on this transport, with a free port. */
    public abstract PagumaConfig.Builder server(PagumaConfig.Builder b);

    /** The port the server listens on for this transport. */
    public abstract int port(Server server);

    /** A test peer connected to {@code server} over this transport. */
    public abstract Peer connect(Server server, Codec codec) throws IOException;

    public Peer connect(Server server) throws IOException {
        return connect(server, Codecs.LTV_LE);
    }

    /** A client's config that dials {@code server} over this transport. */
    public abstract PagumaConfig.Builder client(PagumaConfig.Builder b, Server server);
}
