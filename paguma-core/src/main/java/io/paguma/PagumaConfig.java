package io.paguma;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Every tunable value of a server (P5): one immutable object per server, never a global.
 *
 * <p>Build one in code with {@link #builder()}, or load one with {@link #load(ConfigSection...)}: from
 * {@code application.json} / {@code application.yaml} (found in the working directory or
 * {@code conf/}, or named by {@code PAGUMA_CONFIG} / {@code -Dpaguma.config}), then overridden by
 * {@code PAGUMA_*} environment variables and {@code paguma.*} system properties. Every key has a
 * default, so no file is needed. An unknown key or a bad value fails with a {@link ConfigException}
 * naming the key. {@code docs/CONFIG.md} lists every key.
 *
 * <p>Each key is described once, by a {@link ConfigKey} of {@link #ROOT}; modules add their keys
 * as {@link ConfigSection}s, read from the same sources and returned by {@link #section}.
 */
public final class PagumaConfig {
    private static final Logger log = LoggerFactory.getLogger(PagumaConfig.class);

    /** Which Netty transport carries the sockets (R1). */
    public enum Transport {
        /** epoll on Linux, kqueue on macOS, NIO elsewhere. */
        AUTO,
        NIO,
        EPOLL,
        KQUEUE,
        /** Linux io_uring; only when asked for. */
        IO_URING;

        /** The name used in configuration files. */
        public String configName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** What a send does while the peer does not keep up (more than {@code writeBufferHighWaterMark} bytes wait for it), B2. */
    public enum OutboundPolicy {
        /** Queue it; a peer that lets more than {@code maxPendingWriteBytes} pile up is cut off. The default. */
        CLOSE,
        /**
         * Fail the send instead of writing it (one made on another thread is dropped when the IO
         * thread takes it, if the peer still lags then); the connection stays. For data that may be
         * lost: positions, ticks.
         */
        DROP,
        /**
         * Make the sender wait until the peer has caught up: {@code send} (at most
         * {@code requestTimeout}) and {@code request} (at most its timeout) block the calling thread,
         * then fail with a {@link java.util.concurrent.TimeoutException}; never on an IO thread,
         * whose sends are queued as with {@code close}.
         */
        WAIT;

        public String configName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** How connections are assigned to workers (P9); named after Zinx's worker modes. */
    public enum WorkerMode {
        /** Worker {@code connectionId % workerPoolSize}, as Zinx's {@code Hash} mode. */
        HASH,
        /** The worker with the fewest bound connections at accept time, as Zinx's {@code Bind} mode over a fixed pool. */
        BIND;

        public String configName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** Which transports carry a server's connections, as Zinx's {@code Mode}; a client dials one of them. */
    public enum Mode {
        /** A TCP byte stream of codec frames on {@code port} (the default). */
        TCP,
        /** WebSocket binary frames on {@code wsPort} and {@code wsPath}, one codec frame per WebSocket message (B4). */
        WEBSOCKET,
        /** A server only: TCP on {@code port} and WebSocket on {@code wsPort}, side by side. */
        BOTH;

        public String configName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** Which TLS implementation carries {@code tls} connections (B3). */
    public enum TlsProvider {
        /** OpenSSL when {@code netty-tcnative} is on the class path (the {@code ./paguma} distribution ships it), else the JDK's. The default. */
        AUTO,
        /** The JDK's own TLS ({@code SSLEngine}). */
        JDK,
        /** OpenSSL (BoringSSL) through {@code netty-tcnative}; a config error at start when it is not on the class path. */
        OPENSSL;

        public String configName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    private static final int CORES = Runtime.getRuntime().availableProcessors();
    private static final byte[] PING_PAYLOAD = {'p', 'i', 'n', 'g'};

    private static final ConfigKey<String> NAME = ConfigKey.string("name", "paguma")
            .check(v -> !v.isBlank(), "must not be empty").doc("The endpoint's name, used in logs and thread names.");
    private static final ConfigKey<String> HOST = ConfigKey.string("host", "0.0.0.0")
            .check(v -> !v.isBlank(), "must not be empty").doc("The address to listen on, or a client's server.");
    private static final ConfigKey<Integer> PORT = ConfigKey.integer("port", 8999)
            .check(v -> v >= 0 && v <= 65535, "must be between 0 and 65535").doc("The TCP port; 0 picks a free one.");
    private static final ConfigKey<Mode> MODE = ConfigKey.enumOf("mode", Mode.class, Mode.TCP)
            .doc("tcp, websocket or both (a server only): which transports carry connections.");
    private static final ConfigKey<Integer> WS_PORT = ConfigKey.integer("wsPort", 9000)
            .check(v -> v >= 0 && v <= 65535, "must be between 0 and 65535")
            .doc("The WebSocket port (mode websocket or both); 0 picks a free one.");
    private static final ConfigKey<String> WS_PATH = ConfigKey.string("wsPath", "/")
            .check(v -> v.startsWith("/") && v.indexOf('?') < 0 && v.indexOf('#') < 0, "must start with / and hold no ? or #")
            .doc("The path WebSocket upgrades are accepted on (other paths get 404).");
    private static final ConfigKey<String> WS_ORIGINS = ConfigKey.string("wsOrigins", "")
            .scope(ConfigKey.Scope.SERVER)
            .doc("Comma-separated origins a browser's upgrade may come from; empty accepts any.");
    private static final ConfigKey<Duration> WS_HANDSHAKE_TIMEOUT = ConfigKey.duration("wsHandshakeTimeout", Duration.ofSeconds(10))
            .check(v -> v.toMillis() >= 1, "must be at least 1ms")
            .doc("How long a new connection may take to complete its WebSocket upgrade.");
    private static final ConfigKey<Integer> MAX_CONN = ConfigKey.integer("maxConn", 12000)
            .check(v -> v > 0, "must be > 0").scope(ConfigKey.Scope.SERVER).doc("The most connections open at once.");
    private static final ConfigKey<Integer> MAX_CONN_PER_IP = ConfigKey.integer("maxConnPerIp", 0)
            .check(v -> v >= 0, "must be >= 0 (0: no limit)").scope(ConfigKey.Scope.SERVER)
            .doc("The most connections open at once from one IP address; 0: no limit.");
    private static final ConfigKey<Integer> ACCEPT_RATE = ConfigKey.integer("acceptRate", 0)
            .check(v -> v >= 0, "must be >= 0 (0: no limit)").scope(ConfigKey.Scope.SERVER)
            .doc("The most connections accepted per second; more wait in the listen backlog. 0: no limit.");
    private static final ConfigKey<Integer> MAX_MESSAGE_RATE = ConfigKey.integer("maxMessageRate", 0)
            .check(v -> v >= 0, "must be >= 0 (0: no limit)")
            .doc("The most messages read per second from one connection; faster peers are read more slowly. 0: no limit.");
    private static final ConfigKey<Duration> AUTH_TIMEOUT = ConfigKey.duration("authTimeout", Duration.ofSeconds(10))
            .check(v -> !v.isNegative(), "must be >= 0 (0s turns it off)").scope(ConfigKey.Scope.SERVER)
            .doc("With an authenticator: close a connection not authenticated within this long.");
    private static final ConfigKey<Integer> SO_RCVBUF = ConfigKey.integer("soRcvbuf", 0)
            .check(v -> v >= 0, "must be >= 0 (0: the system's default)")
            .doc("The kernel's receive buffer per connection (SO_RCVBUF), bytes; 0: the system's default.");
    private static final ConfigKey<Integer> SO_SNDBUF = ConfigKey.integer("soSndbuf", 0)
            .check(v -> v >= 0, "must be >= 0 (0: the system's default)")
            .doc("The kernel's send buffer per connection (SO_SNDBUF), bytes; 0: the system's default.");
    private static final ConfigKey<Integer> MAX_PACKET_SIZE = ConfigKey.integer("maxPacketSize", 4096)
            .check(v -> v > 0, "must be > 0").doc("The largest payload a frame may announce, in bytes.");
    private static final ConfigKey<Boolean> ZERO_COPY = ConfigKey.bool("zeroCopy", false)
            .doc("Routers get each payload as a view of the read buffer (Request.payload()), released when they return.");
    private static final ConfigKey<Integer> WORKER_POOL_SIZE = ConfigKey.integer("workerPoolSize", CORES)
            .check(v -> v >= 0, "must be >= 0").doc("Worker threads for routers; 0 runs them on the IO threads.");
    private static final ConfigKey<Integer> MAX_WORKER_TASK_LEN = ConfigKey.integer("maxWorkerTaskLen", 4096)
            .check(v -> v > 0, "must be > 0").doc("Requests queued per worker before reading pauses.");
    private static final ConfigKey<WorkerMode> WORKER_MODE = ConfigKey.enumOf("workerMode", WorkerMode.class, WorkerMode.HASH)
            .scope(ConfigKey.Scope.SERVER).doc("How connections are pinned to workers: hash or bind.");
    private static final ConfigKey<String> CODEC = ConfigKey.string("codec", "ltv-le").doc("The wire format's name.");
    private static final ConfigKey<Transport> TRANSPORT = ConfigKey.enumOf("transport", Transport.class, Transport.AUTO)
            .doc("auto, nio, epoll, kqueue or io_uring.");
    private static final ConfigKey<Integer> BOSS_THREADS = ConfigKey.integer("bossThreads", 1)
            .check(v -> v > 0, "must be > 0").scope(ConfigKey.Scope.SERVER).doc("Threads that accept connections.");
    private static final ConfigKey<Integer> IO_THREADS = ConfigKey.integer("ioThreads", CORES)
            .check(v -> v > 0, "must be > 0").scope(ConfigKey.Scope.SERVER).doc("Threads that read and write sockets.");
    private static final ConfigKey<Boolean> TCP_NO_DELAY = ConfigKey.bool("tcpNoDelay", true).doc("Disables Nagle's algorithm.");
    private static final ConfigKey<Boolean> KEEP_ALIVE = ConfigKey.bool("keepAlive", true).doc("Enables TCP keep-alive probes.");
    private static final ConfigKey<Duration> KEEP_ALIVE_PERIOD = ConfigKey.duration("keepAlivePeriod", Duration.ofSeconds(15))
            .check(v -> v.toSeconds() >= 1, "must be at least 1s").doc("Idle time before the first keep-alive probe, and between probes.");
    private static final ConfigKey<Integer> SO_BACKLOG = ConfigKey.integer("soBacklog", 1024)
            .check(v -> v > 0, "must be > 0").scope(ConfigKey.Scope.SERVER).doc("The listen backlog.");
    private static final ConfigKey<Integer> WRITE_BUFFER_HIGH_WATER_MARK = ConfigKey.integer("writeBufferHighWaterMark", 64 * 1024)
            .doc("Above this many bytes waiting to be written, a connection stops reading requests.");
    private static final ConfigKey<Integer> WRITE_BUFFER_LOW_WATER_MARK = ConfigKey.integer("writeBufferLowWaterMark", 32 * 1024)
            .check(v -> v > 0, "must be > 0").doc("Below this many bytes waiting, a paused connection reads again.");
    private static final ConfigKey<Integer> MAX_PENDING_WRITE_BYTES = ConfigKey.integer("maxPendingWriteBytes", 4 * 1024 * 1024)
            .doc("Above this many bytes waiting to be written, the connection is reset.");
    private static final ConfigKey<Duration> SLOW_PEER_TIMEOUT = ConfigKey.duration("slowPeerTimeout", Duration.ofSeconds(60))
            .check(v -> !v.isNegative(), "must be >= 0 (0s turns it off)")
            .doc("Cut off a peer that leaves more than writeBufferHighWaterMark unread for this long.");
    private static final ConfigKey<OutboundPolicy> OUTBOUND_POLICY = ConfigKey.enumOf("outboundPolicy", OutboundPolicy.class,
            OutboundPolicy.CLOSE).doc("close, drop or wait: what a send does while the peer does not keep up.");
    private static final ConfigKey<Duration> STOP_GRACE_PERIOD = ConfigKey.duration("stopGracePeriod", Duration.ofSeconds(10))
            .check(v -> !v.isNegative(), "must be >= 0").doc("How long stop() and close() wait for requests and writes.");
    private static final ConfigKey<Duration> CLOSE_LINGER = ConfigKey.duration("closeLinger", Duration.ofSeconds(2))
            .check(v -> !v.isNegative(), "must be >= 0").doc("How long a close waits for the peer's FIN after its own.");
    private static final ConfigKey<Integer> SERVER_FULL_MSG_ID = ConfigKey.unsignedInt("serverFullMsgId", 0)
            .scope(ConfigKey.Scope.SERVER).doc("The message id of the \"server full\" message.");
    private static final ConfigKey<String> SERVER_FULL_MESSAGE = ConfigKey.string("serverFullMessage", "")
            .scope(ConfigKey.Scope.SERVER).doc("Text sent to a connection refused by maxConn; empty sends nothing.");
    private static final ConfigKey<Duration> WARN_INTERVAL = ConfigKey.duration("warnInterval", Duration.ofSeconds(5))
            .check(v -> !v.isNegative(), "must be >= 0").doc("The shortest interval between two lines of one repeated warning.");
    private static final ConfigKey<Duration> HEARTBEAT_MAX = ConfigKey.duration("heartbeatMax", Duration.ZERO)
            .check(v -> !v.isNegative(), "must be >= 0 (0s turns it off)").doc("Close a connection after this long without inbound bytes.");
    private static final ConfigKey<Duration> FRAME_TIMEOUT = ConfigKey.duration("frameTimeout", Duration.ofSeconds(30))
            .check(v -> !v.isNegative(), "must be >= 0 (0s turns it off)").doc("Close a connection whose frame, once begun, is not whole within this long (slowloris).");
    private static final ConfigKey<Duration> HEARTBEAT_INTERVAL = ConfigKey.duration("heartbeatInterval", Duration.ZERO)
            .check(v -> !v.isNegative(), "must be >= 0 (0s turns it off)").doc("Send a ping after this long without outbound traffic.");
    private static final ConfigKey<Integer> HEARTBEAT_MSG_ID = ConfigKey.unsignedInt("heartbeatMsgId", 99999)
            .doc("The message id of heartbeats.");
    private static final ConfigKey<Boolean> HEARTBEAT_REPLY = ConfigKey.bool("heartbeatReply", true)
            .doc("Answer a heartbeat ping with a pong.");
    private static final ConfigKey<Duration> REQUEST_TIMEOUT = ConfigKey.duration("requestTimeout", Duration.ofSeconds(10))
            .check(v -> !v.isNegative() && !v.isZero(), "must be > 0").doc("How long request(...) waits for the reply by default.");
    private static final ConfigKey<Integer> MAX_PENDING_REQUESTS = ConfigKey.integer("maxPendingRequests", 65536)
            .check(v -> v > 0, "must be > 0").doc("The most requests one connection may have waiting for replies.");
    private static final ConfigKey<Boolean> TLS = ConfigKey.bool("tls", false).doc("TLS on every connection.");
    private static final ConfigKey<String> TLS_CERT = ConfigKey.string("tlsCert", "").doc("PEM file with the certificate chain.");
    private static final ConfigKey<String> TLS_KEY = ConfigKey.string("tlsKey", "").doc("PEM file with the PKCS#8 key of tlsCert.");
    private static final ConfigKey<String> TLS_TRUST = ConfigKey.string("tlsTrust", "").doc("PEM file with the certificates to trust.");
    private static final ConfigKey<TlsProvider> TLS_PROVIDER = ConfigKey.enumOf("tlsProvider", TlsProvider.class, TlsProvider.AUTO)
            .doc("auto, jdk or openssl: the TLS implementation.");
    private static final ConfigKey<Duration> CONNECT_TIMEOUT = ConfigKey.duration("connectTimeout", Duration.ofSeconds(5))
            .check(v -> v.toMillis() >= 1, "must be at least 1ms").scope(ConfigKey.Scope.CLIENT)
            .doc("How long one connection attempt may take.");
    private static final ConfigKey<Boolean> RECONNECT = ConfigKey.bool("reconnect", true).scope(ConfigKey.Scope.CLIENT)
            .doc("Retry a failed or lost connection.");
    private static final ConfigKey<Duration> RECONNECT_BASE = ConfigKey.duration("reconnectBase", Duration.ofSeconds(3))
            .check(v -> v.toMillis() >= 1, "must be at least 1ms").scope(ConfigKey.Scope.CLIENT)
            .doc("The delay before the first retry; it doubles after each failure.");
    private static final ConfigKey<Duration> RECONNECT_MAX_DELAY = ConfigKey.duration("reconnectMaxDelay", Duration.ofSeconds(60))
            .scope(ConfigKey.Scope.CLIENT).doc("The longest delay between two attempts.");
    private static final ConfigKey<Integer> RECONNECT_ATTEMPTS = ConfigKey.integer("reconnectAttempts", 0)
            .check(v -> v >= 0, "must be >= 0 (0: no limit)").scope(ConfigKey.Scope.CLIENT)
            .doc("Failed attempts in a row after which the client gives up; 0 never.");
    private static final ConfigKey<Double> RECONNECT_JITTER = ConfigKey.decimal("reconnectJitter", 0.2)
            .check(v -> v >= 0 && v <= 1, "must be between 0 and 1").scope(ConfigKey.Scope.CLIENT)
            .doc("The fraction by which each delay is varied at random.");
    private static final ConfigKey<Integer> DEAD_LINK_TIMEOUTS = ConfigKey.integer("deadLinkTimeouts", 0)
            .check(v -> v >= 0, "must be >= 0 (0: off)").scope(ConfigKey.Scope.CLIENT)
            .doc("Requests in a row that time out with nothing received meanwhile, after which the link counts as dead; 0: off.");
    private static final ConfigKey<Integer> OFFLINE_QUEUE_SIZE = ConfigKey.integer("offlineQueueSize", 0)
            .check(v -> v >= 0, "must be >= 0").scope(ConfigKey.Scope.CLIENT)
            .doc("Sends and requests held while disconnected; 0 fails them at once.");

    /**
     * Core's own keys, in documentation order: the root section, written at the top level of a
     * file, as {@code PAGUMA_<KEY>} and as {@code paguma.<key>}.
     */
    public static final ConfigSection ROOT = new ConfigSection("", List.of(NAME, HOST, PORT, MODE, WS_PORT, WS_PATH,
            WS_ORIGINS, WS_HANDSHAKE_TIMEOUT, MAX_CONN, MAX_CONN_PER_IP, ACCEPT_RATE, MAX_MESSAGE_RATE, AUTH_TIMEOUT, MAX_PACKET_SIZE, ZERO_COPY,
            WORKER_POOL_SIZE, MAX_WORKER_TASK_LEN, WORKER_MODE, CODEC, TRANSPORT, BOSS_THREADS, IO_THREADS, TCP_NO_DELAY,
            KEEP_ALIVE, KEEP_ALIVE_PERIOD, SO_BACKLOG, SO_RCVBUF, SO_SNDBUF, WRITE_BUFFER_HIGH_WATER_MARK, WRITE_BUFFER_LOW_WATER_MARK,
            MAX_PENDING_WRITE_BYTES, SLOW_PEER_TIMEOUT, OUTBOUND_POLICY, STOP_GRACE_PERIOD, CLOSE_LINGER, SERVER_FULL_MSG_ID, SERVER_FULL_MESSAGE, WARN_INTERVAL,
            HEARTBEAT_MAX, FRAME_TIMEOUT, HEARTBEAT_INTERVAL, HEARTBEAT_MSG_ID, HEARTBEAT_REPLY, REQUEST_TIMEOUT, MAX_PENDING_REQUESTS,
            TLS, TLS_CERT, TLS_KEY, TLS_TRUST, TLS_PROVIDER, CONNECT_TIMEOUT, RECONNECT, RECONNECT_BASE, RECONNECT_MAX_DELAY,
            RECONNECT_ATTEMPTS, RECONNECT_JITTER, DEAD_LINK_TIMEOUTS, OFFLINE_QUEUE_SIZE)) {
    };

    private final String name;
    private final String host;
    private final int port;
    private final Mode mode;
    private final int wsPort;
    private final String wsPath;
    private final List<String> wsOrigins;
    private final Duration wsHandshakeTimeout;
    private final int maxConn;
    private final int maxConnPerIp;
    private final int acceptRate;
    private final int maxMessageRate;
    private final Duration authTimeout;
    private final int soRcvbuf;
    private final int soSndbuf;
    private final int maxPacketSize;
    private final boolean zeroCopy;
    private final int workerPoolSize;
    private final int maxWorkerTaskLen;
    private final WorkerMode workerMode;
    private final String codec;
    private final Transport transport;
    private final int bossThreads;
    private final int ioThreads;
    private final boolean tcpNoDelay;
    private final boolean keepAlive;
    private final Duration keepAlivePeriod;
    private final int soBacklog;
    private final int writeBufferLowWaterMark;
    private final int writeBufferHighWaterMark;
    private final int maxPendingWriteBytes;
    private final OutboundPolicy outboundPolicy;
    private final Duration stopGracePeriod;
    private final Duration closeLinger;
    private final int serverFullMsgId;
    private final String serverFullMessage;
    private final Duration warnInterval;
    private final Duration heartbeatMax;
    private final Duration heartbeatInterval;
    private final int heartbeatMsgId;
    private final boolean heartbeatReply;
    private final Duration requestTimeout;
    private final int maxPendingRequests;
    private final boolean tls;
    private final String tlsCert;
    private final String tlsKey;
    private final String tlsTrust;
    private final Duration frameTimeout;
    private final Duration slowPeerTimeout;
    private final TlsProvider tlsProvider;
    private final Duration connectTimeout;
    private final boolean reconnect;
    private final Duration reconnectBase;
    private final Duration reconnectMaxDelay;
    private final int reconnectAttempts;
    private final double reconnectJitter;
    private final int deadLinkTimeouts;
    private final int offlineQueueSize;

    private final ConfigSection.Values root;
    private final Map<String, ConfigSection.Values> sections;
    /** Keys set by {@link #load}, by full name, with where they were set: for the warning about keys of the other side. */
    private final Map<String, Loaded> loaded;

    private PagumaConfig(Builder b, ConfigSection.Values root, Map<String, ConfigSection.Values> sections) {
        this.root = root;
        this.sections = sections;
        this.loaded = Map.copyOf(b.loaded);
        this.name = root.get(NAME);
        this.host = root.get(HOST);
        this.port = root.get(PORT);
        this.mode = root.get(MODE);
        this.wsPort = root.get(WS_PORT);
        this.wsPath = root.get(WS_PATH);
        List<String> origins = new ArrayList<>();
        for (String o : root.get(WS_ORIGINS).split(",")) {
            if (!o.isBlank()) origins.add(o.strip());
        }
        this.wsOrigins = List.copyOf(origins);
        this.wsHandshakeTimeout = root.get(WS_HANDSHAKE_TIMEOUT);
        this.maxConn = root.get(MAX_CONN);
        this.maxConnPerIp = root.get(MAX_CONN_PER_IP);
        this.acceptRate = root.get(ACCEPT_RATE);
        this.maxMessageRate = root.get(MAX_MESSAGE_RATE);
        this.authTimeout = root.get(AUTH_TIMEOUT);
        this.soRcvbuf = root.get(SO_RCVBUF);
        this.soSndbuf = root.get(SO_SNDBUF);
        this.maxPacketSize = root.get(MAX_PACKET_SIZE);
        this.zeroCopy = root.get(ZERO_COPY);
        this.workerPoolSize = root.get(WORKER_POOL_SIZE);
        this.maxWorkerTaskLen = root.get(MAX_WORKER_TASK_LEN);
        this.workerMode = root.get(WORKER_MODE);
        this.codec = root.get(CODEC);
        this.transport = root.get(TRANSPORT);
        this.bossThreads = root.get(BOSS_THREADS);
        this.ioThreads = root.get(IO_THREADS);
        this.tcpNoDelay = root.get(TCP_NO_DELAY);
        this.keepAlive = root.get(KEEP_ALIVE);
        this.keepAlivePeriod = root.get(KEEP_ALIVE_PERIOD);
        this.soBacklog = root.get(SO_BACKLOG);
        this.writeBufferLowWaterMark = root.get(WRITE_BUFFER_LOW_WATER_MARK);
        this.writeBufferHighWaterMark = root.get(WRITE_BUFFER_HIGH_WATER_MARK);
        this.maxPendingWriteBytes = root.get(MAX_PENDING_WRITE_BYTES);
        this.outboundPolicy = root.get(OUTBOUND_POLICY);
        this.stopGracePeriod = root.get(STOP_GRACE_PERIOD);
        this.closeLinger = root.get(CLOSE_LINGER);
        this.serverFullMsgId = root.get(SERVER_FULL_MSG_ID);
        this.serverFullMessage = root.get(SERVER_FULL_MESSAGE);
        this.warnInterval = root.get(WARN_INTERVAL);
        this.heartbeatMax = root.get(HEARTBEAT_MAX);
        this.heartbeatInterval = root.get(HEARTBEAT_INTERVAL);
        this.heartbeatMsgId = root.get(HEARTBEAT_MSG_ID);
        this.heartbeatReply = root.get(HEARTBEAT_REPLY);
        this.requestTimeout = root.get(REQUEST_TIMEOUT);
        this.maxPendingRequests = root.get(MAX_PENDING_REQUESTS);
        this.tls = root.get(TLS);
        this.tlsCert = root.get(TLS_CERT);
        this.tlsKey = root.get(TLS_KEY);
        this.tlsTrust = root.get(TLS_TRUST);
        this.frameTimeout = root.get(FRAME_TIMEOUT);
        this.slowPeerTimeout = root.get(SLOW_PEER_TIMEOUT);
        this.tlsProvider = root.get(TLS_PROVIDER);
        this.connectTimeout = root.get(CONNECT_TIMEOUT);
        this.reconnect = root.get(RECONNECT);
        this.reconnectBase = root.get(RECONNECT_BASE);
        this.reconnectMaxDelay = root.get(RECONNECT_MAX_DELAY);
        this.reconnectAttempts = root.get(RECONNECT_ATTEMPTS);
        this.reconnectJitter = root.get(RECONNECT_JITTER);
        this.deadLinkTimeouts = root.get(DEAD_LINK_TIMEOUTS);
        this.offlineQueueSize = root.get(OFFLINE_QUEUE_SIZE);
    }

    /** The defaults: what a server uses with no file, no environment and no system properties. */
    public static PagumaConfig defaults() {
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    public Builder toBuilder() {
        return new Builder(this);
    }

    /**
     * Loads the configuration the way the {@code paguma} command does: the file named by
     * {@code -Dpaguma.config} or {@code PAGUMA_CONFIG}, else the first of {@code application.json},
     * {@code application.yaml}, {@code application.yml} in the working directory and then in
     * {@code conf/}, else no file; then environment variables, then system properties.
     *
     * @param sections sections to read besides the root one and those found on the classpath
     *                 ({@code META-INF/services/io.paguma.ConfigSection})
     */
    public static PagumaConfig load(ConfigSection... sections) {
        return ConfigLoader.load(null, System.getenv(), ConfigLoader.systemProperties(), Path.of(""), List.of(sections));
    }

    /** Loads {@code file} (JSON or YAML by extension), then applies environment variables and system properties. */
    public static PagumaConfig load(Path file, ConfigSection... sections) {
        return ConfigLoader.load(file, System.getenv(), ConfigLoader.systemProperties(), Path.of(""), List.of(sections));
    }

    /**
     * Loads {@code file} (may be null: no file) with the given environment and system properties
     * in place of the process's own; for tests and embedders.
     */
    public static PagumaConfig load(Path file, Map<String, String> env, Map<String, String> systemProperties,
                                    ConfigSection... sections) {
        return ConfigLoader.load(file, env, systemProperties, null, List.of(sections));
    }

    /**
     * The values of {@code section}: as loaded when it was declared at {@link #load} (found on the
     * classpath or passed in), else as set with {@link Builder#set}, else its defaults.
     */
    public ConfigSection.Values section(ConfigSection section) {
        if (section.name().isEmpty()) return root;
        ConfigSection.Values v = sections.get(section.name());
        return v != null ? v : section.defaults();
    }

    /**
     * Logs one warning naming the keys that were loaded (from a file, the environment or system
     * properties) but do not apply to {@code endpoint}: a client's keys given to a server, or the
     * other way round. Not an error, since one file may serve servers and clients alike.
     */
    void warnKeysNotFor(ConfigKey.Scope endpoint) {
        List<String> ignored = new ArrayList<>();
        loaded.forEach((key, l) -> {
            if (!l.key.scope().appliesTo(endpoint)) ignored.add(key + " (from " + l.origin + ")");
        });
        if (ignored.isEmpty()) return;
        Collections.sort(ignored);
        String side = endpoint == ConfigKey.Scope.SERVER ? "server" : "client";
        log.warn("{} {}: {} appl{} to {}s only and {} ignored here", side, name, String.join(", ", ignored),
                ignored.size() == 1 ? "ies" : "y", endpoint == ConfigKey.Scope.SERVER ? "client" : "server",
                ignored.size() == 1 ? "is" : "are");
    }

    /** The server's name, used in logs. */
    public String name() { return name; }

    /** The address to bind. */
    public String host() { return host; }

    /** The port to bind; 0 picks a free one (ask the server for it after start). */
    public int port() { return port; }

    /** Which transports carry connections: TCP (the default), WebSocket, or both side by side (a server only). */
    public Mode mode() { return mode; }

    /** The WebSocket port, used when {@link #mode()} is {@code websocket} or {@code both}; 0 picks a free one. */
    public int wsPort() { return wsPort; }

    /** The path WebSocket upgrades are accepted on. */
    public String wsPath() { return wsPath; }

    /**
     * A server: the origins ({@code https://example.com}) a browser's WebSocket upgrade may come
     * from; empty accepts any. An upgrade without an {@code Origin} header (not from a browser) is
     * not checked.
     */
    public List<String> wsOrigins() { return wsOrigins; }

    /** How long a new connection may take to complete its WebSocket upgrade before it is closed. */
    public Duration wsHandshakeTimeout() { return wsHandshakeTimeout; }

    /** The most connections open at once; one more is refused. */
    public int maxConn() { return maxConn; }

    /** The most connections open at once from one IP address (server); 0: no limit. */
    public int maxConnPerIp() { return maxConnPerIp; }

    /** The most connections a server accepts per second (the rest wait in the backlog); 0: no limit. */
    public int acceptRate() { return acceptRate; }

    /** The most messages read per second from one connection (reading slows down above it); 0: no limit. */
    public int maxMessageRate() { return maxMessageRate; }

    /** How long a connection has to pass a server's authenticator; zero: no deadline. */
    public Duration authTimeout() { return authTimeout; }

    /** SO_RCVBUF for each connection, bytes; 0: the system's default. */
    public int soRcvbuf() { return soRcvbuf; }

    /** SO_SNDBUF for each connection, bytes; 0: the system's default. */
    public int soSndbuf() { return soSndbuf; }

    /** The largest payload a frame may announce, in bytes. */
    public int maxPacketSize() { return maxPacketSize; }

    /**
     * Whether the built-in codecs hand routers each payload as a retained slice of the read buffer
     * instead of a copy ({@link Message#hasBuffer()}): released when the router returns unless it
     * {@linkplain Message#retain() retains} it. Replies to this side's own requests are still copied.
     */
    public boolean zeroCopy() { return zeroCopy; }

    /** Worker threads for routers; 0 runs routers on the IO threads. */
    public int workerPoolSize() { return workerPoolSize; }

    /** Requests queued per worker before reading pauses on the connections that feed it. */
    public int maxWorkerTaskLen() { return maxWorkerTaskLen; }

    public WorkerMode workerMode() { return workerMode; }

    /** The wire format's name, see {@link Codecs}. */
    public String codec() { return codec; }

    public Transport transport() { return transport; }

    /** Threads that accept connections (the main reactor). */
    public int bossThreads() { return bossThreads; }

    /** Threads that read and write sockets (the sub reactors). */
    public int ioThreads() { return ioThreads; }

    public boolean tcpNoDelay() { return tcpNoDelay; }

    /** Whether TCP keep-alive probes are enabled on accepted connections. */
    public boolean keepAlive() { return keepAlive; }

    /** Idle time before the first keep-alive probe, and the interval between probes. */
    public Duration keepAlivePeriod() { return keepAlivePeriod; }

    /** The listen backlog. */
    public int soBacklog() { return soBacklog; }

    /** Below this many bytes waiting to be written, a connection whose reading was paused reads again. */
    public int writeBufferLowWaterMark() { return writeBufferLowWaterMark; }

    /** Above this many bytes waiting to be written, the connection stops reading requests until they drain. */
    public int writeBufferHighWaterMark() { return writeBufferHighWaterMark; }

    /** Above this many bytes waiting to be written (the peer does not read), the connection is closed. */
    public int maxPendingWriteBytes() { return maxPendingWriteBytes; }

    /** What a send does while the peer does not keep up: queue (and cut off at maxPendingWriteBytes), fail, or wait. */
    public OutboundPolicy outboundPolicy() { return outboundPolicy; }

    /**
     * How long {@code stop()} waits for in-flight requests and pending writes before closing anyway;
     * also how long {@code Connection.close()} waits for pending writes before resetting.
     */
    public Duration stopGracePeriod() { return stopGracePeriod; }

    /**
     * After a server-side close has written everything and sent FIN, how long to wait for the peer
     * to close its side (discarding what it still sends) before closing anyway. Lets the peer see a
     * clean end of stream instead of a reset that could destroy replies it has not read yet.
     */
    public Duration closeLinger() { return closeLinger; }

    /** The message id of the "server full" message. */
    public int serverFullMsgId() { return serverFullMsgId; }

    /** Text sent to a connection refused by {@code maxConn} before it is closed; empty sends nothing. */
    public String serverFullMessage() { return serverFullMessage; }

    /** The shortest interval between two log lines of the same kind of repeated warning. */
    public Duration warnInterval() { return warnInterval; }

    /** Close a connection after this long without any inbound bytes (T1); zero turns the idle timeout off. */
    public Duration heartbeatMax() { return heartbeatMax; }

    /** Send a heartbeat ping after this long without outbound traffic (B1); zero sends none. */
    public Duration heartbeatInterval() { return heartbeatInterval; }

    /** The message id of heartbeat pings and pongs (Zinx's default, 99999). */
    public int heartbeatMsgId() { return heartbeatMsgId; }

    /** Whether a received heartbeat ping is answered with a pong. */
    public boolean heartbeatReply() { return heartbeatReply; }

    /** How long {@code Connection.request} waits for a reply unless given a timeout. */
    public Duration requestTimeout() { return requestTimeout; }

    /** The most requests one connection may have waiting for replies; one more fails at once. */
    public int maxPendingRequests() { return maxPendingRequests; }

    /**
     * How long a frame may take from its first byte to its last before the connection is closed
     * as malformed (a peer that trickles a frame a byte at a time, slowloris); {@code 0} is off.
     * Time while the connection's reading is paused on our side does not count.
     */
    public Duration frameTimeout() { return frameTimeout; }

    /**
     * How long a peer may leave more than {@code writeBufferHighWaterMark} bytes unread (its
     * connection's reading paused all the while) before it is cut off; {@code 0} is off.
     */
    public Duration slowPeerTimeout() { return slowPeerTimeout; }

    /** Whether connections use TLS (B3). */
    public boolean tls() { return tls; }

    /** PEM file with the certificate chain (required for a TLS server; a client certificate for a client). */
    public String tlsCert() { return tlsCert; }

    /** PEM file with the PKCS#8 private key of {@link #tlsCert()}. */
    public String tlsKey() { return tlsKey; }

    /** PEM file with the certificates to trust: a client's server CAs (empty: the JDK's), or a server's client CAs (set: clients must present a certificate). */
    public String tlsTrust() { return tlsTrust; }

    /** Which TLS implementation carries {@code tls} connections: OpenSSL (netty-tcnative) or the JDK's; {@code auto} picks OpenSSL when it is there. */
    public TlsProvider tlsProvider() { return tlsProvider; }

    /** Client: how long one connection attempt may take. */
    public Duration connectTimeout() { return connectTimeout; }

    /** Client: whether a lost or failed connection is retried. */
    public boolean reconnect() { return reconnect; }

    /** Client: the delay before the first retry; it doubles after every failed attempt (T3). */
    public Duration reconnectBase() { return reconnectBase; }

    /** Client: the longest delay between two attempts. */
    public Duration reconnectMaxDelay() { return reconnectMaxDelay; }

    /** Client: failed attempts in a row after which the client gives up; 0 never gives up. */
    public int reconnectAttempts() { return reconnectAttempts; }

    /** Client: each delay is randomly varied by up to this fraction, so many clients do not retry in step. */
    public double reconnectJitter() { return reconnectJitter; }

    /**
     * Client: this many requests in a row that time out while nothing at all arrives on the
     * connection mark it dead (seed 001: "after a request times out, reconnect"): it is closed and
     * the client reconnects with its usual backoff. 0 (the default) turns this off. A silent link
     * is also caught by {@code heartbeatInterval} with {@code heartbeatMax}, without requests.
     */
    public int deadLinkTimeouts() { return deadLinkTimeouts; }

    /** Client: messages and requests held while disconnected and sent once connected; 0 fails them at once. */
    public int offlineQueueSize() { return offlineQueueSize; }

    /** Every key as {@code name=value}, values written as in a file; sections follow as {@code section{key=value, ...}}. */
    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("PagumaConfig{").append(root);
        sections.values().forEach(v -> sb.append(", ").append(v.section().name()).append('{').append(v).append('}'));
        return sb.append('}').toString();
    }

    private record Loaded(ConfigKey<?> key, String origin) {
    }

    /** Builds a {@link PagumaConfig}; every setter has a default, {@link #build()} checks every value. */
    public static final class Builder {
        private final Map<String, Object> root = new HashMap<>();
        private final Map<String, ConfigSection> sections = new LinkedHashMap<>();
        private final Map<String, Map<String, Object>> sectionValues = new HashMap<>();
        private final Map<String, Loaded> loaded = new HashMap<>();

        private Builder() {
        }

        private Builder(PagumaConfig c) {
            for (ConfigKey<?> k : ROOT.keys()) root.put(k.name(), c.root.get(k));
            c.sections.values().forEach(v -> {
                section(v.section());
                for (ConfigKey<?> k : v.section().keys()) sectionValues.get(v.section().name()).put(k.name(), v.get(k));
            });
            loaded.putAll(c.loaded);
        }

        public Builder name(String name) { return put(NAME, name); }
        public Builder host(String host) { return put(HOST, host); }
        public Builder port(int port) { return put(PORT, port); }
        public Builder mode(Mode mode) { return put(MODE, mode); }
        public Builder wsPort(int wsPort) { return put(WS_PORT, wsPort); }
        public Builder wsPath(String wsPath) { return put(WS_PATH, wsPath); }
        /** Comma-separated origins, as in a file. */
        public Builder wsOrigins(String wsOrigins) { return put(WS_ORIGINS, wsOrigins); }
        public Builder wsHandshakeTimeout(Duration timeout) { return put(WS_HANDSHAKE_TIMEOUT, timeout); }
        public Builder maxConn(int maxConn) { return put(MAX_CONN, maxConn); }
        public Builder maxPacketSize(int maxPacketSize) { return put(MAX_PACKET_SIZE, maxPacketSize); }

        public Builder zeroCopy(boolean zeroCopy) { return put(ZERO_COPY, zeroCopy); }
        public Builder workerPoolSize(int workerPoolSize) { return put(WORKER_POOL_SIZE, workerPoolSize); }
        public Builder maxWorkerTaskLen(int maxWorkerTaskLen) { return put(MAX_WORKER_TASK_LEN, maxWorkerTaskLen); }
        public Builder workerMode(WorkerMode workerMode) { return put(WORKER_MODE, workerMode); }
        public Builder codec(String codec) { return put(CODEC, codec); }
        public Builder transport(Transport transport) { return put(TRANSPORT, transport); }
        public Builder bossThreads(int bossThreads) { return put(BOSS_THREADS, bossThreads); }
        public Builder ioThreads(int ioThreads) { return put(IO_THREADS, ioThreads); }
        public Builder tcpNoDelay(boolean tcpNoDelay) { return put(TCP_NO_DELAY, tcpNoDelay); }
        public Builder keepAlive(boolean keepAlive) { return put(KEEP_ALIVE, keepAlive); }
        public Builder keepAlivePeriod(Duration keepAlivePeriod) { return put(KEEP_ALIVE_PERIOD, keepAlivePeriod); }
        public Builder soBacklog(int soBacklog) { return put(SO_BACKLOG, soBacklog); }
        public Builder writeBufferLowWaterMark(int bytes) { return put(WRITE_BUFFER_LOW_WATER_MARK, bytes); }
        public Builder writeBufferHighWaterMark(int bytes) { return put(WRITE_BUFFER_HIGH_WATER_MARK, bytes); }
        public Builder maxPendingWriteBytes(int bytes) { return put(MAX_PENDING_WRITE_BYTES, bytes); }
        public Builder outboundPolicy(OutboundPolicy policy) { return put(OUTBOUND_POLICY, policy); }
        public Builder stopGracePeriod(Duration stopGracePeriod) { return put(STOP_GRACE_PERIOD, stopGracePeriod); }
        public Builder closeLinger(Duration closeLinger) { return put(CLOSE_LINGER, closeLinger); }
        public Builder serverFullMsgId(int serverFullMsgId) { return put(SERVER_FULL_MSG_ID, serverFullMsgId); }
        public Builder serverFullMessage(String serverFullMessage) { return put(SERVER_FULL_MESSAGE, serverFullMessage); }
        public Builder warnInterval(Duration warnInterval) { return put(WARN_INTERVAL, warnInterval); }
        public Builder heartbeatMax(Duration heartbeatMax) { return put(HEARTBEAT_MAX, heartbeatMax); }
        public Builder heartbeatInterval(Duration heartbeatInterval) { return put(HEARTBEAT_INTERVAL, heartbeatInterval); }
        public Builder heartbeatMsgId(int heartbeatMsgId) { return put(HEARTBEAT_MSG_ID, heartbeatMsgId); }
        public Builder heartbeatReply(boolean heartbeatReply) { return put(HEARTBEAT_REPLY, heartbeatReply); }
        public Builder requestTimeout(Duration requestTimeout) { return put(REQUEST_TIMEOUT, requestTimeout); }
        public Builder maxPendingRequests(int maxPendingRequests) { return put(MAX_PENDING_REQUESTS, maxPendingRequests); }
        public Builder tls(boolean tls) { return put(TLS, tls); }
        public Builder tlsCert(String tlsCert) { return put(TLS_CERT, tlsCert); }
        public Builder tlsKey(String tlsKey) { return put(TLS_KEY, tlsKey); }
        public Builder tlsTrust(String tlsTrust) { return put(TLS_TRUST, tlsTrust); }
        public Builder frameTimeout(Duration frameTimeout) { return put(FRAME_TIMEOUT, frameTimeout); }
        public Builder slowPeerTimeout(Duration slowPeerTimeout) { return put(SLOW_PEER_TIMEOUT, slowPeerTimeout); }
        public Builder maxConnPerIp(int maxConnPerIp) { return put(MAX_CONN_PER_IP, maxConnPerIp); }
        public Builder acceptRate(int acceptRate) { return put(ACCEPT_RATE, acceptRate); }
        public Builder maxMessageRate(int maxMessageRate) { return put(MAX_MESSAGE_RATE, maxMessageRate); }
        public Builder authTimeout(Duration authTimeout) { return put(AUTH_TIMEOUT, authTimeout); }
        public Builder soRcvbuf(int soRcvbuf) { return put(SO_RCVBUF, soRcvbuf); }
        public Builder soSndbuf(int soSndbuf) { return put(SO_SNDBUF, soSndbuf); }
        public Builder tlsProvider(TlsProvider provider) { return put(TLS_PROVIDER, provider); }
        public Builder connectTimeout(Duration connectTimeout) { return put(CONNECT_TIMEOUT, connectTimeout); }
        public Builder reconnect(boolean reconnect) { return put(RECONNECT, reconnect); }
        public Builder reconnectBase(Duration reconnectBase) { return put(RECONNECT_BASE, reconnectBase); }
        public Builder reconnectMaxDelay(Duration reconnectMaxDelay) { return put(RECONNECT_MAX_DELAY, reconnectMaxDelay); }
        public Builder reconnectAttempts(int reconnectAttempts) { return put(RECONNECT_ATTEMPTS, reconnectAttempts); }
        public Builder reconnectJitter(double reconnectJitter) { return put(RECONNECT_JITTER, reconnectJitter); }
        public Builder deadLinkTimeouts(int deadLinkTimeouts) { return put(DEAD_LINK_TIMEOUTS, deadLinkTimeouts); }
        public Builder offlineQueueSize(int offlineQueueSize) { return put(OFFLINE_QUEUE_SIZE, offlineQueueSize); }

        /**
         * Sets {@code key} of {@code section} (a module's, or {@link #ROOT}); checked by {@link #build()}.
         *
         * @throws IllegalArgumentException if {@code key} is not one of the section's keys, or another
         *                                  section of the same name was set before
         */
        public <T> Builder set(ConfigSection section, ConfigKey<T> key, T value) {
            if (section.key(key.name()) != key) {
                throw new IllegalArgumentException("config key " + key.name() + " is not a key of " + section);
            }
            if (section.name().isEmpty()) return put(key, value);
            section(section).put(key.name(), value);
            loaded.remove(section.qualifiedName(key));
            return this;
        }

        private <T> Builder put(ConfigKey<T> key, T value) {
            root.put(key.name(), value);
            loaded.remove(key.name());
            return this;
        }

        /** Declares {@code section}, so that it is part of the config (and its toString) even with every value at its default. */
        Map<String, Object> section(ConfigSection section) {
            ConfigSection known = sections.putIfAbsent(section.name(), section);
            if (known != null && known.getClass() != section.getClass()) {
                throw new IllegalArgumentException("two config sections are named " + section.name() + ": "
                        + known.getClass().getName() + " and " + section.getClass().getName());
            }
            return sectionValues.computeIfAbsent(section.name(), n -> new HashMap<>());
        }

        /** Sets a key as {@link #set} does and remembers where the value came from. */
        <T> void setLoaded(ConfigSection section, ConfigKey<T> key, T value, String origin) {
            set(section, key, value);
            loaded.put(section.qualifiedName(key), new Loaded(key, origin));
        }

        @SuppressWarnings("unchecked")
        private <T> T get(ConfigKey<T> key) {
            return root.containsKey(key.name()) ? (T) root.get(key.name()) : key.defaultValue();
        }

        /** @throws ConfigException naming the first key whose value is out of range */
        public PagumaConfig build() {
            ConfigSection.Values values = new ConfigSection.Values(ROOT, root);
            int high = values.get(WRITE_BUFFER_HIGH_WATER_MARK);
            require(values.get(WRITE_BUFFER_LOW_WATER_MARK) <= high, WRITE_BUFFER_LOW_WATER_MARK,
                    "must not exceed writeBufferHighWaterMark (" + high + ")");
            require(values.get(MAX_PENDING_WRITE_BYTES) >= high, MAX_PENDING_WRITE_BYTES,
                    "must be at least writeBufferHighWaterMark (" + high + ")");
            Duration base = values.get(RECONNECT_BASE);
            require(values.get(RECONNECT_MAX_DELAY).compareTo(base) >= 0, RECONNECT_MAX_DELAY,
                    "must be at least reconnectBase (" + RECONNECT_BASE.format(base) + ")");
            String cert = values.get(TLS_CERT);
            String key = values.get(TLS_KEY);
            if (cert.isEmpty() != key.isEmpty()) {
                String missing = cert.isEmpty() ? "tlsCert" : "tlsKey";
                throw new ConfigException(missing, missing + " must be set together with "
                        + (cert.isEmpty() ? "tlsKey" : "tlsCert") + " (PEM files of one certificate and its key)");
            }
            Map<String, ConfigSection.Values> built = new LinkedHashMap<>();
            sections.forEach((name, section) -> built.put(name, new ConfigSection.Values(section, sectionValues.get(name))));
            PagumaConfig config = new PagumaConfig(this, values, Collections.unmodifiableMap(built));
            Codec codec = Codecs.forConfig(config);
            // Heartbeats are messages of the codec: their id must fit it (tron's category is one byte).
            if (!config.heartbeatInterval().isZero() || !config.heartbeatMax().isZero()) {
                try {
                    codec.frameLength(new Message(config.heartbeatMsgId(), PING_PAYLOAD));
                } catch (IllegalArgumentException e) {
                    throw new ConfigException(HEARTBEAT_MSG_ID.name(), "heartbeatMsgId " + Integer.toUnsignedString(config.heartbeatMsgId())
                            + " cannot be sent with codec " + codec.name() + ": " + e.getMessage());
                }
            }
            return config;
        }

        private <T> void require(boolean ok, ConfigKey<T> key, String rule) {
            if (!ok) throw new ConfigException(key.name(), key.name() + " " + rule + ", got " + key.format(get(key)));
        }
    }
}
