package io.paguma.bench;

import io.paguma.PagumaConfig;
import io.paguma.cluster.Daemon;
import io.paguma.cluster.Executor;
import io.paguma.cluster.InProcessRegistry;
import io.paguma.cluster.InProcessSharedData;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.channels.FileChannel;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Comparator;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * {@code ./paguma bench files}: file transfer between two executors (SPEC X8) against a plain copy
 * of the same file over one raw loopback socket, {@code sendfile}-style ({@code FileChannel.transferTo}
 * to the socket, {@code transferFrom} into the file on the other side), same file, same disk, same
 * JVM, alternating, medians of the rounds (issue "Cluster II", item 5; target: Paguma ≥ 0.8×).
 */
@Command(name = "files", mixinStandardHelpOptions = true,
        description = {"File transfer between two executors against a raw sendfile copy on loopback (target >= 0.8x)."})
final class FilesBenchCommand implements Callable<Integer> {
    @Option(names = "--size-mb", defaultValue = "512", description = "file size in MiB (default ${DEFAULT-VALUE})") int sizeMb;
    @Option(names = "--rounds", defaultValue = "3", description = "rounds of both (default ${DEFAULT-VALUE})") int rounds;
    @Option(names = "--dir", description = "where the files go (default: a temporary directory)") Path dir;
    @Option(names = "--tls", description = "both sides under TLS (a self-signed certificate made with openssl for the run): executor links with executor.tls;"
            + " two raw copies: a JDK SSLSocket each side, and raw Netty (SslHandler, ChunkedNioFile) on the same TLS implementation as Paguma's; the ratio is against the faster") boolean tls;
    @Option(names = "--digest", defaultValue = "crc32c", description = "crc32c (the default) or sha256: executor.digest, the whole-file check both executors compute") String digest;
    @Option(names = "--tls-provider", defaultValue = "auto", description = "auto (OpenSSL when netty-tcnative is here, as in ./paguma), jdk or openssl: tlsProvider of Paguma's links and of the raw Netty copy") String tlsProvider;

    private Path cert;
    private Path key;
    private io.netty.handler.ssl.SslProvider provider;
    private double[] rawJdk;
    private double[] rawNetty;

