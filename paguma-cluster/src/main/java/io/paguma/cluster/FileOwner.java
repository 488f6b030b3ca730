package io.paguma.cluster;

import io.paguma.Connection;
import io.paguma.Message;
import io.paguma.Request;
import io.paguma.cluster.internal.ExecProtocol;
import io.paguma.cluster.internal.FileDigest;
import io.paguma.cluster.internal.SharedDir;
import io.paguma.cluster.internal.Warnings;
import io.paguma.cluster.internal.Wire;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.zip.CRC32C;

/**
 * The owner's side of file transfers (seed 002 §3.1.2, file request steps 2–3): the file links
 * accepted on the file port ({@code FileExeInExe}), each told its id and a token; a
 * {@code FILE_REQUEST} on a control link names one of them and the transfer's id, and the file
 * is streamed on it in checksummed chunks from a sender thread, never more than the link's write
 * buffer ({@code executor.fileWindow}) ahead of what the requester has read.
 */
final class FileOwner {
    private static final Logger log = LoggerFactory.getLogger(FileOwner.class);

    /** A file link accepted on the file port, and what is being sent on it. */
    private static final class FileLink {
        final Connection connection;
        final long token;
        final ConcurrentHashMap<Long, Sending> sendings = new ConcurrentHashMap<>();
        /** Set once a FILE_REQUEST named this link with its token. */
        volatile boolean claimed;
        /** Bytes written straight to the channel (zero-copy) and not yet sent; guarded by itself. */
        private long direct;

        /** Waits until fewer than {@code window} bytes written straight to the channel wait; false if {@code limit} passed first. */
        boolean awaitRoom(long window, long limitNanos) throws InterruptedException {
            long deadline = System.nanoTime() + limitNanos;
            synchronized (this) {
                while (direct >= window && connection.isOpen()) {
                    long left = deadline - System.nanoTime();
                    if (left <= 0) return false;
                    java.util.concurrent.TimeUnit.NANOSECONDS.timedWait(this, left);
                }
                return true;
            }
        }

        synchronized void directAdded(long n) {
            direct += n;
        }

        synchronized void directSent(long n) {
            direct -= n;
            notifyAll();
        }

        FileLink(Connection connection, long token) {
            this.connection = connection;
            this.token = token;
        }
    }

    private final String executorId;
    private final SharedDir dir;
    private final int chunkSize;
    private final Duration noProgress;
    private final Warnings warnings;
    private final SecureRandom random = new SecureRandom();
    private final ConcurrentHashMap<Long, FileLink> links = new ConcurrentHashMap<>();
    private final ThreadPoolExecutor senders;
    private volatile boolean stopping;
    private final java.util.concurrent.ScheduledExecutorService scheduler;
    private final Duration claimWithin;
    private final int maxPerLink;
    private final int window;
    private final boolean zeroCopy;
    /** Chunks sent zero-copy, and read into memory, since start (for tests and the admin page). */
    final java.util.concurrent.atomic.AtomicLong zeroCopyChunks = new java.util.concurrent.atomic.AtomicLong();
    final java.util.concurrent.atomic.AtomicLong copiedChunks = new java.util.concurrent.atomic.AtomicLong();

