package io.paguma;

import io.paguma.internal.ConfigLoader;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;

/**
 * Every tunable value of a server (P5): one immutable object per server, never a global.
 *
 * <p>Build one in code with {@link #builder()}, or load one with {@link #load()}: from
 * {@code application.json} / {@code application.yaml} (found in the working directory or
 * {@code conf/}, or named by {@code PAGUMA_CONFIG} / {@code -Dpaguma.config}), then overridden by
 * {@code PAGUMA_*} environment variables and {@code paguma.*} system properties. Every key has a
 * default, so no file is needed. An unknown key or a bad value fails with a {@link ConfigException}
 * naming the key. {@code docs/CONFIG.md} lists every key.
 */
public final class PagumaConfig {

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

    private final String name;
    private final String host;
    private final int port;
    private final int maxConn;
    private final int maxPacketSize;
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
    private final Duration connectTimeout;
    private final boolean reconnect;
    private final Duration reconnectBase;
    private final Duration reconnectMaxDelay;
    private final int reconnectAttempts;
    private final double reconnectJitter;
    private final int offlineQueueSize;

    private PagumaConfig(Builder b) {
        this.name = b.name;
        this.host = b.host;
        this.port = b.port;
        this.maxConn = b.maxConn;
        this.maxPacketSize = b.maxPacketSize;
        this.workerPoolSize = b.workerPoolSize;
        this.maxWorkerTaskLen = b.maxWorkerTaskLen;
        this.workerMode = b.workerMode;
        this.codec = b.codec;
        this.transport = b.transport;
        this.bossThreads = b.bossThreads;
        this.ioThreads = b.ioThreads;
        this.tcpNoDelay = b.tcpNoDelay;
        this.keepAlive = b.keepAlive;
        this.keepAlivePeriod = b.keepAlivePeriod;
        this.soBacklog = b.soBacklog;
        this.writeBufferLowWaterMark = b.writeBufferLowWaterMark;
        this.writeBufferHighWaterMark = b.writeBufferHighWaterMark;
        this.maxPendingWriteBytes = b.maxPendingWriteBytes;
        this.stopGracePeriod = b.stopGracePeriod;
        this.closeLinger = b.closeLinger;
        this.serverFullMsgId = b.serverFullMsgId;
        this.serverFullMessage = b.serverFullMessage;
        this.warnInterval = b.warnInterval;
        this.heartbeatMax = b.heartbeatMax;
        this.heartbeatInterval = b.heartbeatInterval;
        this.heartbeatMsgId = b.heartbeatMsgId;
        this.heartbeatReply = b.heartbeatReply;
        this.requestTimeout = b.requestTimeout;
        this.maxPendingRequests = b.maxPendingRequests;
        this.tls = b.tls;
        this.tlsCert = b.tlsCert;
        this.tlsKey = b.tlsKey;
        this.tlsTrust = b.tlsTrust;
        this.connectTimeout = b.connectTimeout;
        this.reconnect = b.reconnect;
        this.reconnectBase = b.reconnectBase;
        this.reconnectMaxDelay = b.reconnectMaxDelay;
        this.reconnectAttempts = b.reconnectAttempts;
        this.reconnectJitter = b.reconnectJitter;
        this.offlineQueueSize = b.offlineQueueSize;
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
     */
    public static PagumaConfig load() {
        return ConfigLoader.load(null, System.getenv(), ConfigLoader.systemProperties(), Path.of(""));
    }

    /** Loads {@code file} (JSON or YAML by extension), then applies environment variables and system properties. */
    public static PagumaConfig load(Path file) {
        return ConfigLoader.load(file, System.getenv(), ConfigLoader.systemProperties(), Path.of(""));
    }

    /**
     * Loads {@code file} (may be null: no file) with the given environment and system properties
     * in place of the process's own; for tests and embedders.
     */
    public static PagumaConfig load(Path file, Map<String, String> env, Map<String, String> systemProperties) {
        return ConfigLoader.load(file, env, systemProperties, null);
    }

    /** The server's name, used in logs. */
    public String name() { return name; }

    /** The address to bind. */
    public String host() { return host; }

    /** The port to bind; 0 picks a free one (ask the server for it after start). */
    public int port() { return port; }

    /** The most connections open at once; one more is refused. */
    public int maxConn() { return maxConn; }

    /** The largest payload a frame may announce, in bytes. */
    public int maxPacketSize() { return maxPacketSize; }

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

    /** Whether connections use TLS (B3). */
    public boolean tls() { return tls; }

    /** PEM file with the certificate chain (required for a TLS server; a client certificate for a client). */
    public String tlsCert() { return tlsCert; }

    /** PEM file with the PKCS#8 private key of {@link #tlsCert()}. */
    public String tlsKey() { return tlsKey; }

    /** PEM file with the certificates to trust: a client's server CAs (empty: the JDK's), or a server's client CAs (set: clients must present a certificate). */
    public String tlsTrust() { return tlsTrust; }

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

    /** Client: messages and requests held while disconnected and sent once connected; 0 fails them at once. */
    public int offlineQueueSize() { return offlineQueueSize; }

    @Override
    public String toString() {
        return "PagumaConfig{name=" + name + ", host=" + host + ", port=" + port + ", maxConn=" + maxConn
                + ", maxPacketSize=" + maxPacketSize + ", workerPoolSize=" + workerPoolSize
                + ", maxWorkerTaskLen=" + maxWorkerTaskLen + ", workerMode=" + workerMode.configName()
                + ", codec=" + codec + ", transport=" + transport.configName() + ", bossThreads=" + bossThreads
                + ", ioThreads=" + ioThreads + ", tcpNoDelay=" + tcpNoDelay + ", keepAlive=" + keepAlive
                + ", keepAlivePeriod=" + keepAlivePeriod + ", soBacklog=" + soBacklog
                + ", writeBufferLowWaterMark=" + writeBufferLowWaterMark + ", writeBufferHighWaterMark=" + writeBufferHighWaterMark
                + ", maxPendingWriteBytes=" + maxPendingWriteBytes + ", stopGracePeriod=" + stopGracePeriod + ", closeLinger=" + closeLinger + ", serverFullMsgId=" + Integer.toUnsignedString(serverFullMsgId)
                + ", serverFullMessage=" + serverFullMessage + ", warnInterval=" + warnInterval
                + ", heartbeatMax=" + heartbeatMax
                + ", heartbeatInterval=" + heartbeatInterval
                + ", heartbeatMsgId=" + Integer.toUnsignedString(heartbeatMsgId)
                + ", heartbeatReply=" + heartbeatReply
                + ", requestTimeout=" + requestTimeout
                + ", maxPendingRequests=" + maxPendingRequests
                + ", tls=" + tls
                + ", tlsCert=" + tlsCert
                + ", tlsKey=" + tlsKey
                + ", tlsTrust=" + tlsTrust
                + ", connectTimeout=" + connectTimeout
                + ", reconnect=" + reconnect
                + ", reconnectBase=" + reconnectBase
                + ", reconnectMaxDelay=" + reconnectMaxDelay
                + ", reconnectAttempts=" + reconnectAttempts
                + ", reconnectJitter=" + reconnectJitter
                + ", offlineQueueSize=" + offlineQueueSize + '}';
    }

    /** Builds a {@link PagumaConfig}; every setter has a default, {@link #build()} checks every value. */
    public static final class Builder {
        private String name = "paguma";
        private String host = "0.0.0.0";
        private int port = 8999;
        private int maxConn = 12000;
        private int maxPacketSize = 4096;
        private int workerPoolSize = Runtime.getRuntime().availableProcessors();
        private int maxWorkerTaskLen = 1024;
        private WorkerMode workerMode = WorkerMode.HASH;
        private String codec = "ltv-le";
        private Transport transport = Transport.AUTO;
        private int bossThreads = 1;
        private int ioThreads = Runtime.getRuntime().availableProcessors();
        private boolean tcpNoDelay = true;
        private boolean keepAlive = true;
        private Duration keepAlivePeriod = Duration.ofSeconds(15);
        private int soBacklog = 1024;
        private int writeBufferLowWaterMark = 32 * 1024;
        private int writeBufferHighWaterMark = 64 * 1024;
        private int maxPendingWriteBytes = 4 * 1024 * 1024;
        private Duration stopGracePeriod = Duration.ofSeconds(10);
        private Duration closeLinger = Duration.ofSeconds(2);
        private int serverFullMsgId = 0;
        private String serverFullMessage = "";
        private Duration warnInterval = Duration.ofSeconds(5);
        private Duration heartbeatMax = Duration.ZERO;
        private Duration heartbeatInterval = Duration.ZERO;
        private int heartbeatMsgId = 99999;
        private boolean heartbeatReply = true;
        private Duration requestTimeout = Duration.ofSeconds(10);
        private int maxPendingRequests = 65536;
        private boolean tls = false;
        private String tlsCert = "";
        private String tlsKey = "";
        private String tlsTrust = "";
        private Duration connectTimeout = Duration.ofSeconds(5);
        private boolean reconnect = true;
        private Duration reconnectBase = Duration.ofSeconds(3);
        private Duration reconnectMaxDelay = Duration.ofSeconds(60);
        private int reconnectAttempts = 0;
        private double reconnectJitter = 0.2;
        private int offlineQueueSize = 0;

        private Builder() {
        }

        private Builder(PagumaConfig c) {
            name = c.name;
            host = c.host;
            port = c.port;
            maxConn = c.maxConn;
            maxPacketSize = c.maxPacketSize;
            workerPoolSize = c.workerPoolSize;
            maxWorkerTaskLen = c.maxWorkerTaskLen;
            workerMode = c.workerMode;
            codec = c.codec;
            transport = c.transport;
            bossThreads = c.bossThreads;
            ioThreads = c.ioThreads;
            tcpNoDelay = c.tcpNoDelay;
            keepAlive = c.keepAlive;
            keepAlivePeriod = c.keepAlivePeriod;
            soBacklog = c.soBacklog;
            writeBufferLowWaterMark = c.writeBufferLowWaterMark;
            writeBufferHighWaterMark = c.writeBufferHighWaterMark;
            maxPendingWriteBytes = c.maxPendingWriteBytes;
            stopGracePeriod = c.stopGracePeriod;
            closeLinger = c.closeLinger;
            serverFullMsgId = c.serverFullMsgId;
            serverFullMessage = c.serverFullMessage;
            warnInterval = c.warnInterval;
            heartbeatMax = c.heartbeatMax;
            heartbeatInterval = c.heartbeatInterval;
            heartbeatMsgId = c.heartbeatMsgId;
            heartbeatReply = c.heartbeatReply;
            requestTimeout = c.requestTimeout;
            maxPendingRequests = c.maxPendingRequests;
            tls = c.tls;
            tlsCert = c.tlsCert;
            tlsKey = c.tlsKey;
            tlsTrust = c.tlsTrust;
            connectTimeout = c.connectTimeout;
            reconnect = c.reconnect;
            reconnectBase = c.reconnectBase;
            reconnectMaxDelay = c.reconnectMaxDelay;
            reconnectAttempts = c.reconnectAttempts;
            reconnectJitter = c.reconnectJitter;
            offlineQueueSize = c.offlineQueueSize;
        }

        public Builder name(String name) { this.name = name; return this; }
        public Builder host(String host) { this.host = host; return this; }
        public Builder port(int port) { this.port = port; return this; }
        public Builder maxConn(int maxConn) { this.maxConn = maxConn; return this; }
        public Builder maxPacketSize(int maxPacketSize) { this.maxPacketSize = maxPacketSize; return this; }
        public Builder workerPoolSize(int workerPoolSize) { this.workerPoolSize = workerPoolSize; return this; }
        public Builder maxWorkerTaskLen(int maxWorkerTaskLen) { this.maxWorkerTaskLen = maxWorkerTaskLen; return this; }
        public Builder workerMode(WorkerMode workerMode) { this.workerMode = workerMode; return this; }
        public Builder codec(String codec) { this.codec = codec; return this; }
        public Builder transport(Transport transport) { this.transport = transport; return this; }
        public Builder bossThreads(int bossThreads) { this.bossThreads = bossThreads; return this; }
        public Builder ioThreads(int ioThreads) { this.ioThreads = ioThreads; return this; }
        public Builder tcpNoDelay(boolean tcpNoDelay) { this.tcpNoDelay = tcpNoDelay; return this; }
        public Builder keepAlive(boolean keepAlive) { this.keepAlive = keepAlive; return this; }
        public Builder keepAlivePeriod(Duration keepAlivePeriod) { this.keepAlivePeriod = keepAlivePeriod; return this; }
        public Builder soBacklog(int soBacklog) { this.soBacklog = soBacklog; return this; }
        public Builder writeBufferLowWaterMark(int bytes) { this.writeBufferLowWaterMark = bytes; return this; }
        public Builder writeBufferHighWaterMark(int bytes) { this.writeBufferHighWaterMark = bytes; return this; }
        public Builder maxPendingWriteBytes(int bytes) { this.maxPendingWriteBytes = bytes; return this; }
        public Builder stopGracePeriod(Duration stopGracePeriod) { this.stopGracePeriod = stopGracePeriod; return this; }
        public Builder closeLinger(Duration closeLinger) { this.closeLinger = closeLinger; return this; }
        public Builder serverFullMsgId(int serverFullMsgId) { this.serverFullMsgId = serverFullMsgId; return this; }
        public Builder serverFullMessage(String serverFullMessage) { this.serverFullMessage = serverFullMessage; return this; }
        public Builder warnInterval(Duration warnInterval) { this.warnInterval = warnInterval; return this; }
        public Builder heartbeatMax(Duration heartbeatMax) { this.heartbeatMax = heartbeatMax; return this; }
        public Builder heartbeatInterval(Duration heartbeatInterval) { this.heartbeatInterval = heartbeatInterval; return this; }
        public Builder heartbeatMsgId(int heartbeatMsgId) { this.heartbeatMsgId = heartbeatMsgId; return this; }
        public Builder heartbeatReply(boolean heartbeatReply) { this.heartbeatReply = heartbeatReply; return this; }
        public Builder requestTimeout(Duration requestTimeout) { this.requestTimeout = requestTimeout; return this; }
        public Builder maxPendingRequests(int maxPendingRequests) { this.maxPendingRequests = maxPendingRequests; return this; }
        public Builder tls(boolean tls) { this.tls = tls; return this; }
        public Builder tlsCert(String tlsCert) { this.tlsCert = tlsCert; return this; }
        public Builder tlsKey(String tlsKey) { this.tlsKey = tlsKey; return this; }
        public Builder tlsTrust(String tlsTrust) { this.tlsTrust = tlsTrust; return this; }
        public Builder connectTimeout(Duration connectTimeout) { this.connectTimeout = connectTimeout; return this; }
        public Builder reconnect(boolean reconnect) { this.reconnect = reconnect; return this; }
        public Builder reconnectBase(Duration reconnectBase) { this.reconnectBase = reconnectBase; return this; }
        public Builder reconnectMaxDelay(Duration reconnectMaxDelay) { this.reconnectMaxDelay = reconnectMaxDelay; return this; }
        public Builder reconnectAttempts(int reconnectAttempts) { this.reconnectAttempts = reconnectAttempts; return this; }
        public Builder reconnectJitter(double reconnectJitter) { this.reconnectJitter = reconnectJitter; return this; }
        public Builder offlineQueueSize(int offlineQueueSize) { this.offlineQueueSize = offlineQueueSize; return this; }

        /** @throws ConfigException naming the first key whose value is out of range */
        public PagumaConfig build() {
            require(name != null && !name.isBlank(), "name", "must not be empty", name);
            require(host != null && !host.isBlank(), "host", "must not be empty", host);
            require(port >= 0 && port <= 65535, "port", "must be between 0 and 65535", port);
            require(maxConn > 0, "maxConn", "must be > 0", maxConn);
            require(maxPacketSize > 0, "maxPacketSize", "must be > 0", maxPacketSize);
            require(workerPoolSize >= 0, "workerPoolSize", "must be >= 0", workerPoolSize);
            require(maxWorkerTaskLen > 0, "maxWorkerTaskLen", "must be > 0", maxWorkerTaskLen);
            require(workerMode != null, "workerMode", "must not be null", null);
            require(transport != null, "transport", "must not be null", null);
            require(bossThreads > 0, "bossThreads", "must be > 0", bossThreads);
            require(ioThreads > 0, "ioThreads", "must be > 0", ioThreads);
            require(keepAlivePeriod != null && keepAlivePeriod.toSeconds() >= 1, "keepAlivePeriod", "must be at least 1s", keepAlivePeriod);
            require(soBacklog > 0, "soBacklog", "must be > 0", soBacklog);
            require(writeBufferLowWaterMark > 0, "writeBufferLowWaterMark", "must be > 0", writeBufferLowWaterMark);
            require(writeBufferLowWaterMark <= writeBufferHighWaterMark, "writeBufferLowWaterMark",
                    "must not exceed writeBufferHighWaterMark (" + writeBufferHighWaterMark + ")", writeBufferLowWaterMark);
            require(maxPendingWriteBytes >= writeBufferHighWaterMark, "maxPendingWriteBytes",
                    "must be at least writeBufferHighWaterMark (" + writeBufferHighWaterMark + ")", maxPendingWriteBytes);
            require(stopGracePeriod != null && !stopGracePeriod.isNegative(), "stopGracePeriod", "must be >= 0", stopGracePeriod);
            require(closeLinger != null && !closeLinger.isNegative(), "closeLinger", "must be >= 0", closeLinger);
            require(serverFullMessage != null, "serverFullMessage", "must not be null (use \"\" to send nothing)", null);
            require(warnInterval != null && !warnInterval.isNegative(), "warnInterval", "must be >= 0", warnInterval);
            require(heartbeatMax != null && !heartbeatMax.isNegative(), "heartbeatMax", "must be >= 0 (0s turns it off)", heartbeatMax);
            require(heartbeatInterval != null && !heartbeatInterval.isNegative(), "heartbeatInterval", "must be >= 0 (0s turns it off)", heartbeatInterval);
            require(requestTimeout != null && !requestTimeout.isNegative() && !requestTimeout.isZero(), "requestTimeout", "must be > 0", requestTimeout);
            require(maxPendingRequests > 0, "maxPendingRequests", "must be > 0", maxPendingRequests);
            require(tlsCert != null, "tlsCert", "must not be null", null);
            require(tlsKey != null, "tlsKey", "must not be null", null);
            require(tlsTrust != null, "tlsTrust", "must not be null", null);
            require(connectTimeout != null && connectTimeout.toMillis() >= 1, "connectTimeout", "must be at least 1ms", connectTimeout);
            require(reconnectBase != null && reconnectBase.toMillis() >= 1, "reconnectBase", "must be at least 1ms", reconnectBase);
            require(reconnectMaxDelay != null && reconnectMaxDelay.compareTo(reconnectBase) >= 0, "reconnectMaxDelay", "must be at least reconnectBase (" + format(reconnectBase) + ")", reconnectMaxDelay);
            require(reconnectAttempts >= 0, "reconnectAttempts", "must be >= 0 (0: no limit)", reconnectAttempts);
            require(reconnectJitter >= 0 && reconnectJitter <= 1, "reconnectJitter", "must be between 0 and 1", reconnectJitter);
            require(offlineQueueSize >= 0, "offlineQueueSize", "must be >= 0", offlineQueueSize);
            if (tlsCert.isEmpty() != tlsKey.isEmpty()) {
                String missing = tlsCert.isEmpty() ? "tlsCert" : "tlsKey";
                throw new ConfigException(missing, missing + " must be set together with "
                        + (tlsCert.isEmpty() ? "tlsKey" : "tlsCert") + " (PEM files of one certificate and its key)");
            }
            require(codec != null, "codec", "must not be null", null);
            try {
                Codecs.byName(codec);
            } catch (IllegalArgumentException e) {
                throw new ConfigException("codec", "codec: " + e.getMessage());
            }
            return new PagumaConfig(this);
        }

        private static void require(boolean ok, String key, String rule, Object value) {
            if (!ok) throw new ConfigException(key, key + " " + rule + ", got " + format(value));
        }

        /** Durations as they are written in config files ({@code 500ms}), not as {@code PT0.5S}. */
        private static Object format(Object value) {
            if (!(value instanceof Duration)) return value;
            Duration d = (Duration) value;
            return d.toMillis() % 1000 == 0 ? d.toSeconds() + "s" : d.toMillis() + "ms";
        }
    }
}
