package io.paguma.cluster;

import io.paguma.Message;
import io.paguma.RemoteException;
import io.paguma.cluster.internal.ExecProtocol;
import io.paguma.cluster.internal.FileDigest;
import io.paguma.cluster.internal.SharedDir;
import io.paguma.cluster.internal.Wire;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.zip.CRC32C;

/**
 * The requester's side of one file transfer (seed 002 §3.1.2, file request steps 1 and 4): asks
 * the owner over the control link, naming its file link's id there and the transfer's id (the
 * callback id); checks every chunk's CRC32C and offset on the file link's IO thread; writes them
 * to {@code <name>.part} on a writer thread, in order, hashing as it goes; at the end compares
 * size and the whole-file digest ({@code executor.digest}: CRC32C or SHA-256) and renames the part to the name. A broken file link, a damaged chunk or an
 * owner that forgot the link: asked again from the last good offset on a new link. A failure
 * (refused, no such file, the owner failed, no progress, the deadline) deletes the part.
 */
final class FileFetch {
    private static final Object END = new Object();
    private static final Object ABORT = new Object();

    /** A chunk waiting for the disk, and the link whose window it holds. */
    private record Chunk(Executor.PeerLink link, byte[] payload) {
    }

    private final Executor exe;
    final String peer;
    final String name;
    /** The id of the current attempt (each attempt has its own, so nothing of an earlier one is mistaken for it). Guarded by this. */
    private long transferId;
    private final TransferListener listener;
    final CompletableFuture<Path> result = new CompletableFuture<>();
    private final long startNanos = System.nanoTime();
    private final long deadlineNanos;
    private final long noProgressNanos;
    private final ConcurrentLinkedQueue<Object> queue = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean writing = new AtomicBoolean();

    // Guarded by this.
    private Executor.PeerLink link;
    private long expected;
    private long size = -1;
    private boolean done;
    private int retries;
    private volatile boolean aborted;
    private boolean started;
    private ScheduledFuture<?> timer;
    private volatile long lastProgressNanos = System.nanoTime();

    // The writer's, one drain at a time.
    private Path target;
    private Path part;
    private FileChannel out;
    private boolean closedOut;
    private final int digestKind;
    private final FileDigest digest;
    private long written;
    private byte[] ownerDigest;

    FileFetch(Executor exe, String peer, String name, TransferListener listener) {
        this.exe = exe;
        this.peer = peer;
        this.name = name;
        this.listener = listener == null ? TransferListener.NONE : listener;
        this.deadlineNanos = startNanos + exe.transferDeadline().toNanos();
        this.noProgressNanos = exe.noProgressTimeout().toNanos();
        this.digestKind = exe.digestKind();
        this.digest = FileDigest.of(digestKind);
    }

    /** Makes the part file, starts the watch and the first attempt. */
    void start() {
        try {
            exe.sharedDir().checkTarget(name);   // nothing is made before the owner sends data
        } catch (SharedDir.Refused e) {
            finishFailed(e.getMessage(), null);
            return;
        }
        long every = Math.max(TimeUnit.MILLISECONDS.toNanos(10), Math.min(TimeUnit.SECONDS.toNanos(1), noProgressNanos / 4));
        synchronized (this) {
            timer = exe.scheduler().scheduleAtFixedRate(this::watch, every, every, TimeUnit.NANOSECONDS);
        }
        attempt();
    }

    private void attempt() {
        synchronized (this) {
            if (done) return;
        }
        exe.link(peer).whenComplete((l, e) -> {
            if (e != null) {
                retry("cannot reach executor " + peer + ": " + Executor.unwrap(e).getMessage());
                return;
            }
            long from;
            long id;
            synchronized (this) {
                if (done) return;
                link = l;
                from = expected;
                id = transferId = exe.attempt(this, transferId);
            }
            byte[] req = new Wire.Writer(64 + name.length()).i64(l.fileConnId).i64(l.token).i64(id).i64(from).str(name).u8(digestKind).toBytes();
            l.control.request(new Message(ExecProtocol.FILE_REQUEST, req), exe.requestTimeout()).whenComplete((reply, f) -> {
                if (f != null) {
                    Throwable t = Executor.unwrap(f);
                    if (t instanceof RemoteException re && re.status() != ExecProtocol.UNKNOWN_LINK && re.status() != ExecProtocol.STOPPING
                            && re.status() != ExecProtocol.BUSY) {
                        fail("executor " + peer + " refused it: " + re.remoteMessage(), null);
                    } else {
                        retry("the request failed: " + t.getMessage());
                    }
                    return;
                }
                long announced;
                try {
                    Wire.Reader in = new Wire.Reader(reply.data());
                    announced = in.i64("size");
                } catch (IllegalArgumentException bad) {
                    fail("executor " + peer + " answered the request with a malformed message", null);
                    return;
                }
                boolean first;
                synchronized (this) {
                    if (done) return;
                    if (size >= 0 && size != announced && started) {
                        failLocked("'" + name + "' changed on executor " + peer + " between attempts (" + size + " -> " + announced + " bytes)");
                        return;
                    }
                    if (size >= 0 && size != announced) {
                        failLocked("executor " + peer + " announced " + announced + " bytes but ended at " + size);
                        return;
                    }
                    first = !started;
                    started = true;
                    size = announced;
                }
                if (first) listener.started(announced, from);
            });
        });
    }