    @Override
    public Integer call() throws Exception {
        Path root = dir != null ? Files.createDirectories(dir) : Files.createTempDirectory("paguma-bench-files");
        Path ownerDir = Files.createDirectories(root.resolve("owner"));
        Path requesterDir = Files.createDirectories(root.resolve("requester"));
        long size = (long) sizeMb << 20;
        Path src = ownerDir.resolve("big.bin");
        write(src, size);
        InProcessRegistry registry = new InProcessRegistry();
        var data = InProcessSharedData.create("bench-files");
        PagumaConfig.Builder cb = PagumaConfig.builder().port(0).codec("paguma").ioThreads(1).workerPoolSize(1);
        if (tls) {
            cert = root.resolve("cert.pem");
            key = root.resolve("key.pem");
            Process p = new ProcessBuilder("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                    "-keyout", key.toString(), "-out", cert.toString(), "-days", "1", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1").redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes());
            if (p.waitFor() != 0) throw new IllegalStateException("openssl could not make a certificate: " + out);
            cb.tlsCert(cert.toString()).tlsKey(key.toString()).tlsTrust(cert.toString())
                    .tlsProvider(PagumaConfig.TlsProvider.valueOf(tlsProvider.toUpperCase(Locale.ROOT)))
                    .set(new io.paguma.cluster.ExecutorConfig(), io.paguma.cluster.ExecutorConfig.TLS, true);
        }
        cb.set(new io.paguma.cluster.ExecutorConfig(), io.paguma.cluster.ExecutorConfig.DIGEST,
                io.paguma.cluster.ExecutorConfig.Digest.valueOf(digest.toUpperCase(Locale.ROOT)));
        PagumaConfig cfg = cb.build();
        // What tlsProvider picks (core's rule): auto is OpenSSL when it loads, as Netty's own default.
        this.provider = switch (cfg.tlsProvider()) {
            case JDK -> io.netty.handler.ssl.SslProvider.JDK;
            case OPENSSL -> io.netty.handler.ssl.SslProvider.OPENSSL;
            case AUTO -> io.netty.handler.ssl.OpenSsl.isAvailable() ? io.netty.handler.ssl.SslProvider.OPENSSL : io.netty.handler.ssl.SslProvider.JDK;
        };
        Executor owner = Executor.builder().shareDir(ownerDir).build();
        Executor requester = Executor.builder().shareDir(requesterDir).build();
        Daemon a = Daemon.builder().config(cfg).nodeId("owner").registry(registry).sharedData(data).gateway(false).component(owner).build().start();
        Daemon b = Daemon.builder().config(cfg).nodeId("requester").registry(registry).sharedData(data).gateway(false).component(requester).build().start();
        double[] paguma = new double[rounds];
        double[] raw = new double[rounds];
        rawJdk = new double[rounds];
        rawNetty = new double[rounds];
        try {
            // Warm-up: one of each.
            pagumaOnce(requester, requesterDir, size);
            rawCopy(src, requesterDir.resolve("raw.bin"), size, 0);
            for (int r = 0; r < rounds; r++) {
                boolean pagumaFirst = r % 2 == 0;
                if (pagumaFirst) paguma[r] = pagumaOnce(requester, requesterDir, size);
                raw[r] = rawCopy(src, requesterDir.resolve("raw.bin"), size, r);
                if (!pagumaFirst) paguma[r] = pagumaOnce(requester, requesterDir, size);
                if (tls) {
                    System.out.printf(Locale.ROOT, "round %d  paguma %8.1f MiB/s  raw JDK SSLSocket %8.1f MiB/s  raw Netty %s %8.1f MiB/s  ratio to the faster %.2f%n",
                            r + 1, paguma[r], rawJdk[r], provider, rawNetty[r], paguma[r] / raw[r]);
                } else {
                    System.out.printf(Locale.ROOT, "round %d  paguma %8.1f MiB/s  raw sendfile %8.1f MiB/s  ratio %.2f%n", r + 1,
                            paguma[r], raw[r], paguma[r] / raw[r]);
                }
            }
        } finally {
            b.stop();
            a.stop();
            registry.close();
            data.close();
            if (dir == null) deleteAll(root);
        }
        double[] ratios = new double[rounds];
        for (int i = 0; i < rounds; i++) ratios[i] = paguma[i] / raw[i];
        System.out.println();
        System.out.printf(Locale.ROOT, "files: %d MiB, one JVM, loopback, " + (tls ? "TLS (" + provider + ")" : "no TLS") + "; paguma: executor to executor (256 KiB chunks with CRC32C, whole-file " + digest + " both sides, .part renamed); raw: "
                + (tls ? "the faster of a JDK SSLSocket copy (256 KiB reads and writes) and a raw Netty copy (SslHandler on " + provider + ", ChunkedNioFile of 256 KiB)"
                : "FileChannel.transferTo/transferFrom over one socket") + "%n", sizeMb);
        if (tls) {
            System.out.printf(Locale.ROOT, "raw JDK SSLSocket %.1f MiB/s, raw Netty %s %.1f MiB/s%n", Comparison.median(rawJdk), provider, Comparison.median(rawNetty));
        }
        System.out.printf(Locale.ROOT, "paguma %.1f MiB/s, raw %.1f MiB/s, ratio %.2f %s  target >= 0.8: %s%n",
                Comparison.median(paguma), Comparison.median(raw), Comparison.median(ratios), java.util.Arrays.toString(Comparison.round2(ratios)),
                Comparison.median(ratios) >= 0.8 ? "met" : "missed");
        return 0;
    }

    private static double pagumaOnce(Executor requester, Path requesterDir, long size) throws Exception {
        Files.deleteIfExists(requesterDir.resolve("big.bin"));
        long t0 = System.nanoTime();
        Path got = requester.requestFile("owner", "big.bin").get(10, TimeUnit.MINUTES);
        double s = (System.nanoTime() - t0) / 1e9;
        if (Files.size(got) != size) throw new IllegalStateException("got " + Files.size(got) + " bytes, not " + size);
        return size / (1024.0 * 1024) / s;
    }

    private static double rawOnce(Path src, Path dst, long size) throws Exception {
        Files.deleteIfExists(dst);
        try (ServerSocketChannel server = ServerSocketChannel.open().bind(new InetSocketAddress("127.0.0.1", 0))) {
            int port = ((InetSocketAddress) server.getLocalAddress()).getPort();
            long t0 = System.nanoTime();
            CompletableFuture<Void> sender = CompletableFuture.runAsync(() -> {
                try (SocketChannel s = server.accept(); FileChannel in = FileChannel.open(src, StandardOpenOption.READ)) {
                    long pos = 0;
                    while (pos < size) pos += in.transferTo(pos, size - pos, s);
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            });
            try (SocketChannel c = SocketChannel.open(new InetSocketAddress("127.0.0.1", port));
                 FileChannel out = FileChannel.open(dst, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                long pos = 0;
                while (pos < size) {
                    long n = out.transferFrom(c, pos, size - pos);
                    if (n <= 0) throw new IllegalStateException("the raw copy ended at " + pos);
                    pos += n;
                }
                out.force(false);
            }
            sender.get(10, TimeUnit.MINUTES);
            double s = (System.nanoTime() - t0) / 1e9;
            return size / (1024.0 * 1024) / s;
        }
    }

    /** The raw copy of round {@code r}: sendfile, or under TLS the faster of the JDK and raw Netty copies (both recorded). */
    private double rawCopy(Path src, Path dst, long size, int r) throws Exception {
        if (!tls) return rawOnce(src, dst, size);
        rawJdk[r] = rawTlsOnce(src, dst, size);
        rawNetty[r] = rawNettyTlsOnce(src, dst, size);
        return Math.max(rawJdk[r], rawNetty[r]);
    }

    /**
     * The copy in raw Netty under TLS, as a Netty user writes it: the sender's pipeline an
     * {@code SslHandler} and a {@code ChunkedWriteHandler} writing a {@code ChunkedNioFile} in
     * 256 KiB chunks, the receiver's an {@code SslHandler} and a handler writing each buffer to the
     * file; on Paguma's TLS implementation, one event loop each side.
     */
    private double rawNettyTlsOnce(Path src, Path dst, long size) throws Exception {
        Files.deleteIfExists(dst);
        io.netty.handler.ssl.SslContext serverCtx = io.netty.handler.ssl.SslContextBuilder.forServer(cert.toFile(), key.toFile())
                .sslProvider(provider).build();
        io.netty.handler.ssl.SslContext clientCtx = io.netty.handler.ssl.SslContextBuilder.forClient().trustManager(cert.toFile())
                .sslProvider(provider).build();
        io.netty.channel.EventLoopGroup group = new io.netty.channel.MultiThreadIoEventLoopGroup(2, io.netty.channel.nio.NioIoHandler.newFactory());
        CompletableFuture<Void> received = new CompletableFuture<>();
        try (FileChannel out = FileChannel.open(dst, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
            io.netty.channel.Channel server = new io.netty.bootstrap.ServerBootstrap().group(group)
                    .channel(io.netty.channel.socket.nio.NioServerSocketChannel.class)
                    .childHandler(new io.netty.channel.ChannelInitializer<io.netty.channel.socket.SocketChannel>() {
                        @Override
                        protected void initChannel(io.netty.channel.socket.SocketChannel ch) {
                            ch.pipeline().addLast(serverCtx.newHandler(ch.alloc()), new io.netty.handler.stream.ChunkedWriteHandler(),
                                    new io.netty.channel.ChannelInboundHandlerAdapter() {
                                        @Override
                                        public void userEventTriggered(io.netty.channel.ChannelHandlerContext ctx, Object evt) throws Exception {
                                            if (evt instanceof io.netty.handler.ssl.SslHandshakeCompletionEvent e && e.isSuccess()) {
                                                ctx.writeAndFlush(new io.netty.handler.stream.ChunkedNioFile(FileChannel.open(src, StandardOpenOption.READ), 256 * 1024));
                                            }
                                            ctx.fireUserEventTriggered(evt);
                                        }
                                    });
                        }
                    }).bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
            long t0 = System.nanoTime();
            io.netty.channel.Channel client = new io.netty.bootstrap.Bootstrap().group(group)
                    .channel(io.netty.channel.socket.nio.NioSocketChannel.class)
                    .handler(new io.netty.channel.ChannelInitializer<io.netty.channel.socket.SocketChannel>() {
                        @Override
                        protected void initChannel(io.netty.channel.socket.SocketChannel ch) {
                            ch.pipeline().addLast(clientCtx.newHandler(ch.alloc(), "127.0.0.1", ((InetSocketAddress) server.localAddress()).getPort()),
                                    new io.netty.channel.ChannelInboundHandlerAdapter() {
                                        long pos;

                                        @Override
                                        public void channelRead(io.netty.channel.ChannelHandlerContext ctx, Object msg) throws Exception {
                                            io.netty.buffer.ByteBuf b = (io.netty.buffer.ByteBuf) msg;
                                            try {
                                                while (b.isReadable()) pos += b.readBytes(out, pos, b.readableBytes());
                                            } finally {
                                                b.release();
                                            }
                                            if (pos == size) {
                                                out.force(false);
                                                received.complete(null);
                                                ctx.close();
                                            }
                                        }

                                        @Override
                                        public void exceptionCaught(io.netty.channel.ChannelHandlerContext ctx, Throwable cause) {
                                            received.completeExceptionally(cause);
                                            ctx.close();
                                        }
                                    });
                        }
                    }).connect(server.localAddress()).sync().channel();
            received.get(10, TimeUnit.MINUTES);
            double mibs = size / (1024.0 * 1024) / ((System.nanoTime() - t0) / 1e9);
            client.close().sync();
            server.close().sync();
            return mibs;
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        }
    }

    /** The same copy over TLS: a JDK SSLSocket each side (no sendfile under TLS), the file read and written in 256 KiB blocks. */
    private double rawTlsOnce(Path src, Path dst, long size) throws Exception {
        Files.deleteIfExists(dst);
        javax.net.ssl.SSLContext server = ((io.netty.handler.ssl.JdkSslContext) io.netty.handler.ssl.SslContextBuilder
                .forServer(cert.toFile(), key.toFile()).sslProvider(io.netty.handler.ssl.SslProvider.JDK).build()).context();
        javax.net.ssl.SSLContext client = ((io.netty.handler.ssl.JdkSslContext) io.netty.handler.ssl.SslContextBuilder
                .forClient().trustManager(cert.toFile()).sslProvider(io.netty.handler.ssl.SslProvider.JDK).build()).context();
        try (java.net.ServerSocket ss = server.getServerSocketFactory().createServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            long t0 = System.nanoTime();
            CompletableFuture<Void> sender = CompletableFuture.runAsync(() -> {
                try (java.net.Socket s = ss.accept(); FileChannel in = FileChannel.open(src, StandardOpenOption.READ)) {
                    OutputStream out = s.getOutputStream();
                    java.nio.ByteBuffer buf = java.nio.ByteBuffer.allocate(256 * 1024);
                    while (in.read(buf.clear()) > 0) out.write(buf.array(), 0, buf.position());
                    out.flush();
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            });
            try (java.net.Socket c = client.getSocketFactory().createSocket("127.0.0.1", ss.getLocalPort());
                 FileChannel out = FileChannel.open(dst, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                var in = c.getInputStream();
                byte[] buf = new byte[256 * 1024];
                long pos = 0;
                while (pos < size) {
                    int n = in.read(buf);
                    if (n < 0) throw new IllegalStateException("the raw TLS copy ended at " + pos);
                    out.write(java.nio.ByteBuffer.wrap(buf, 0, n));
                    pos += n;
                }
                out.force(false);
            }
            sender.get(10, TimeUnit.MINUTES);
            return size / (1024.0 * 1024) / ((System.nanoTime() - t0) / 1e9);
        }
    }

    private static void write(Path file, long size) throws IOException {
        Random r = new Random(1);
        byte[] block = new byte[1 << 20];
        try (OutputStream out = Files.newOutputStream(file)) {
            for (long left = size; left > 0; left -= block.length) {
                r.nextBytes(block);
                out.write(block, 0, (int) Math.min(block.length, left));
            }
        }
    }

    private static void deleteAll(Path root) throws IOException {
        try (var s = Files.walk(root)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        }
    }
}
