package io.paguma.bench;

import java.util.Arrays;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code ./paguma bench <command>}: the benchmark tools. {@code jmh} hands the rest of the
 * command line to JMH's own runner.
 */
@Command(name = "paguma bench", mixinStandardHelpOptions = true,
        description = "Paguma benchmarks: servers under test, load generator, side-by-side comparison, JMH.",
        footer = {"", "  jmh      Run the JMH codec micro-benchmarks; the rest of the line goes to JMH,",
                "           e.g. 'jmh CodecBenchmark -prof gc' ('jmh -h' for its options).",
                "", "Method and latest figures: docs/PERFORMANCE.md"},
        subcommands = {ServerCommand.class, LoadCommand.class, CompareCommand.class, SuiteCommand.class, RequestCommand.class,
                HubCommand.class, HubEndpointCommand.class, NodeHopCommand.class, RedisBenchCommand.class, FilesBenchCommand.class,
                TasksBenchCommand.class, BacklogCommand.class})
public final class BenchMain implements Runnable {

    public static void main(String[] args) throws Exception {
        if (args.length > 0 && args[0].equals("jmh")) {
            org.openjdk.jmh.Main.main(Arrays.copyOfRange(args, 1, args.length));
            return;
        }
        CommandLine cl = new CommandLine(new BenchMain());
        cl.setExecutionExceptionHandler((e, cmd, parsed) -> {
            if (e instanceof IllegalArgumentException || e instanceof IllegalStateException) {
                cmd.getErr().println("paguma bench: " + e.getMessage());
                return 2;
            }
            throw e;
        });
        System.exit(cl.execute(args));
    }

    @Override
    public void run() {
        new CommandLine(this).usage(System.out);
    }
}
