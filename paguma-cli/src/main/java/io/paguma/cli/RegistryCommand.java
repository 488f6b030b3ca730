package io.paguma.cli;

import io.paguma.PagumaConfig;
import io.paguma.cluster.ClusterConfig;
import io.paguma.cluster.RegistryServer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;

@Command(name = "registry", mixinStandardHelpOptions = true,
        description = {"Runs the cluster's registry node (seed 002's Reg) until Ctrl+C: members join it with",
                "their info, heartbeat, and every view hears who comes, changes and goes.",
                "Listens on cluster.registryAddress (default 127.0.0.1:7700) unless --port says otherwise;",
                "members and views are dropped after cluster.memberTtl of silence (see docs/REGISTRY.md).",
                "  ./paguma registry",
                "  ./paguma registry --config cluster.yaml --port 7701",
                "Exit status: 0 once stopped, 2 on bad options or when the port cannot be bound."})
final class RegistryCommand implements Callable<Integer> {
    @Option(names = "--config", paramLabel = "FILE",
            description = "A JSON or YAML config file (default: application.json/yaml here or in conf/, if any).")
    Path config;

    @Option(names = "--port", paramLabel = "N", description = "The port to listen on instead of cluster.registryAddress's (0: any free one).")
    Integer port;

    @Spec
    CommandSpec spec;

    /** The running node, for tests that stop it; null before it listens. */
    volatile RegistryServer server;

    @Override
    public Integer call() {
        if (port != null && (port < 0 || port > 65535)) {
            throw new ParameterException(spec.commandLine(), "--port: must be 0..65535, got " + port);
        }
        PagumaConfig cfg = config != null ? PagumaConfig.load(config, new ClusterConfig()) : PagumaConfig.load(new ClusterConfig());
        RegistryServer.Builder b = RegistryServer.builder().config(cfg);
        if (port != null) {
            b.port(port);
        }
        RegistryServer node = b.build().start();
        server = node;
        PrintWriter out = spec.commandLine().getOut();
        out.println("registry node listening on " + node.address() + " (memberTtl " + node.memberTtl().toMillis()
                + " ms); Ctrl+C stops it");
        out.flush();
        node.serve();
        out.println("registry node stopped");
        out.flush();
        return 0;
    }
}