    FileOwner(String executorId, SharedDir dir, int chunkSize, Duration noProgress, int maxTransfers, Warnings warnings,
              java.util.concurrent.ScheduledExecutorService scheduler, Duration claimWithin, int window, boolean zeroCopy) {
        this.executorId = executorId;
        this.window = window;
        this.zeroCopy = zeroCopy;
        this.scheduler = scheduler;
        this.claimWithin = claimWithin;
        // One peer holds at most half the senders (active or waiting): one that stops reading cannot starve the others.
        this.maxPerLink = Math.max(1, maxTransfers / 2);
        this.dir = dir;
        this.chunkSize = chunkSize;
        this.noProgress = noProgress;
        this.warnings = warnings;
        AtomicInteger n = new AtomicInteger();
        this.senders = new ThreadPoolExecutor(maxTransfers, maxTransfers, 30, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), r -> {
            Thread t = new Thread(r, "paguma-" + executorId + "-file-send-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        senders.allowCoreThreadTimeOut(true);
    }

    /** A file link opened: it is told its id on this side, and a token a request must quote with it. */
    void opened(Connection c) {
        long token = random.nextLong();
        FileLink link = new FileLink(c, token);
        links.put(c.id(), link);
        c.send(new Message(ExecProtocol.FILE_HELLO, new Wire.Writer(16).i64(c.id()).i64(token).toBytes()));
        // A file link no request names soon (a stranger's, or one whose control link never came) only holds a slot.
        scheduler.schedule(() -> {
            if (!link.claimed && c.isOpen()) {
                warnings.warn("unclaimed file link", "executor " + executorId + ": " + c + ": no file request named this file link within "
                        + claimWithin.toMillis() + " ms: closed", null);
                c.close();
            }
        }, claimWithin.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** A file link closed: what was being sent on it stops. */
    void closed(Connection c) {
        FileLink link = links.remove(c.id());
        if (link != null) link.sendings.values().forEach(s -> s.cancelled = true);
    }

    /** FILE_REQUEST, on a control link from {@code peer}. */
    void request(Request r, String peer) {
        long connId, token, transferId, offset;
        String name;
        int digest;
        try {
            Wire.Reader in = new Wire.Reader(r.data());
            connId = in.i64("file connection id");
            token = in.i64("token");
            transferId = in.i64("transfer id");
            offset = in.i64("offset");
            name = in.str("name");
            digest = in.more() ? in.u8("digest") : FileDigest.SHA256;
            in.end();
            FileDigest.of(digest);
        } catch (IllegalArgumentException e) {
            r.fail(ExecProtocol.REFUSED, "malformed file request: " + e.getMessage());
            return;
        }
        if (stopping) {
            r.fail(ExecProtocol.STOPPING, "executor " + executorId + " is stopping");
            return;
        }
        FileLink link = links.get(connId);
        if (link == null || link.token != token || !link.connection.isOpen()) {
            r.fail(ExecProtocol.UNKNOWN_LINK, "no open file link " + connId + " with that token on executor " + executorId);
            return;
        }
        Path file;
        long size;
        try {
            file = dir.existingFile(name);
            size = java.nio.file.Files.size(file);
        } catch (SharedDir.Refused e) {
            warnings.warn("file refused " + peer, "executor " + executorId + ": refused " + peer + "'s request for '"
                    + name + "': " + e.getMessage(), null);
            r.fail(e.missing() ? ExecProtocol.NOT_FOUND : ExecProtocol.REFUSED, e.getMessage());
            return;
        } catch (IOException e) {
            r.fail(ExecProtocol.NOT_FOUND, "'" + name + "' cannot be read: " + e);
            return;
        }
        link.claimed = true;
        if (link.sendings.size() >= maxPerLink) {
            r.fail(ExecProtocol.BUSY, "executor " + executorId + " sends " + link.sendings.size() + " files on that link already, its most;"
                    + " ask again when one has ended");
            return;
        }
        if (offset < 0 || offset > size) {
            r.fail(ExecProtocol.BAD_OFFSET, "offset " + offset + " is outside '" + name + "' (" + size + " bytes)");
            return;
        }
        Sending s = new Sending(link, transferId, name, file, size, offset, peer, digest);
        if (link.sendings.putIfAbsent(transferId, s) != null) {
            r.fail(ExecProtocol.REFUSED, "transfer " + transferId + " is already under way on that link");
            return;
        }
        r.reply(ExecProtocol.FILE_REQUEST, new Wire.Writer(8).i64(size).toBytes());
        try {
            senders.execute(s);
        } catch (RejectedExecutionException stopped) {
            link.sendings.remove(transferId);
            fail(link, transferId, "executor " + executorId + " is stopping");
        }
    }

    /** FILE_CANCEL: the requester gave up on a transfer. */
    void cancel(long connId, long transferId) {
        FileLink link = links.get(connId);
        Sending s = link == null ? null : link.sendings.get(transferId);
        if (s != null) s.cancelled = true;
    }

    void stop() {
        stopping = true;
        links.values().forEach(l -> l.sendings.values().forEach(s -> s.cancelled = true));
        senders.shutdownNow();
    }

    private static void fail(FileLink link, long transferId, String why) {
        link.connection.send(new Message(ExecProtocol.FAIL, new Wire.Writer(64).i64(transferId).str(clip(why)).toBytes()));
    }

    private static String clip(String s) {
        return s.length() > 1000 ? s.substring(0, 1000) : s;
    }

    /** One file being sent: on a sender thread, from its offset to its end, then END with the whole file's digest (the one the request named). */
    private final class Sending implements Runnable {
        final FileLink link;
        final long transferId;
        final String name;
        final Path file;
        final long size;
        final long offset;
        final String peer;
        final int digestKind;
        volatile boolean cancelled;

        Sending(FileLink link, long transferId, String name, Path file, long size, long offset, String peer, int digestKind) {
            this.link = link;
            this.transferId = transferId;
            this.name = name;
            this.file = file;
            this.size = size;
            this.offset = offset;
            this.peer = peer;
            this.digestKind = digestKind;
        }

        @Override
        public void run() {
            Connection c = link.connection;
            try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
                FileDigest digest = FileDigest.of(digestKind);
                if (offset > 0) hashPrefix(ch, digest);
                sendChunks(c, ch, digest, zeroCopy(c));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (java.io.InterruptedIOException cancelled) {
                // given up on while its prefix was hashed
            } catch (IOException e) {
                log.warn("executor {}: reading '{}' for {} failed: {}", executorId, name, peer, e.toString());
                fail(link, transferId, "reading '" + name + "' failed: " + e);
            } finally {
                link.sendings.remove(transferId, this);
            }
        }

        /**
         * Each chunk goes from the file to the link's channel without passing through a message
         * or the heap, as a frame header in the {@code paguma} format (docs/PROTOCOL.md) written
         * here and the chunk's data: zero-copy, its checksums computed on the file mapped into
         * memory and its data a {@link io.netty.channel.FileRegion} ({@code sendfile}); otherwise
         * (TLS must encrypt the bytes, or executor.zeroCopy is false) read once into a pooled
         * direct buffer, checksummed there and handed as it is to the pipeline (OpenSSL encrypts
         * straight from it). Header and data are written in one task of the link's event loop, so
         * they stay together; never more than the window written and not yet sent.
         */
        private void sendChunks(Connection c, FileChannel ch, FileDigest digest, boolean zeroCopy) throws IOException, InterruptedException {
            io.netty.channel.Channel channel = c.channel();
            long pos = offset;
            while (pos < size) {
                if (cancelled || !c.isOpen()) return;
                int n = (int) Math.min(chunkSize, size - pos);
                if (ch.size() < pos + n) {
                    fail(link, transferId, "'" + name + "' became shorter while it was sent (" + size + " bytes at the start)");
                    return;
                }
                CRC32C crc = new CRC32C();
                io.netty.buffer.ByteBuf data = null;
                boolean handedOver = false;
                try {
                    if (zeroCopy) {
                        java.nio.MappedByteBuffer mapped = ch.map(FileChannel.MapMode.READ_ONLY, pos, n);
                        crc.update(mapped.duplicate());
                        digest.update(mapped);
                    } else {
                        // Read while the window may still be full: the chunk is ready when room comes.
                        data = channel.alloc().directBuffer(n, n);
                        while (data.isWritable()) {
                            if (data.writeBytes(ch, pos + data.writerIndex(), data.writableBytes()) < 0) {
                                fail(link, transferId, "'" + name + "' became shorter while it was sent (" + size + " bytes at the start)");
                                return;
                            }
                        }
                        crc.update(data.nioBuffer());
                        digest.update(data.nioBuffer());
                    }
                    if (!link.awaitRoom(window, noProgress.toNanos())) {
                        warnings.warn("file stalled " + peer, "executor " + executorId + ": " + peer + " read nothing of '" + name
                                + "' for " + noProgress.toMillis() + " ms (executor.noProgressTimeout): sending stopped before byte " + pos, null);
                        fail(link, transferId, "the requester read nothing for " + noProgress.toMillis() + " ms");
                        return;
                    }
                    io.netty.buffer.ByteBuf head = channel.alloc().buffer(PAGUMA_HEADER + ExecProtocol.CHUNK_HEADER);
                    head.writeInt(ExecProtocol.CHUNK_HEADER + n).writeByte(0xb7).writeByte(0).writeShort(0)
                            .writeInt(ExecProtocol.CHUNK).writeInt(0)
                            .writeLong(transferId).writeLong(pos).writeInt((int) crc.getValue());
                    handedOver = true;
                    if (zeroCopy) {
                        writeDirect(channel, head, new io.netty.channel.DefaultFileRegion(file.toFile(), pos, n), n);
                        zeroCopyChunks.incrementAndGet();
                    } else {
                        writeDirect(channel, head, data, n);
                        copiedChunks.incrementAndGet();
                    }
                } finally {
                    // Stopped (interrupted while waiting for room), failed or refused: the chunk in hand goes back to the pool.
                    if (!handedOver && data != null) data.release();
                }
                pos += n;
            }
            if (ch.size() != size) {
                fail(link, transferId, "'" + name + "' changed size while it was sent (" + size + " -> " + ch.size() + " bytes)");
                return;
            }
            byte[] end = new Wire.Writer(56).i64(transferId).i64(size).bytes(digest.finish()).toBytes();
            io.netty.buffer.ByteBuf frame = channel.alloc().buffer(PAGUMA_HEADER + end.length);
            frame.writeInt(end.length).writeByte(0xb7).writeByte(0).writeShort(0).writeInt(ExecProtocol.END).writeInt(0).writeBytes(end);
            writeDirect(channel, frame, null, 0);
        }

        /** Writes {@code head} and then {@code data} (a FileRegion or a ByteBuf; null: head alone) on the channel's loop, counted in the window until sent. */
        private void writeDirect(io.netty.channel.Channel channel, io.netty.buffer.ByteBuf head, io.netty.util.ReferenceCounted region, long n) {
            link.directAdded(n);
            try {
                channel.eventLoop().execute(() -> {
                    if (region == null) {
                        channel.writeAndFlush(head);
                        return;
                    }
                    channel.write(head);
                    channel.writeAndFlush(region).addListener(f -> link.directSent(n));
                });
            } catch (java.util.concurrent.RejectedExecutionException ended) {
                head.release();
                if (region != null) region.release();
                link.directSent(n);
            }
        }

        private void hashPrefix(FileChannel ch, FileDigest digest) throws IOException {
            ByteBuffer buf = ByteBuffer.allocate(Math.max(chunkSize, 64 * 1024));
            long pos = 0;
            while (pos < offset) {
                if (cancelled || !link.connection.isOpen()) throw new java.io.InterruptedIOException("cancelled");
                buf.clear().limit((int) Math.min(buf.capacity(), offset - pos));
                int k = ch.read(buf, pos);
                if (k < 0) throw new IOException("'" + name + "' became shorter than the resumed offset " + offset);
                digest.update(buf.array(), 0, k);
                pos += k;
            }
        }
    }

    /** The {@code paguma} frame header without a time limit: len, marker, flags, status, id, seq. */
    private static final int PAGUMA_HEADER = 16;

    /**
     * Whether chunks go to this link zero-copy: allowed (executor.zeroCopy), and nothing in the
     * link's pipeline would have to see the bytes (TLS encrypts them: then they are read into
     * memory and sent as messages).
     */
    private boolean zeroCopy(Connection c) {
        io.netty.channel.Channel ch = c.channel();
        return zeroCopy && ch != null && ch.pipeline().get(io.netty.handler.ssl.SslHandler.class) == null
                && !ch.getClass().getSimpleName().startsWith("IoUring");
    }

    static void putLong(byte[] b, int at, long v) {
        Wire.putInt(b, at, (int) (v >>> 32));
        Wire.putInt(b, at + 4, (int) v);
    }
}
