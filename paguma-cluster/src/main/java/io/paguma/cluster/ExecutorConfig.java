package io.paguma.cluster;

import io.paguma.ConfigKey;
import io.paguma.ConfigSection;

import java.time.Duration;

/**
 * An executor's keys (SPEC X7, X8; seed 002 §3.1.2): section {@code executor:} of
 * {@code application.yaml}, {@code PAGUMA_EXECUTOR_<KEY>} environment variables,
 * {@code paguma.executor.<key>} system properties. Its two ports listen on {@code cluster.nodeHost}.
 */
public final class ExecutorConfig extends ConfigSection {
    public static final ConfigKey<Integer> PORT = ConfigKey.integer("port", 0)
            .check(v -> v >= 0 && v <= 65535, "must be between 0 and 65535")
            .doc("The executor port (the seed's Exe port): other executors' control links (task results, file requests); 0: any free port, announced through the registry.");
    public static final ConfigKey<Integer> FILE_PORT = ConfigKey.integer("filePort", 0)
            .check(v -> v >= 0 && v <= 65535, "must be between 0 and 65535")
            .doc("The file port (the seed's FileExe port): one file link per peer, for file data only; 0: any free port.");
    public static final ConfigKey<String> SHARE_DIR = ConfigKey.string("shareDir", "shared")
            .check(v -> !v.isBlank(), "must not be blank")
            .doc("The shared directory: files are served from it and fetched into it, by names relative to it.");
    public static final ConfigKey<Integer> CHUNK_SIZE = ConfigKey.integer("chunkSize", 256 * 1024)
            .check(v -> v >= 4096 && v <= 4 << 20, "must be between 4096 and 4194304")
            .doc("Bytes of file data per chunk (each with its CRC32C).");
    public static final ConfigKey<Integer> FILE_WINDOW = ConfigKey.integer("fileWindow", 4 << 20)
            .check(v -> v >= 65536, "must be at least 65536")
            .doc("Bytes of file data a file link holds in flight: the sender waits while more wait to be written, the receiver stops reading while more wait for the disk.");
    public static final ConfigKey<Duration> NO_PROGRESS_TIMEOUT = ConfigKey.duration("noProgressTimeout", Duration.ofSeconds(30))
            .check(v -> v.toMillis() >= 10, "must be at least 10ms")
            .doc("A transfer that receives no data for this long fails (the peer stalled).");
    public static final ConfigKey<Duration> TRANSFER_DEADLINE = ConfigKey.duration("transferDeadline", Duration.ofMinutes(5))
            .check(v -> v.toMillis() >= 10, "must be at least 10ms")
            .doc("A transfer not finished this long after it was asked for fails (the seed's tentative 5 minutes).");
    public static final ConfigKey<Integer> MAX_TRANSFERS = ConfigKey.integer("maxTransfers", 8)
            .check(v -> v > 0 && v <= 1024, "must be between 1 and 1024")
            .doc("Files this executor sends at once; a request beyond them waits for one to end.");
    public static final ConfigKey<Integer> TASK_SLOTS = ConfigKey.integer("taskSlots", 4)
            .check(v -> v > 0 && v <= 1024, "must be between 1 and 1024")
            .doc("Tasks this executor runs at once (each on a thread of its own); more wait in the queue for a free slot anywhere.");

    public static final ConfigKey<Boolean> TLS = ConfigKey.bool("tls", false)
            .doc("TLS on executor links (control and file), with the root keys tlsCert/tlsKey (what this executor presents) and tlsTrust (what it trusts in the executors it dials); every executor of the cluster must set it alike.");

    public static final ConfigKey<Boolean> ZERO_COPY = ConfigKey.bool("zeroCopy", true)
            .doc("Send file data zero-copy (sendfile: checksums computed on the file mapped into memory) where the link allows it: not under TLS, not on io_uring; otherwise (or false) each chunk is read once into a pooled direct buffer and written from it.");

    /** The whole-file check of a transfer, on top of every chunk's CRC32C. */
    public enum Digest {
        /** CRC32C of the whole file (4 bytes): catches a file that changed between attempts; ~50 GB/s. The default. */
        CRC32C,
        /** SHA-256 of the whole file (32 bytes): a cryptographic digest of exactly the bytes written; ~1.8 GB/s per core here. */
        SHA256
    }

    public static final ConfigKey<Digest> DIGEST = ConfigKey.enumOf("digest", Digest.class, Digest.CRC32C)
            .doc("crc32c or sha256: the whole-file digest both sides compute and compare at the end of a transfer (the requester's choice).");

    public ExecutorConfig() {
        super("executor", PORT, FILE_PORT, SHARE_DIR, CHUNK_SIZE, FILE_WINDOW, NO_PROGRESS_TIMEOUT, TRANSFER_DEADLINE,
                MAX_TRANSFERS, TASK_SLOTS, TLS, ZERO_COPY, DIGEST);
    }
}
