package io.paguma.cli;

import io.paguma.ConfigException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code paguma} command. */
@Command(name = "paguma", mixinStandardHelpOptions = true, version = "paguma 0.2.0-SNAPSHOT",
        description = "Paguma: a Zinx-style TCP server framework on Netty.",
        subcommands = {DemoCommand.class, ChatCommand.class, SendCommand.class, HubDemoCommand.class,
                NodeCommand.class, RegistryCommand.class, ExecutorCommand.class, TaskCommand.class, FetchCommand.class})
public final class Main implements Runnable {

    public static void main(String[] args) {
        System.exit(run(args));
    }

    static int run(String... args) {
        return run(new CommandLine(new Main()), args);
    }

    static int run(CommandLine cli, String... args) {
        cli.setExecutionExceptionHandler((e, commandLine, parsed) -> {
            if (e instanceof ConfigException || e instanceof IllegalStateException) {
                commandLine.getErr().println("paguma: " + e.getMessage());
                return 2;
            }
            throw e;
        });
        return cli.execute(args);
    }

    @Override
    public void run() {
        new CommandLine(this).usage(System.out);
    }
}
