package io.paguma.internal;

import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.paguma.ConfigException;
import io.paguma.PagumaConfig;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;

/** Builds the TLS context of a server or client from its config (B3), once, at start. */
public final class Tls {
    private Tls() {
    }

    /** The server's context, or null when {@code tls} is off. */
    public static SslContext forServer(PagumaConfig c) {
        if (!c.tls()) return null;
        if (c.tlsCert().isEmpty()) {
            throw new ConfigException("tlsCert", "tls is on but tlsCert is not set: a TLS server needs tlsCert and tlsKey (PEM files)");
        }
        try {
            SslContextBuilder b = SslContextBuilder.forServer(file("tlsCert", c.tlsCert()), file("tlsKey", c.tlsKey()));
            if (!c.tlsTrust().isEmpty()) {
                b.trustManager(file("tlsTrust", c.tlsTrust())).clientAuth(ClientAuth.REQUIRE);
            }
            return b.sslProvider(provider(c)).build();
        } catch (ConfigException e) {
            throw e;
        } catch (Exception e) {
            throw new ConfigException("tlsCert", "cannot load TLS certificate " + c.tlsCert() + " / key " + c.tlsKey()
                    + ": " + e.getMessage() + " (PEM certificate chain and unencrypted PKCS#8 key expected)");
        }
    }

    /** The client's context, or null when {@code tls} is off. Host names are verified. */
    public static SslContext forClient(PagumaConfig c) {
        if (!c.tls()) return null;
        try {
            SslContextBuilder b = SslContextBuilder.forClient().endpointIdentificationAlgorithm("HTTPS");
            if (!c.tlsTrust().isEmpty()) b.trustManager(file("tlsTrust", c.tlsTrust()));
            if (!c.tlsCert().isEmpty()) b.keyManager(file("tlsCert", c.tlsCert()), file("tlsKey", c.tlsKey()));
            return b.sslProvider(provider(c)).build();
        } catch (ConfigException e) {
            throw e;
        } catch (Exception e) {
            throw new ConfigException("tlsTrust", "cannot set up TLS: " + e.getMessage());
        }
    }

    /**
     * The implementation {@code tlsProvider} names: {@code auto} is OpenSSL (BoringSSL through
     * netty-tcnative) when it loads here, as Netty's own default, else the JDK's.
     */
    public static SslProvider provider(PagumaConfig c) {
        switch (c.tlsProvider()) {
            case JDK:
                return SslProvider.JDK;
            case OPENSSL:
                if (!OpenSsl.isAvailable()) {
                    throw new ConfigException("tlsProvider", "tlsProvider is openssl but OpenSSL is not available: put io.netty:netty-tcnative-boringssl-static"
                            + " on the class path, or use auto or jdk (" + OpenSsl.unavailabilityCause() + ")");
                }
                return SslProvider.OPENSSL;
            default:
                return OpenSsl.isAvailable() ? SslProvider.OPENSSL : SslProvider.JDK;
        }
    }

    private static File file(String key, String path) {
        Path p = Path.of(path);
        if (!Files.isReadable(p)) throw new ConfigException(key, key + ": cannot read file " + p.toAbsolutePath());
        return p.toFile();
    }
}
