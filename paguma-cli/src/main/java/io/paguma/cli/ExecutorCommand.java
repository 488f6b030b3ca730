package io.paguma.cli;

import io.paguma.PagumaConfig;
import io.paguma.cluster.Daemon;
import io.paguma.cluster.Executor;
import io.paguma.cluster.TaskHandler;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

@Command(name = "executor", mixinStandardHelpOptions = true,
        description = {"Runs an executor (seed 002's Exe): a cluster node with an executor port and a file port,",
                "that runs the task types chosen and serves its shared directory (executor.shareDir).",
                "  ./paguma executor --config exe-b.yaml --types checksum",
                "Task types built in: checksum (the SHA-256 of each of the task's files, fetched from",
                "its publisher first), echo (answers the payload). See docs/EXECUTORS.md."})
final class ExecutorCommand implements Callable<Integer> {
    @Option(names = "--config", paramLabel = "FILE", description = "A JSON or YAML config file (default: application.json/yaml here or in conf/, if any).")
    Path config;

    @Option(names = "--types", split = ",", paramLabel = "TYPE", defaultValue = "checksum,echo",
            description = "The task types to run, comma-separated (default: ${DEFAULT-VALUE}; none: only serve files).")
    List<String> types;

    final CountDownLatch started = new CountDownLatch(1);
    final CountDownLatch stop = new CountDownLatch(1);
    volatile Daemon daemon;
    volatile Executor executor;

    @Override
    public Integer call() throws Exception {
        PagumaConfig cfg = config != null ? PagumaConfig.load(config) : PagumaConfig.load();
        Executor.Builder eb = Executor.builder();
        for (String t : types) {
            String type = t.strip();
            if (!type.isEmpty()) eb.handler(type, handler(type));
        }
        Executor e = eb.build();
        Daemon d = Daemon.builder().config(cfg).gateway(false).component(e).build().start();
        daemon = d;
        executor = e;
        return RunningNode.runUntilStopped(d, "Paguma executor " + d.id() + ": executor port " + e.port() + ", file port "
                + e.filePort() + ", shared directory " + e.shareDir() + ", task types " + types, started, stop);
    }

    static TaskHandler handler(String type) {
        return switch (type) {
            case "checksum" -> ctx -> {
                StringBuilder out = new StringBuilder();
                for (String name : ctx.task().files()) {
                    out.append(RunningNode.sha256(ctx.file(name))).append("  ").append(name).append('\n');
                }
                return out.toString().getBytes(StandardCharsets.UTF_8);
            };
            case "echo" -> ctx -> ctx.task().payload();
            default -> throw new picocli.CommandLine.ParameterException(new picocli.CommandLine(new ExecutorCommand()),
                    "unknown task type '" + type + "' (checksum, echo)");
        };
    }
}
