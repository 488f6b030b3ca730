package io.paguma.cli;

import io.paguma.PagumaConfig;
import io.paguma.cluster.Daemon;
import io.paguma.cluster.Executor;
import io.paguma.cluster.Task;
import io.paguma.cluster.TaskHandle;
import io.paguma.cluster.TaskState;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

@Command(name = "task", mixinStandardHelpOptions = true, subcommands = TaskCommand.Publish.class,
        description = {"Tasks for executors (SPEC X7). See docs/EXECUTORS.md."})
final class TaskCommand implements Runnable {
    @Override
    public void run() {
        new picocli.CommandLine(this).usage(System.out);
    }

    @Command(name = "publish", mixinStandardHelpOptions = true,
            description = {"Publishes a task and shows its state changes, then its result. This command joins the",
                    "cluster as a short-lived executor (no task types of its own) whose shared directory",
                    "holds the task's files: the executor that runs the task fetches them from it.",
                    "  ./paguma task publish --config exe-a.yaml --type checksum --file photos/cat.jpg"})
    static final class Publish implements Callable<Integer> {
        @Option(names = "--config", paramLabel = "FILE", description = "A JSON or YAML config file (default: application.json/yaml here or in conf/, if any).")
        Path config;
        @Option(names = "--type", required = true, description = "The task type.")
        String type;
        @Option(names = "--file", paramLabel = "NAME", description = "A file the task needs, relative to the shared directory (repeat for more).")
        List<String> files = new ArrayList<>();
        @Option(names = "--payload", description = "The task's payload, as text.")
        String payload = "";
        @Option(names = "--key", description = "The idempotency key (default: none shared).")
        String key;
        @Option(names = "--timeout", description = "How long the run may take (default: ${DEFAULT-VALUE}).", defaultValue = "60s")
        String timeout;

        PrintStream out = System.out;

        @Override
        public Integer call() throws Exception {
            PagumaConfig cfg = config != null ? PagumaConfig.load(config) : PagumaConfig.load();
            Duration limit = io.paguma.ConfigKey.duration("timeout", Duration.ZERO).parse(timeout);
            Executor e = Executor.builder().build();
            Daemon d = Daemon.builder().config(cfg).nodeId("task-" + Long.toHexString(System.nanoTime() & 0xFFFFFF))
                    .gateway(false).component(e).build().start();
            try {
                Task.Builder tb = Task.builder(type).payload(payload).timeout(limit).key(key);
                files.forEach(tb::file);
                TaskHandle h = e.publish(tb.build());
                java.util.concurrent.CompletableFuture<Void> ended = new java.util.concurrent.CompletableFuture<>();
                h.onChange(s -> {
                    if (s.state().isFinal()) ended.complete(null);
                    out.println("task " + s.id() + ": " + s.state() + (s.executor() == null ? "" : " on " + s.executor())
                            + (s.attempts() > 1 ? " (attempt " + s.attempts() + ")" : "") + (s.detail() == null ? "" : " - " + s.detail()));
                    out.flush();
                });
                try {
                    byte[] result = h.result().get(limit.toMillis() + 30_000, TimeUnit.MILLISECONDS);
                    // The result travels straight from the executor; its DONE through the queue, a moment later.
                    try {
                        ended.get(5, TimeUnit.SECONDS);
                    } catch (java.util.concurrent.TimeoutException notYet) {
                        // shown if it comes before we stop
                    }
                    out.println("result (" + result.length + " bytes):");
                    out.println(new String(result, StandardCharsets.UTF_8));
                    return 0;
                } catch (ExecutionException x) {
                    out.println("failed: " + x.getCause().getMessage());
                    return 1;
                } catch (java.util.concurrent.TimeoutException x) {
                    out.println("no result within " + (limit.toMillis() + 30_000) + " ms; last state "
                            + (h.status() == null ? "unknown" : h.status().state()));
                    return h.status() != null && h.status().state() == TaskState.QUEUED ? 3 : 2;
                }
            } finally {
                d.stop();
            }
        }
    }
}
