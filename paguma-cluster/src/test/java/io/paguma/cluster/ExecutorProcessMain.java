package io.paguma.cluster;

import io.paguma.PagumaConfig;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * An executor in a process of its own, for {@link ExecutorProcessTest}: node {@code args[1]} with
 * an executor that runs task type "job" by printing "RUNNING <id>" and then waiting forever (it is
 * killed while it runs), registered with the registry node at {@code args[0]} (memberTtl
 * {@code args[2]} ms). Prints "READY" once started; runs until killed or its input closes.
 */
public final class ExecutorProcessMain {
    public static void main(String[] args) throws Exception {
        PagumaConfig config = Nodes.config().toBuilder()
                .set(new ClusterConfig(), ClusterConfig.REGISTRY, ClusterConfig.RegistryKind.NODE)
                .set(new ClusterConfig(), ClusterConfig.REGISTRY_ADDRESS, args[0])
                .set(new ClusterConfig(), ClusterConfig.SHARED_DATA, ClusterConfig.SharedDataKind.SERVICE)
                .set(new ClusterConfig(), ClusterConfig.MEMBER_TTL, Duration.ofMillis(Long.parseLong(args[2])))
                .build();
        Path dir = Files.createTempDirectory("executor-" + args[1]);
        Object forever = new Object();
        Executor e = Executor.builder().shareDir(dir).handler("job", ctx -> {
            System.out.println("RUNNING " + ctx.task().id());
            System.out.flush();
            synchronized (forever) {
                forever.wait();
            }
            return new byte[0];
        }).build();
        Daemon d = Daemon.builder().config(config).nodeId(args[1]).gateway(false).component(e).build().start();
        System.out.println("READY");
        System.out.flush();
        try {
            while (System.in.read() >= 0) {
                // runs until the parent closes our input or kills us
            }
        } catch (IOException ignored) {
            // parent gone
        }
        d.stop();
    }
}
