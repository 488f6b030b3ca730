package io.paguma.cluster;

import io.paguma.Client;
import io.paguma.Codecs;
import io.paguma.ConfigSection;
import io.paguma.Connection;
import io.paguma.Message;
import io.paguma.PagumaConfig;
import io.paguma.PagumaRuntime;
import io.paguma.Request;
import io.paguma.Server;
import io.paguma.cluster.internal.ExecProtocol;
import io.paguma.cluster.internal.FileDigest;
import io.paguma.cluster.internal.SharedDir;
import io.paguma.cluster.internal.Warnings;
import io.paguma.cluster.internal.Wire;
import io.netty.util.concurrent.EventExecutor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * An executor (SPEC X7, X8; seed 002 §3.1.2): a {@link Component} of a node's {@link Daemon} with
 * the seed's two ports — the <b>executor port</b>, where other executors' control links arrive
 * ({@code ExeInExe}; task results, file requests), and the <b>file port</b>, where their file links
 * arrive ({@code FileExeInExe}; file data only, so that a control message never waits behind a
 * file). It announces both, and the task types it runs, in its node's registry info (attributes
 * {@code executor}, {@code filePort}, {@code taskTypes}), so every member can find it by the
 * node's id.
 *
 * <p>Files: {@link #requestFile(String, String)} fetches a file from another executor's shared
 * directory ({@code executor.shareDir}) into this one's, under the same relative name; the seed's
 * callback-id form is {@link #onFile} and {@link #requestFile(String, String, long)}. The dialling
 * side's links are the seed's {@code Exe2Exe} and {@code FileExe2Exe}: one pair per peer, made on
 * first use, kept while both are up. See docs/EXECUTORS.md.
 */
public final class Executor implements Component {
    private static final Logger log = LoggerFactory.getLogger(Executor.class);

    /** The dialling side's links to one peer executor (the seed's Exe2Exe and FileExe2Exe). */
    final class PeerLink {
        final String peer;
        final Connection control;
        final Connection file;
        final long fileConnId;
        final long token;
        private final AtomicLong held = new AtomicLong();
        private final AtomicBoolean paused = new AtomicBoolean();

        PeerLink(String peer, Connection control, Connection file, long fileConnId, long token) {
            this.peer = peer;
            this.control = control;
            this.file = file;
            this.fileConnId = fileConnId;
            this.token = token;
        }

        boolean isOpen() {
            return control.isOpen() && file.isOpen();
        }

        /** Data read from the file link waits for the disk: beyond the window, reading stops. */
        void hold(long n) {
            if (held.addAndGet(n) > fileWindow && paused.compareAndSet(false, true)) file.pauseReading();
        }

        void release(long n) {
            if (held.addAndGet(-n) <= fileWindow / 2 && paused.compareAndSet(true, false)) file.resumeReading();
        }

        /** Tells the owner to stop sending a transfer (best effort). */
        void cancel(long transferId) {
            if (control.isOpen()) {
                control.send(new Message(ExecProtocol.FILE_CANCEL, new Wire.Writer(16).i64(fileConnId).i64(transferId).toBytes()));
            }
        }
    }

    private final Path shareDirOverride;
    private final Map<String, TaskHandler> handlers;
    private final TaskQueue queueOverride;
    private final int slotsOverride;
    private TaskQueue taskQueue;
    private Registry.Subscription serving;
    private Registry.Subscription watching;
    private ThreadPoolExecutor taskPool;
    private final ConcurrentHashMap<String, TaskHandle> published = new ConcurrentHashMap<>();

    // Set by start.
    private Daemon daemon;
    private String id;
    private PagumaRuntime runtime;
    private SharedDir dir;
    private Duration noProgress;
    private Duration deadline;
    private Duration requestTimeout;
    private int fileWindow;
    private int chunkSize;
    private int digestKind;
    private Warnings warnings;
    private PagumaConfig linkConfig;
    private PagumaConfig fileLinkConfig;
    private byte[] secret;
    private Server controlServer;
    private Server fileServer;
    private FileOwner owner;
    private ThreadPoolExecutor writers;
    private EventExecutor scheduler;
    private volatile boolean stopping;

    private final ConcurrentHashMap<String, CompletableFuture<PeerLink>> peers = new ConcurrentHashMap<>();
    /** The fetches under way, by the id of their current attempt. */
    private final ConcurrentHashMap<Long, FileFetch> fetches = new ConcurrentHashMap<>();
    /** The fetches under way, by name. */
    private final ConcurrentHashMap<String, FileFetch> fetchingNames = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<Long, FileCallback> callbacks = new ConcurrentHashMap<>();
    private final AtomicLong transferIds = new AtomicLong(ThreadLocalRandom.current().nextLong() & 0x7FFF_FFFF_0000_0000L);

    private static final String PEER = "io.paguma.executor.peer";

    private Executor(Builder b) {
        this.shareDirOverride = b.shareDir;
        this.handlers = Map.copyOf(b.handlers);
        this.queueOverride = b.tasks;
        this.slotsOverride = b.slots;
    }

    public static Builder builder() {
        return new Builder();
    }

    @Override
    public String name() {
        return "executor";
    }

    @Override
    public void start(Daemon daemon) throws Exception {
        this.daemon = daemon;
        this.id = daemon.id();
        this.runtime = daemon.runtime();
        PagumaConfig config = daemon.config();
        ConfigSection.Values v = config.section(new ExecutorConfig());
        this.dir = new SharedDir(shareDirOverride != null ? shareDirOverride : Path.of(v.get(ExecutorConfig.SHARE_DIR)));
        java.nio.file.Files.createDirectories(dir.root());
        this.noProgress = v.get(ExecutorConfig.NO_PROGRESS_TIMEOUT);
        this.deadline = v.get(ExecutorConfig.TRANSFER_DEADLINE);
        this.fileWindow = v.get(ExecutorConfig.FILE_WINDOW);
        this.chunkSize = v.get(ExecutorConfig.CHUNK_SIZE);
        this.digestKind = v.get(ExecutorConfig.DIGEST) == ExecutorConfig.Digest.SHA256 ? FileDigest.SHA256 : FileDigest.CRC32C;
        this.requestTimeout = config.section(new ClusterConfig()).get(ClusterConfig.REQUEST_TIMEOUT);
        String s = config.section(new ClusterConfig()).get(ClusterConfig.SECRET);
        this.secret = s.isEmpty() ? null : s.getBytes(StandardCharsets.UTF_8);
        this.warnings = new Warnings(log, config.warnInterval());
        this.scheduler = runtime.ioEventLoops().next();
        String host = daemon.info().host();
        PagumaConfig.Builder links = ClusterNode.linkConfig(config).toBuilder().reconnect(false);
        if (v.get(ExecutorConfig.TLS)) {
            links.tls(true).tlsCert(config.tlsCert()).tlsKey(config.tlsKey()).tlsTrust(config.tlsTrust()).tlsProvider(config.tlsProvider());
        }
        this.linkConfig = links.build();
        this.fileLinkConfig = linkConfig.toBuilder()
                // Chunks as large as any executor may send (chunkSize is at most 4 MiB).
                .maxPacketSize((4 << 20) + 1024)
                .outboundPolicy(PagumaConfig.OutboundPolicy.WAIT)
                .writeBufferHighWaterMark(fileWindow).writeBufferLowWaterMark(fileWindow / 2)
                // The window, and a chunk in hand for each sender that found the link ready at once.
                .maxPendingWriteBytes((int) Math.min(Integer.MAX_VALUE,
                        2L * fileWindow + (v.get(ExecutorConfig.MAX_TRANSFERS) + 2L) * (chunkSize + ExecProtocol.CHUNK_HEADER)))
                .build();
        AtomicInteger n = new AtomicInteger();
        this.writers = new ThreadPoolExecutor(0, Integer.MAX_VALUE, 30, TimeUnit.SECONDS, new java.util.concurrent.SynchronousQueue<>(), r -> {
            Thread t = new Thread(r, "paguma-" + id + "-file-write-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        this.owner = new FileOwner(id, dir, chunkSize, noProgress, v.get(ExecutorConfig.MAX_TRANSFERS), warnings, scheduler, requestTimeout,
                fileWindow, v.get(ExecutorConfig.ZERO_COPY));
        controlServer = Server.builder().runtime(runtime)
                .config(linkConfig.toBuilder().host(host).port(v.get(ExecutorConfig.PORT)).build())
                .codec(Codecs.PAGUMA).name("paguma-" + id + "-executor")
                .routersOnIoThreads()
                .use(this::gate)
                .onConnStart(this::helloWithin)
                .route(ExecProtocol.HELLO, this::onHello)
                .route(ExecProtocol.FILE_REQUEST, r -> owner.request(r, r.connection().property(PEER)))
                .route(ExecProtocol.FILE_CANCEL, this::onCancel)
                .route(ExecProtocol.PING, r -> r.reply(ExecProtocol.PING, r.data()))
                .route(ExecProtocol.TASK_RESULT, this::onTaskResult)
                .build().start();
        fileServer = Server.builder().runtime(runtime)
                .config(fileLinkConfig.toBuilder().host(host).port(v.get(ExecutorConfig.FILE_PORT)).build())
                .codec(Codecs.PAGUMA).name("paguma-" + id + "-files")
                .routersOnIoThreads()
                .onConnStart(owner::opened)
                .onConnStop(owner::closed)
                .onUnknownMessage(r -> {
                    warnings.warn("file link message", "executor " + id + ": " + r.connection()
                            + " sent message " + r.id() + " on a file link, where only this side sends: closed", null);
                    r.connection().close();
                })
                .build().start();
        Map<String, String> attributes = new LinkedHashMap<>();
        attributes.put("executor", String.valueOf(controlServer.port()));
        attributes.put("filePort", String.valueOf(fileServer.port()));
        taskQueue = queueOverride != null ? queueOverride : daemon.registry().tasks();
        if (taskQueue != null) watching = taskQueue.watchTasks(this::taskChanged);
        if (!handlers.isEmpty()) {
            if (taskQueue == null) {
                throw new IllegalStateException("executor " + id + " runs task types " + handlers.keySet() + " but its registry ("
                        + daemon.registry().getClass().getSimpleName() + ") has no task queue: give one with Executor.builder().tasks(...)");
            }
            int slots = slotsOverride > 0 ? slotsOverride : v.get(ExecutorConfig.TASK_SLOTS);
            AtomicInteger tn = new AtomicInteger();
            taskPool = new ThreadPoolExecutor(slots, slots, 30, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), r -> {
                Thread t = new Thread(r, "paguma-" + id + "-task-" + tn.incrementAndGet());
                t.setDaemon(true);
                return t;
            });
            taskPool.allowCoreThreadTimeOut(true);
            attributes.put("taskTypes", String.join(",", new java.util.TreeSet<>(handlers.keySet())));
            serving = taskQueue.serve(id, handlers.keySet(), slots, this::assigned);
        }
        daemon.announce(attributes).get(requestTimeout.toMillis() * 2, TimeUnit.MILLISECONDS);
        log.info("executor {} started: executor port {}, file port {}, shared directory {}", id, controlServer.port(),
                fileServer.port(), dir.root());
    }

    @Override
    public void stop() {
        stopping = true;
        // No new task; the unfinished ones go back to the queue, for another executor.
        if (serving != null) serving.close();
        if (watching != null) watching.close();
        if (taskPool != null) taskPool.shutdownNow();
        for (TaskHandle h : published.values()) {
            h.failed(new TaskException("executor " + id + ", its publisher, stopped before its result came", h.status()));
        }
        for (FileFetch f : fetches.values()) f.fail("the executor is stopping", null);
        if (owner != null) owner.stop();
        peers.values().forEach(f -> f.thenAccept(l -> {
            l.control.close();
            l.file.close();
        }));
        peers.clear();
        if (controlServer != null) controlServer.stop();
        if (fileServer != null) fileServer.stop();
        if (writers != null) writers.shutdown();
    }

    /** The executor port (after start). */
    public int port() {
        return controlServer.port();
    }

    /** The file port (after start). */
    public int filePort() {
        return fileServer.port();
    }

    /** Chunks this executor sent zero-copy and read into memory (under TLS, or with executor.zeroCopy false). */
    long[] chunksSent() {
        return new long[] {owner.zeroCopyChunks.get(), owner.copiedChunks.get()};
    }

    /** The shared directory (after start). */
    public Path shareDir() {
        return dir.root();
    }

    // --- Tasks

    /**
     * Publishes {@code task} (SPEC X7): it is queued, given to the least loaded executor that runs
     * its type, which fetches the task's files from this executor's shared directory, runs it and
     * sends the result here, over a control link it opens to this executor's port. A task whose
     * idempotency key is already known is that task again: the handle follows it.
     */
    public TaskHandle publish(Task task) {
        Objects.requireNonNull(task, "task");
        if (taskQueue == null) throw new IllegalStateException("executor " + id + " has no task queue (not started, or its registry has none)");
        Task t = task.published(java.util.UUID.randomUUID().toString(), id);
        TaskHandle h = new TaskHandle(t);
        published.put(t.id(), h);
        if (stopping) {
            h.failed(new TaskException("executor " + id + " is stopping", null));
            return h;
        }
        taskQueue.publish(t).whenComplete((status, e) -> {
            if (e != null) {
                published.remove(t.id(), h);
                h.failed(new TaskException("publishing " + t + " failed: " + unwrap(e).getMessage(), null));
                return;
            }
            if (!status.id().equals(t.id()) && !id.equals(status.publisher())) {
                // Keys are a publisher's own: the task with this key was published elsewhere, and
                // its result goes there.
                published.remove(t.id(), h);
                h.rebind(status.id());
                h.failed(new TaskException("task " + status.id() + " with key '" + t.key() + "' was published by " + status.publisher()
                        + ", which gets its result; publish under another key", status));
                return;
            }
            if (!status.id().equals(t.id()) && status.state().isFinal()) {
                // Published again after it ended: its result, if this executor still has it.
                published.remove(t.id(), h);
                h.rebind(status.id());
                byte[] kept = remembered(status.id());
                if (kept != null) h.delivered(kept);
                h.changed(status);
                if (!h.result().isDone()) {
                    h.failed(new TaskException("task " + status.id() + " with key '" + t.key() + "' ended (" + status.state()
                            + ") and its result is no longer kept here", status));
                }
                return;
            }
            if (!status.id().equals(t.id())) {
                // The key was known: this is that task.
                published.remove(t.id(), h);
                h.rebind(status.id());
                TaskHandle earlier = published.putIfAbsent(status.id(), h);
                if (earlier != null) {
                    earlier.result().whenComplete((bytes, x) -> {
                        if (x != null) h.failed(x instanceof TaskException te ? te : new TaskException(unwrap(x).getMessage(), earlier.status()));
                        else h.delivered(bytes);
                    });
                }
            }
            h.changed(status);   // the handle keeps the newest of this and what the watch brought
            if (status.state() == TaskState.DONE) checkDelivered(h);
        });
        return h;
    }

    /** Results of tasks published here, the latest 1,000, for a task published again under its key. */
    private final Map<String, byte[]> results = new java.util.LinkedHashMap<>(64, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, byte[]> eldest) {
            return size() > 1000;
        }
    };

    private void remember(String taskId, byte[] result) {
        synchronized (results) {
            results.put(taskId, result);
        }
    }

    private byte[] remembered(String taskId) {
        synchronized (results) {
            return results.get(taskId);
        }
    }

    /** The task's status from the queue. */
    public CompletableFuture<TaskStatus> taskStatus(String taskId) {
        if (taskQueue == null) return CompletableFuture.failedFuture(new IllegalStateException("executor " + id + " has no task queue"));
        return taskQueue.status(taskId);
    }

    private void taskChanged(TaskStatus s) {
        TaskHandle h = published.get(s.id());
        if (h == null) return;
        h.changed(s);
        if (s.state().isFinal()) {
            published.remove(s.id(), h);
            if (s.state() == TaskState.DONE) checkDelivered(h);
        }
    }

    /** DONE is reported after the result was delivered: one that did not come was lost on the way. */
    private void checkDelivered(TaskHandle h) {
        if (!h.result().isDone()) {
            scheduler.schedule(() -> h.failed(new TaskException("task " + h.id() + " is DONE on " + h.status().executor()
                    + " but its result did not reach executor " + id, h.status())), requestTimeout.toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    /** A task given to this executor, on the queue's thread: runs on the task pool. */
    private void assigned(Task task) {
        try {
            taskPool.execute(() -> run(task));
        } catch (java.util.concurrent.RejectedExecutionException stopped) {
            // Stopping: serving closed, the queue gives it to another.
        }
    }

    private void run(Task task) {
        TaskHandler handler = handlers.get(task.type());
        Throwable failure = null;
        byte[] result = null;
        try {
            taskQueue.report(task.id(), id, TaskState.RUNNING, null);
            Map<String, Path> files = new LinkedHashMap<>();
            for (String name : task.files()) {
                files.put(name, requestFile(task.publisher(), name).get(deadline.toMillis() + 1000, TimeUnit.MILLISECONDS));
            }
            TaskContext ctx = new TaskContext() {
                @Override
                public Task task() {
                    return task;
                }

                @Override
                public Path file(String name) {
                    Path p = files.get(name);
                    if (p == null) throw new IllegalArgumentException("task " + task.id() + " has no file '" + name + "'");
                    return p;
                }

                @Override
                public Executor executor() {
                    return Executor.this;
                }
            };
            result = handler.run(ctx);
            if (result == null) result = new byte[0];
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            failure = e;
        } catch (Throwable t) {
            failure = unwrap(t);
        }
        if (stopping) return;   // gone from the queue: the task runs again elsewhere
        String why = failure == null ? null : String.valueOf(failure.getMessage() != null ? failure.getMessage() : failure.toString());
        if (failure != null) log.warn("executor {}: task {} failed: {}", id, task, why);
        // The result first, then the end: DONE means the publisher has it (or it could not be given).
        String undelivered = deliver(task, result, why);
        taskQueue.report(task.id(), id, failure == null ? TaskState.DONE : TaskState.FAILED,
                failure != null ? why : undelivered);
    }

    /** Sends the result to the publisher; returns why it could not, or null. */
    private String deliver(Task task, byte[] result, String failure) {
        byte[] body = failure == null ? result : failure.getBytes(StandardCharsets.UTF_8);
        byte[] msg = new Wire.Writer(64 + body.length).str(task.id()).str(id).u8(failure == null ? 1 : 0).bytes(body).toBytes();
        try {
            link(task.publisher())
                    .thenCompose(l -> l.control.request(new Message(ExecProtocol.TASK_RESULT, msg), requestTimeout))
                    .get(requestTimeout.toMillis() * 3, TimeUnit.MILLISECONDS);
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted while its result was sent";
        } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
            String w = "its result could not be sent to " + task.publisher() + ": " + unwrap(e).getMessage();
            log.warn("executor {}: task {}: {}", id, task.id(), w);
            return w;
        }
    }

    /** TASK_RESULT from the executor that ran a task this one published. */
    private void onTaskResult(Request r) {
        String taskId, from;
        boolean ok;
        byte[] body;
        try {
            Wire.Reader in = new Wire.Reader(r.data());
            taskId = in.str("task id");
            from = in.str("executor");
            ok = in.u8("ok") == 1;
            body = in.bytes("result");
            in.end();
        } catch (IllegalArgumentException e) {
            r.fail(ExecProtocol.REFUSED, "malformed task result: " + e.getMessage());
            return;
        }
        TaskHandle h = published.get(taskId);
        // A result completes the handle (the first one); a failure does not: the queue's FAILED
        // does, which only the executor that has the task now can cause (one the task was taken
        // from may still be running it, and fail, after another finished it).
        if (h != null && ok && h.delivered(body)) remember(taskId, body);
        if (!ok) log.debug("executor {}: task {} failed on executor {}: {}", id, taskId, from, new String(body, StandardCharsets.UTF_8));
        r.reply(ExecProtocol.TASK_RESULT, new byte[0]);
    }

    // --- Files: the requester's side

    /**
     * Fetches {@code name} (relative to the shared directory) from executor {@code peer} (its
     * node's id) into this executor's shared directory under the same name. The future completes
     * with the file once it is complete and its digest (executor.digest) matched the owner's, or fails with
     * {@link FileTransferException} (nothing is then left under the name, nor its part file).
     */
    public CompletableFuture<Path> requestFile(String peer, String name) {
        return requestFile(peer, name, TransferListener.NONE);
    }

    /** {@link #requestFile(String, String)}, telling {@code listener} how it goes. */
    public CompletableFuture<Path> requestFile(String peer, String name, TransferListener listener) {
        Objects.requireNonNull(peer, "peer");
        Objects.requireNonNull(name, "name");
        if (dir == null) return CompletableFuture.failedFuture(new IllegalStateException("executor is not started"));
        if (stopping) return CompletableFuture.failedFuture(new FileTransferException("executor " + id + " is stopping"));
        // One fetch per name at a time: a second of the same name from the same peer joins the
        // first (two tasks needing one file); from another peer it is refused (both would write it).
        FileFetch f = new FileFetch(this, peer, name, listener);
        while (true) {
            FileFetch under = fetchingNames.putIfAbsent(name, f);
            if (under == null) break;
            if (under.peer.equals(peer)) return under.result.copy();
            if (!under.result.isDone()) {
                return CompletableFuture.failedFuture(new FileTransferException("'" + name + "' is being fetched from executor "
                        + under.peer + " already: fetching it from " + peer + " at the same time would write over it"));
            }
            fetchingNames.remove(name, under);
        }
        f.result.whenComplete((p, e) -> fetchingNames.remove(name, f));
        f.start();
        return f.result;
    }

    /** The seed's form: registers {@code callback} under {@code callbackId}, for a later {@link #requestFile(String, String, long)}. */
    public void onFile(long callbackId, FileCallback callback) {
        callbacks.put(callbackId, Objects.requireNonNull(callback, "callback"));
    }

    /**
     * The seed's form: fetches {@code name} from {@code peer}; when done, the callback registered
     * under {@code callbackId} is called (once, then forgotten) with the file or the error.
     *
     * @throws IllegalArgumentException if no callback is registered under that id
     */
    public void requestFile(String peer, String name, long callbackId) {
        FileCallback cb = callbacks.get(callbackId);
        if (cb == null) throw new IllegalArgumentException("no callback registered under id " + callbackId + " (onFile)");
        requestFile(peer, name).whenComplete((file, e) -> {
            if (callbacks.remove(callbackId, cb)) cb.done(callbackId, file, e == null ? null : unwrap(e));
        });
    }

    /** Round trip of a PING on the control link to {@code peer}. */
    public CompletableFuture<Duration> ping(String peer) {
        long start = System.nanoTime();
        return link(peer).thenCompose(l -> l.control.request(new Message(ExecProtocol.PING, new byte[8]), requestTimeout))
                .thenApply(m -> Duration.ofNanos(System.nanoTime() - start));
    }

    /** The links to {@code peer}, made if there are none (or they broke). */
    CompletableFuture<PeerLink> link(String peer) {
        while (true) {
            CompletableFuture<PeerLink> f = peers.get(peer);
            if (f != null && !(f.isDone() && (f.isCompletedExceptionally() || !f.join().isOpen()))) return f;
            CompletableFuture<PeerLink> mine = new CompletableFuture<>();
            boolean won = f == null ? peers.putIfAbsent(peer, mine) == null : peers.replace(peer, f, mine);
            if (!won) continue;
            dial(peer, mine);
            return mine;
        }
    }

    private void dial(String peer, CompletableFuture<PeerLink> result) {
        if (stopping) {
            result.completeExceptionally(new FileTransferException("executor " + id + " is stopping"));
            return;
        }
        NodeInfo info = daemon.registry().members().get(peer);
        String port = info == null ? null : info.attribute("executor");
        String filePort = info == null ? null : info.attribute("filePort");
        if (port == null || filePort == null) {
            peers.remove(peer, result);
            result.completeExceptionally(new FileTransferException(info == null ? "no member " + peer + " in the cluster"
                    : "member " + peer + " runs no executor"));
            return;
        }
        CompletableFuture<long[]> hello = new CompletableFuture<>();
        PeerLink[] made = new PeerLink[1];
        Client control = Client.builder().runtime(runtime)
                .config(linkConfig.toBuilder().host(info.host()).port(Integer.parseInt(port)).build())
                .codec(Codecs.PAGUMA).name("paguma-" + id + "-to-" + peer).routersOnIoThreads().build();
        Client file = Client.builder().runtime(runtime)
                .config(fileLinkConfig.toBuilder().host(info.host()).port(Integer.parseInt(filePort)).build())
                .codec(Codecs.PAGUMA).name("paguma-" + id + "-files-from-" + peer).routersOnIoThreads()
                .route(ExecProtocol.FILE_HELLO, r -> {
                    try {
                        Wire.Reader in = new Wire.Reader(r.data());
                        hello.complete(new long[] {in.i64("connection id"), in.i64("token")});
                    } catch (IllegalArgumentException e) {
                        hello.completeExceptionally(e);
                    }
                })
                .route(ExecProtocol.CHUNK, r -> fileMessage(made[0], r))
                .route(ExecProtocol.END, r -> fileMessage(made[0], r))
                .route(ExecProtocol.FAIL, r -> fileMessage(made[0], r))
                .build();
        control.connect()
                .thenCompose(c -> c.request(new Message(ExecProtocol.HELLO, helloFrom(peer)), requestTimeout).thenApply(m -> c))
                .thenCompose(c -> file.connect().thenCombine(hello.orTimeout(requestTimeout.toMillis(), TimeUnit.MILLISECONDS),
                        (fc, ids) -> {
                            PeerLink l = new PeerLink(peer, c, fc, ids[0], ids[1]);
                            made[0] = l;
                            return l;
                        }))
                .whenComplete((l, e) -> {
                    if (e != null) {
                        control.close();
                        file.close();
                        peers.remove(peer, result);
                        result.completeExceptionally(new FileTransferException("cannot link to executor " + peer + " at "
                                + info.host() + ":" + port + "/" + filePort + ": " + unwrap(e).getMessage(), unwrap(e)));
                        return;
                    }
                    Runnable broken = () -> {
                        peers.remove(peer, result);
                        control.close();
                        file.close();
                        for (FileFetch f : fetches.values()) f.linkClosed(l);
                    };
                    l.control.closeFuture().whenComplete((v, x) -> broken.run());
                    l.file.closeFuture().whenComplete((v, x) -> broken.run());
                    result.complete(l);
                });
    }

    private void fileMessage(PeerLink link, Request r) {
        byte[] data = r.data();
        if (link == null || data.length < 8) return;
        long transferId = 0;
        for (int i = 0; i < 8; i++) transferId = transferId << 8 | (data[i] & 0xFF);
        FileFetch f = fetches.get(transferId);
        if (f == null) return;   // given up on: the owner was told to stop
        try {
            switch (r.id()) {
                case ExecProtocol.CHUNK -> {
                    if (data.length < ExecProtocol.CHUNK_HEADER) throw new IllegalArgumentException("a chunk of " + data.length + " bytes");
                    f.chunk(link, transferId, data);
                }
                case ExecProtocol.END -> {
                    Wire.Reader in = new Wire.Reader(data);
                    in.i64("transfer id");
                    long size = in.i64("size");
                    byte[] digest = in.bytes("digest");
                    in.end();
                    f.end(link, transferId, size, digest);
                }
                case ExecProtocol.FAIL -> {
                    Wire.Reader in = new Wire.Reader(data);
                    in.i64("transfer id");
                    f.ownerFailed(link, transferId, in.str("why"));
                }
                default -> {
                }
            }
        } catch (IllegalArgumentException e) {
            warnings.warn("file link malformed", "executor " + id + ": malformed message " + r.id() + " on the file link from "
                    + link.peer + " (" + r.connection() + "): " + e.getMessage() + "; link closed", null);
            r.connection().close();
        }
    }

    // --- The control link, serving side

    private void gate(Request r, io.paguma.Interceptor.Chain chain) throws Exception {
        if (r.id() == ExecProtocol.HELLO || r.connection().property(PEER) != null) {
            chain.proceed(r);
            return;
        }
        warnings.warn("control before hello", "executor " + id + ": " + r.connection() + " sent message " + r.id()
                + " before HELLO: closed", null);
        r.fail(ExecProtocol.NOT_INTRODUCED, "say HELLO first").whenComplete((v, e) -> r.connection().close());
    }

    /** A control link that has not said HELLO within cluster.requestTimeout is closed (it only holds a slot). */
    private void helloWithin(Connection c) {
        scheduler.schedule(() -> {
            if (c.isOpen() && c.property(PEER) == null) {
                warnings.warn("no hello", "executor " + id + ": " + c + " said no HELLO within " + requestTimeout.toMillis() + " ms: closed", null);
                c.close();
            }
        }, requestTimeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void onHello(Request r) {
        String from;
        byte[] mac;
        try {
            Wire.Reader in = new Wire.Reader(r.data());
            from = in.str("from");
            mac = in.bytes("mac");
            in.end();
        } catch (IllegalArgumentException e) {
            r.fail(ExecProtocol.REFUSED, "malformed HELLO: " + e.getMessage()).whenComplete((v, x) -> r.connection().close());
            return;
        }
        if (secret != null && !java.security.MessageDigest.isEqual(mac, mac(from, id))) {
            warnings.warn("hello refused", "executor " + id + ": " + r.connection() + " said HELLO as " + from
                    + " without the cluster's secret: closed", null);
            r.fail(ExecProtocol.REFUSED, "wrong cluster secret").whenComplete((v, x) -> r.connection().close());
            return;
        }
        r.connection().property(PEER, from);
        r.reply(ExecProtocol.HELLO, new Wire.Writer(32).str(id).i32(fileServer.port()).toBytes());
    }

    private void onCancel(Request r) {
        try {
            Wire.Reader in = new Wire.Reader(r.data());
            owner.cancel(in.i64("file connection id"), in.i64("transfer id"));
        } catch (IllegalArgumentException ignored) {
            // a malformed cancel cancels nothing
        }
    }

    private byte[] helloFrom(String to) {
        return new Wire.Writer(64).str(id).bytes(mac(id, to)).toBytes();
    }

    private byte[] mac(String from, String to) {
        if (secret == null) return new byte[0];
        try {
            javax.crypto.Mac m = javax.crypto.Mac.getInstance("HmacSHA256");
            m.init(new javax.crypto.spec.SecretKeySpec(secret, "HmacSHA256"));
            return m.doFinal(("executor|" + from + "|" + to).getBytes(StandardCharsets.UTF_8));
        } catch (java.security.GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is not available", e);
        }
    }

    // --- For FileFetch

    SharedDir sharedDir() {
        return dir;
    }

    Duration noProgressTimeout() {
        return noProgress;
    }

    Duration transferDeadline() {
        return deadline;
    }

    /** What FILE_REQUEST asks the owner to compute over the whole file (executor.digest). */
    int digestKind() {
        return digestKind;
    }

    Duration requestTimeout() {
        return requestTimeout;
    }

    EventExecutor scheduler() {
        return scheduler;
    }

    ThreadPoolExecutor writers() {
        return writers;
    }

    void forget(FileFetch f) {
        fetches.remove(f.transferId(), f);
    }

    /** A new attempt of {@code f}: a new transfer id, under which its data is routed to it. */
    long attempt(FileFetch f, long previous) {
        long id = transferIds.incrementAndGet();
        fetches.put(id, f);
        if (previous != 0) fetches.remove(previous, f);
        return id;
    }

    static Throwable unwrap(Throwable t) {
        while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) t = t.getCause();
        return t;
    }

    @Override
    public String toString() {
        return "Executor[" + id + "]";
    }

    public static final class Builder {
        private Path shareDir;
        private final Map<String, TaskHandler> handlers = new LinkedHashMap<>();
        private TaskQueue tasks;
        private int slots;

        private Builder() {
        }

        /** Runs the tasks of {@code type} here: this executor offers itself for that type. */
        public Builder handler(String type, TaskHandler handler) {
            if (!NodeInfo.validId(type)) throw new IllegalArgumentException("task type must be 1-64 letters, digits, '.', '_' or '-': '" + type + "'");
            if (handlers.putIfAbsent(type, Objects.requireNonNull(handler, "handler")) != null) {
                throw new IllegalArgumentException("two handlers for task type " + type);
            }
            return this;
        }

        /** Where tasks are queued, instead of the node's registry's ({@link Registry#tasks()}). */
        public Builder tasks(TaskQueue tasks) {
            this.tasks = Objects.requireNonNull(tasks, "tasks");
            return this;
        }

        /** Tasks run at once here, instead of {@code executor.taskSlots}. */
        public Builder slots(int slots) {
            if (slots < 1) throw new IllegalArgumentException("slots must be at least 1: " + slots);
            this.slots = slots;
            return this;
        }

        /** The shared directory, instead of {@code executor.shareDir}. */
        public Builder shareDir(Path dir) {
            this.shareDir = Objects.requireNonNull(dir, "dir");
            return this;
        }

        public Executor build() {
            return new Executor(this);
        }
    }
}
