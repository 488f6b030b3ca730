package io.paguma.cli;

import io.paguma.PagumaConfig;
import io.paguma.cli.demo.ClusterChat;
import io.paguma.cluster.Daemon;
import io.paguma.cluster.Service;
import io.paguma.cluster.SharedDataService;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

@Command(name = "node", mixinStandardHelpOptions = true,
        description = {"Runs a cluster node (seed 003's daemon): a gateway for clients and the services chosen,",
                "joined to the cluster that section cluster: of the config names (see docs/CLUSTER.md).",
                "  ./paguma node --config node-a.yaml",
                "Services: chat (the demo's chat room, for ./paguma chat), shared-data (hosts the",
                "cluster's shared data for nodes with cluster.sharedData: service).",
                "Ctrl+C stops it in order: the gateway first, then the services, then it leaves the cluster."})
final class NodeCommand implements Callable<Integer> {
    @Option(names = "--config", paramLabel = "FILE", description = "A JSON or YAML config file (default: application.json/yaml here or in conf/, if any).")
    Path config;

    @Option(names = "--services", split = ",", paramLabel = "NAME", defaultValue = "chat",
            description = "The services to run, comma-separated (default: ${DEFAULT-VALUE}).")
    List<String> services;

    /** Counted down once the node has started (tests wait on it). */
    final CountDownLatch started = new CountDownLatch(1);
    /** Counted down to stop the node (tests; Ctrl+C stops it through the shutdown hook). */
    final CountDownLatch stop = new CountDownLatch(1);
    volatile Daemon daemon;

    @Override
    public Integer call() throws InterruptedException {
        PagumaConfig cfg = config != null ? PagumaConfig.load(config) : PagumaConfig.load();
        Daemon.Builder b = Daemon.builder().config(cfg);
        for (String s : services) {
            b.service(service(s.strip()));
        }
        Daemon d = b.build().start();
        daemon = d;
        return RunningNode.runUntilStopped(d, "Paguma node " + d.id() + ": gateway "
                + (d.gatewayAddress() == null ? "(websocket only)" : d.gatewayAddress()) + ", node port " + d.nodePort()
                + ", services " + services + "\n  chat with: ./paguma chat --port "
                + (d.gatewayAddress() == null ? "?" : d.gatewayAddress().getPort()) + " --name alice", started, stop);
    }

    static Service service(String name) {
        return switch (name) {
            case "chat" -> new ClusterChat();
            case "shared-data" -> new SharedDataService();
            default -> throw new picocli.CommandLine.ParameterException(new picocli.CommandLine(new NodeCommand()),
                    "unknown service '" + name + "' (chat, shared-data)");
        };
    }
}
