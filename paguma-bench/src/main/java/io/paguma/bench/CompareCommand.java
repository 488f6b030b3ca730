package io.paguma.bench;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Unmatched;

/** {@code ./paguma bench compare}: baseline and Paguma side by side, in separate pinned JVMs. */
@Command(name = "compare", mixinStandardHelpOptions = true,
        description = {"Run the raw-Netty baseline and Paguma one after the other, alternating, and print the ratio.",
                "Options not listed here go to the load client (see 'load --help'), e.g. -c 100 -s 128 -d 16 --duration 10."})
final class CompareCommand implements Callable<Integer> {
    @Option(names = "--targets", defaultValue = "netty,paguma:pool=0,paguma",
            description = "comma-separated: netty, paguma (default pool), paguma:pool=N; a paguma one +zc for zeroCopy, +admin with the admin endpoint") String targets;
    @Option(names = "--rounds", defaultValue = "3") int rounds;
    @Option(names = "--server-cpus", defaultValue = "0", description = "taskset CPU list for servers; none = no pinning") String serverCpus;
    @Option(names = "--client-cpus", defaultValue = "1", description = "taskset CPU list for load clients") String clientCpus;
    @Option(names = "--server-jvm", defaultValue = "-Xms1g -Xmx1g", description = "JVM options of the server processes") String serverJvm;
    @Option(names = "--client-jvm", defaultValue = "-Xms1g -Xmx1g", description = "JVM options of the client processes") String clientJvm;
    @Option(names = "--out-dir", defaultValue = "bench-results", description = "where each run's JSON goes") Path outDir;
    @Unmatched List<String> loadArgs = new ArrayList<>();

    @Override
    public Integer call() throws Exception {
        Runner runner = new Runner(System.out, serverCpus, clientCpus, serverJvm, clientJvm, outDir);
        List<Runner.Target> list = new ArrayList<>();
        for (String t : targets.split(",")) list.add(Runner.Target.parse(t));
        Comparison c = Comparison.run(runner, System.out, "compare, " + runner.pinning(), list, rounds, loadArgs);
        for (Runner.Target t : list) if (c.failures(t) > 0) return 1;
        return 0;
    }
}
