package io.paguma.cluster.internal;

/**
 * The message ids of an executor's two links (docs/PROTOCOL.md, "Executor links"), codec
 * {@code paguma}. The control link (executor port) carries requests and their answers; the file
 * link (file port) carries file data only, so that control messages never wait behind it.
 */
public final class ExecProtocol {
    private ExecProtocol() {
    }

    // --- control link (the seed's Exe2Exe / ExeInExe)

    /** Request: [str from executor id][bytes mac]; answer: [str own id][i32 file port]. First on every control link. */
    public static final int HELLO = 1;
    /**
     * Request: [i64 file connection id][i64 file link token][i64 transfer id (the callback id)]
     * [i64 offset][str name][u8 digest: 0 SHA-256, 1 CRC32C; absent: SHA-256]; answer: [i64 size], or a status below.
     */
    public static final int FILE_REQUEST = 2;
    /** One-way: [i64 file connection id][i64 transfer id]: the requester gave up; the owner stops sending. */
    public static final int FILE_CANCEL = 3;
    /** Request: [str task id][str idempotency key][u8 ok][bytes result or error text]; answer: empty. */
    public static final int TASK_RESULT = 4;
    /** Request: anything; answer: the same bytes. For liveness and latency. */
    public static final int PING = 5;

    // --- file link (the seed's FileExe2Exe / FileExeInExe)

    /** Owner to requester, first on every file link: [i64 the link's connection id on the owner][i64 token]. */
    public static final int FILE_HELLO = 1;
    /** [i64 transfer id][i64 offset][i32 CRC32C of the data][data...] (the data to the end of the message). */
    public static final int CHUNK = 2;
    /** [i64 transfer id][i64 size][bytes the whole file's digest the request named: SHA-256 (32) or CRC32C (4, big-endian)]. */
    public static final int END = 3;
    /** [i64 transfer id][str why]: the owner cannot go on (the file changed, a read failed). */
    public static final int FAIL = 4;
    /** Bytes before a chunk's data. */
    public static final int CHUNK_HEADER = 20;

    // --- statuses of a refused FILE_REQUEST (RemoteException.status())

    public static final int NOT_FOUND = 404;
    public static final int REFUSED = 403;
    public static final int UNKNOWN_LINK = 409;
    public static final int BAD_OFFSET = 416;
    public static final int STOPPING = 503;
    public static final int NOT_INTRODUCED = 401;
    /** Too many transfers under way on that file link: ask again later. */
    public static final int BUSY = 429;
}