    /** Asks again from the last good offset after a pause, unless the deadline passed. */
    private void retry(String why) {
        long delayMs;
        long from;
        synchronized (this) {
            if (done) return;
            link = null;
            retries++;
            delayMs = Math.min(2000, 50L << Math.min(6, retries));
            from = expected;
        }
        listener.resumed(from, why);
        exe.scheduler().schedule(this::attempt, delayMs, TimeUnit.MILLISECONDS);
    }

    /** Every few moments: fails the transfer if it made no progress for noProgressTimeout or its deadline passed. */
    private void watch() {
        long now = System.nanoTime();
        if (now - deadlineNanos > 0) {
            fail("not done within " + text(exe.transferDeadline()) + " (executor.transferDeadline)", null);
        } else if (now - lastProgressNanos > noProgressNanos) {
            fail("no data for " + text(Duration.ofNanos(noProgressNanos)) + " (executor.noProgressTimeout)", null);
        }
    }

    // --- File link messages, on its IO thread

    void chunk(Executor.PeerLink from, long id, byte[] payload) {
        long offset = FileFetch.getLong(payload, 8);
        int crc = (payload[16] & 0xFF) << 24 | (payload[17] & 0xFF) << 16 | (payload[18] & 0xFF) << 8 | payload[19] & 0xFF;
        int n = payload.length - ExecProtocol.CHUNK_HEADER;
        synchronized (this) {
            if (done || link != from || id != transferId) return;   // of an attempt given up on
            if (offset != expected) {
                abandonLocked(from, "a chunk at offset " + offset + " came where " + expected + " was expected");
                return;
            }
            CRC32C check = new CRC32C();
            check.update(payload, ExecProtocol.CHUNK_HEADER, n);
            if ((int) check.getValue() != crc) {
                abandonLocked(from, "the chunk at offset " + offset + " failed its CRC32C");
                return;
            }
            expected += n;
            retries = 0;
        }
        lastProgressNanos = System.nanoTime();
        from.hold(n);
        queue.add(new Chunk(from, payload));
        drainLater();
    }

    void end(Executor.PeerLink from, long id, long announcedSize, byte[] digest) {
        synchronized (this) {
            if (done || link != from || id != transferId) return;
            // The end of a small file may come (on the file link) before the answer to the request
            // (on the control link): the size it announces is then the size.
            if (size < 0) size = announcedSize;
            if (announcedSize != expected || announcedSize != size) {
                abandonLocked(from, "the owner ended at " + announcedSize + " bytes after " + expected + " of " + size);
                return;
            }
            ownerDigest = digest;
        }
        queue.add(END);
        drainLater();
    }

    void ownerFailed(Executor.PeerLink from, long id, String why) {
        synchronized (this) {
            if (link != from || id != transferId) return;
        }
        fail("executor " + peer + " could not send it: " + why, null);
    }

    /** The file link this transfer was on closed: ask again on a new one. */
    void linkClosed(Executor.PeerLink closed) {
        synchronized (this) {
            if (done || link != closed) return;
        }
        retry("the file link closed");
    }

    /** Under lock: the current attempt is given up (the owner told to stop) and a new one asked for. */
    private void abandonLocked(Executor.PeerLink from, String why) {
        from.cancel(transferId);
        link = null;
        exe.scheduler().execute(() -> retry(why));
    }

    // --- The end

    /**
     * Fails the transfer at once: the owner is told to stop, the future fails, and the writer
     * deletes the part once it is done with what it was doing (a stuck disk delays only that).
     */
    void fail(String why, Throwable cause) {
        synchronized (this) {
            failLocked(why);
        }
    }

