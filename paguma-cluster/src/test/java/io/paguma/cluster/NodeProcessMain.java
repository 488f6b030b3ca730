package io.paguma.cluster;

import io.paguma.PagumaConfig;

import java.io.IOException;
import java.time.Duration;

/**
 * A cluster node in a process of its own, for {@link ClusterProcessTest}: node {@code args[1]}
 * running service "store" ({@link DaemonTest.Store}) with no gateway, registered with the registry
 * node at {@code args[0]} (memberTtl {@code args[2]} ms). Prints "READY" once started; runs until
 * killed or its standard input closes.
 */
public final class NodeProcessMain {
    public static void main(String[] args) throws IOException {
        PagumaConfig config = PagumaConfig.builder().port(0).codec("paguma").ioThreads(1).workerPoolSize(2)
                .set(new ClusterConfig(), ClusterConfig.REGISTRY, ClusterConfig.RegistryKind.NODE)
                .set(new ClusterConfig(), ClusterConfig.REGISTRY_ADDRESS, args[0])
                .set(new ClusterConfig(), ClusterConfig.SHARED_DATA, ClusterConfig.SharedDataKind.SERVICE)
                .set(new ClusterConfig(), ClusterConfig.MEMBER_TTL, Duration.ofMillis(Long.parseLong(args[2])))
                .build();
        Daemon d = Daemon.builder().config(config).nodeId(args[1]).gateway(false).service(new DaemonTest.Store()).build().start();
        System.out.println("READY");
        System.out.flush();
        while (System.in.read() >= 0) {
            // runs until the parent closes our input or kills us
        }
        d.stop();
    }
}
