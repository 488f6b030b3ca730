package io.paguma.cli;

import io.paguma.PagumaConfig;
import io.paguma.cluster.Daemon;
import io.paguma.cluster.Executor;
import io.paguma.cluster.TransferListener;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

@Command(name = "fetch", mixinStandardHelpOptions = true,
        description = {"Fetches a file from an executor's shared directory (SPEC X8) into a directory here,",
                "with a progress bar on a terminal (plain lines when the output is piped). Joins the",
                "cluster as a short-lived executor to do it.",
                "  ./paguma fetch --config exe-a.yaml --from b videos/big.mp4 --to downloads"})
final class FetchCommand implements Callable<Integer> {
    @Option(names = "--config", paramLabel = "FILE", description = "A JSON or YAML config file (default: application.json/yaml here or in conf/, if any).")
    Path config;
    @Option(names = "--from", required = true, paramLabel = "PEER", description = "The executor (its node id) that has the file.")
    String from;
    @Option(names = "--to", paramLabel = "DIR", defaultValue = ".", description = "Where to put it, under its name (default: here).")
    Path to;
    @Parameters(paramLabel = "NAME", description = "The file's name, relative to the peer's shared directory.")
    String name;

    PrintStream out = System.out;
    boolean terminal = System.console() != null;

    @Override
    public Integer call() throws Exception {
        PagumaConfig cfg = config != null ? PagumaConfig.load(config) : PagumaConfig.load();
        Executor e = Executor.builder().shareDir(to).build();
        Daemon d = Daemon.builder().config(cfg).nodeId("fetch-" + Long.toHexString(System.nanoTime() & 0xFFFFFF))
                .gateway(false).component(e).build().start();
        try {
            Progress p = new Progress();
            long t0 = System.nanoTime();
            try {
                Path file = e.requestFile(from, name, p).get(1, TimeUnit.DAYS);
                p.end();
                double s = (System.nanoTime() - t0) / 1e9;
                long size = Files.size(file);
                out.printf(Locale.ROOT, "fetched %s (%s in %.1f s, %s/s)%n", file, bytes(size), s, bytes((long) (size / Math.max(s, 1e-3))));
                out.println("sha-256 " + RunningNode.sha256(file));
                return 0;
            } catch (ExecutionException x) {
                p.end();
                out.println("failed: " + x.getCause().getMessage());
                return 1;
            }
        } finally {
            d.stop();
        }
    }

    /** A bar redrawn in place on a terminal; a line every tenth of the file when piped. */
    final class Progress implements TransferListener {
        private final long t0 = System.nanoTime();
        private long size = -1;
        private int lastTenth = -1;
        private long lastDraw;
        private boolean drew;

        @Override
        public synchronized void started(long size, long offset) {
            this.size = size;
            if (!terminal) out.println("fetching " + name + " from " + from + ": " + bytes(size));
        }

        @Override
        public synchronized void resumed(long offset, String why) {
            if (drew) out.println();
            drew = false;
            out.println("resuming at " + bytes(offset) + ": " + why);
        }

        @Override
        public synchronized void progress(long bytes, long total) {
            double s = Math.max((System.nanoTime() - t0) / 1e9, 1e-3);
            double rate = bytes / s;
            if (terminal) {
                long now = System.nanoTime();
                if (bytes < total && now - lastDraw < 100_000_000L) return;
                lastDraw = now;
                int width = 30;
                int filled = total <= 0 ? width : (int) (width * bytes / total);
                String eta = rate <= 0 || total <= 0 ? "?" : secondsText((total - bytes) / rate);
                out.print("\r[" + "#".repeat(filled) + " ".repeat(width - filled) + "] "
                        + String.format(Locale.ROOT, "%3d%% %s/%s %s/s ETA %s   ", total <= 0 ? 100 : (int) (100 * bytes / total),
                        FetchCommand.bytes(bytes), FetchCommand.bytes(total), FetchCommand.bytes((long) rate), eta));
                out.flush();
                drew = true;
            } else {
                int tenth = total <= 0 ? 10 : (int) (10 * bytes / total);
                if (tenth == lastTenth) return;
                lastTenth = tenth;
                out.printf(Locale.ROOT, "%d%% %s of %s, %s/s%n", tenth * 10, FetchCommand.bytes(bytes), FetchCommand.bytes(total),
                        FetchCommand.bytes((long) rate));
            }
        }

        synchronized void end() {
            if (drew) out.println();
            drew = false;
        }
    }

    static String secondsText(double s) {
        if (s < 60) return String.format(Locale.ROOT, "%.0fs", s);
        return String.format(Locale.ROOT, "%dm%02ds", (long) s / 60, (long) s % 60);
    }

    static String bytes(long n) {
        if (n < 1024) return n + " B";
        if (n < 1024 * 1024) return String.format(Locale.ROOT, "%.1f KiB", n / 1024.0);
        if (n < 1024L * 1024 * 1024) return String.format(Locale.ROOT, "%.1f MiB", n / (1024.0 * 1024));
        return String.format(Locale.ROOT, "%.2f GiB", n / (1024.0 * 1024 * 1024));
    }
}
