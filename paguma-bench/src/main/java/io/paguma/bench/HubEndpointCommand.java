package io.paguma.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.paguma.bench.hub.HubScenario;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * One side of a {@code bench hub} scenario in a JVM of its own (started by {@link HubCommand}).
 * {@code --role echo} prints {@code READY <port>} and echoes until stdin closes or says
 * {@code quit}; {@code --role client} runs the measured loop and prints {@code RESULT <json>}.
 */
@Command(name = "hub-endpoint", hidden = true, mixinStandardHelpOptions = true,
        description = "One side of a 'bench hub' scenario (started by 'bench hub').")
final class HubEndpointCommand implements Callable<Integer> {
    @Option(names = "--role", required = true, description = "echo or client") String role;
    @Option(names = "--scenario", required = true, description = "core or hub") String scenario;
    @Option(names = "--port", defaultValue = "0") int port;
    @Option(names = "--window", defaultValue = "64") int window;
    @Option(names = "--size", defaultValue = "64") int size;
    @Option(names = "--warmup", defaultValue = "5") double warmup;
    @Option(names = "--duration", defaultValue = "10") double duration;
    @Option(names = "--idle", defaultValue = "wait") String idle;

    @Override
    public Integer call() throws Exception {
        HubScenario.Idle how = HubScenario.Idle.parse(idle);
        if (role.equals("echo")) {
            try (HubScenario.Echo echo = HubScenario.startEcho(scenario, how);
                 BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
                System.out.println("READY " + echo.port());
                System.out.flush();
                String line;
                while ((line = in.readLine()) != null && !line.trim().equals("quit")) {
                    // Nothing else to answer.
                }
            }
            return 0;
        }
        if (!role.equals("client")) throw new IllegalArgumentException("--role must be echo or client, not " + role);
        HubScenario.Result r = HubScenario.run(scenario, port, window, size, warmup, duration, how);
        System.out.println("RESULT " + new ObjectMapper().writeValueAsString(r));
        System.out.flush();
        return r.failures() == 0 ? 0 : 1;
    }
}
