package io.paguma.cli;

import io.paguma.cluster.Daemon;

import java.util.concurrent.CountDownLatch;

/**
 * What the commands that run a node until Ctrl+C share: the shutdown hook that stops the node in
 * order, the lines that say what runs, and the latches tests wait on.
 */
final class RunningNode {
    private RunningNode() {
    }

    /**
     * Prints {@code banner} (then "Press Ctrl+C to stop."), counts {@code started} down, and waits
     * for {@code stop} (counted down by the shutdown hook, or by a test); then stops the node.
     */
    static int runUntilStopped(Daemon d, String banner, CountDownLatch started, CountDownLatch stop) throws InterruptedException {
        Thread hook = new Thread(() -> {
            stop.countDown();
            d.stop();
        }, "paguma-" + d.id() + "-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        System.out.println();
        System.out.println(banner);
        System.out.println("Press Ctrl+C to stop.");
        System.out.println();
        System.out.flush();
        started.countDown();
        stop.await();
        d.stop();
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException shuttingDown) {
            // the hook is running
        }
        return 0;
    }

    /** The SHA-256 of {@code file}, as lowercase hex. */
    static String sha256(java.nio.file.Path file) throws Exception {
        java.security.MessageDigest md = java.security.MessageDigest.getInstance("SHA-256");
        try (var in = java.nio.file.Files.newInputStream(file)) {
            byte[] buf = new byte[1 << 16];
            for (int n; (n = in.read(buf)) > 0; ) md.update(buf, 0, n);
        }
        return java.util.HexFormat.of().formatHex(md.digest());
    }
}
