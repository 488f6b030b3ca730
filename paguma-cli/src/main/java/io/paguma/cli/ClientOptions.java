package io.paguma.cli;

import io.paguma.PagumaConfig;
import picocli.CommandLine.Option;

import java.nio.file.Path;

/**
 * The options every client command shares. Values not given come from the same configuration the
 * demo server reads ({@code application.json/yaml}, {@code PAGUMA_*}, {@code -Dpaguma.*}), so
 * {@code PAGUMA_CODEC=paguma} set for both finds the demo without any flag.
 */
final class ClientOptions {
    @Option(names = "--host", paramLabel = "HOST", description = "The server's host (default: the config's host; 0.0.0.0 means this machine).")
    String host;

    @Option(names = "--port", paramLabel = "PORT", description = "The server's port (default: the config's port, 8999).")
    Integer port;

    @Option(names = "--codec", paramLabel = "CODEC", description = "The wire format, as the server's (default: the config's codec, ltv-le).")
    String codec;

    @Option(names = "--config", paramLabel = "FILE", description = "A JSON or YAML config file (TLS and other client settings, see docs/CONFIG.md).")
    Path config;

    PagumaConfig.Builder configBuilder() {
        PagumaConfig base = config != null ? PagumaConfig.load(config) : PagumaConfig.load();
        PagumaConfig.Builder b = base.toBuilder().workerPoolSize(0);
        if (host != null) b.host(host);
        if (port != null) b.port(port);
        if (codec != null) b.codec(codec);
        return b;
    }

    /** Client log lines at INFO would mix with the command's output: only warnings and errors show. */
    static void quietClientLog() {
        System.setProperty("org.slf4j.simpleLogger.log.io.paguma.Client", "warn");
    }
}