    private void failLocked(String why) {
        if (done) return;
        done = true;
        aborted = true;
        if (timer != null) timer.cancel(false);
        if (link != null) link.cancel(transferId);
        queue.add(ABORT);
        exe.scheduler().execute(() -> finishFailed(why, null));
        drainLater();
    }

    private void finishFailed(String why, Throwable cause) {
        synchronized (this) {
            done = true;
            if (timer != null) timer.cancel(false);
        }
        exe.forget(this);
        result.completeExceptionally(new FileTransferException("fetching '" + name + "' from executor " + peer + " failed after "
                + received() + " bytes: " + why, cause));
    }

    // --- The writer

    private void drainLater() {
        if (writing.compareAndSet(false, true)) {
            try {
                exe.writers().execute(this::drain);
            } catch (RejectedExecutionException stopping) {
                writing.set(false);
                cleanUp();
                finishFailed("the executor is stopping", null);
            }
        }
    }

    private void drain() {
        try {
            for (Object item; (item = queue.poll()) != null; ) {
                if (item == ABORT) {
                    cleanUp();
                    continue;
                }
                if (aborted || closedOut || !open()) {   // finished or given up: only the windows are given back
                    if (item instanceof Chunk c) c.link.release(c.payload.length - ExecProtocol.CHUNK_HEADER);
                    continue;
                }
                if (item == END) {
                    finish();
                    continue;
                }
                Chunk c = (Chunk) item;
                int n = c.payload.length - ExecProtocol.CHUNK_HEADER;
                try {
                    ByteBuffer data = ByteBuffer.wrap(c.payload, ExecProtocol.CHUNK_HEADER, n);
                    while (data.hasRemaining()) out.write(data);
                } catch (IOException e) {
                    c.link.release(n);
                    fail("writing its part file failed: " + e, e);
                    continue;
                }
                digest.update(c.payload, ExecProtocol.CHUNK_HEADER, n);
                written += n;
                c.link.release(n);
                long total;
                synchronized (this) {
                    total = size;
                }
                listener.progress(written, total);
            }
        } finally {
            writing.set(false);
            if (!queue.isEmpty()) drainLater();
        }
    }

    /** On the writer: the part file, made (with its directories) when the first data or the end comes; false if it cannot be. */
    private boolean open() {
        if (out != null) return true;
        try {
            target = exe.sharedDir().target(name);
            part = target.resolveSibling(target.getFileName() + ".part");
            // A part left by an earlier run (or a link planted there) is removed, never written through.
            Files.deleteIfExists(part);
            out = FileChannel.open(part, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE, java.nio.file.LinkOption.NOFOLLOW_LINKS);
            return true;
        } catch (SharedDir.Refused e) {
            fail(e.getMessage(), null);
        } catch (IOException e) {
            fail("cannot write its part file: " + e, e);
        }
        closedOut = true;
        return false;
    }

    /** On the writer, after the last chunk: checks size and the whole-file digest, renames the part. */
    private void finish() {
        byte[] mine = digest.finish();
        byte[] theirs;
        synchronized (this) {
            theirs = ownerDigest;
        }
        if (!Arrays.equals(mine, theirs)) {
            fail("its " + digest.name() + " does not match the owner's (every chunk passed its CRC32C: the file changed on the owner between attempts?)", null);
            return;
        }
        synchronized (this) {
            if (done) return;   // failed meanwhile (the deadline): ABORT, queued after, deletes the part
            done = true;        // from here a late failure changes nothing
            if (timer != null) timer.cancel(false);
        }
        try {
            out.force(false);
            out.close();
            out = null;
            closedOut = true;
            Files.move(part, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            cleanUp();
            finishFailed("could not put it under its name: " + e, e);
            return;
        }
        exe.forget(this);
        result.complete(target);
    }

    private void cleanUp() {
        closedOut = true;
        try {
            if (out != null) out.close();
        } catch (IOException ignored) {
            // deleting it is what matters
        }
        out = null;
        try {
            if (part != null) Files.deleteIfExists(part);
        } catch (IOException ignored) {
            // nothing more to do
        }
    }

    synchronized long transferId() {
        return transferId;
    }

    long received() {
        synchronized (this) {
            return expected;
        }
    }

    private static long getLong(byte[] b, int at) {
        long v = 0;
        for (int i = 0; i < 8; i++) v = v << 8 | (b[at + i] & 0xFF);
        return v;
    }

    private static String text(Duration d) {
        return d.toMillis() % 1000 == 0 ? d.toSeconds() + "s" : d.toMillis() + "ms";
    }
}
