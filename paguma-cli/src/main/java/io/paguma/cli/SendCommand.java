package io.paguma.cli;

import io.paguma.Client;
import io.paguma.Connection;
import io.paguma.Message;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

@Command(name = "send", mixinStandardHelpOptions = true,
        description = {"Sends one message and prints the payload of the reply.",
                "With a codec that carries sequence ids (paguma, tron) this is a request matched",
                "to its reply; with one that does not (ltv-le, tlv-be, length-prefix) the first",
                "message that comes back on the same id is taken as the reply.",
                "Exit status: 0 with a reply, 1 on a connection error or timeout, 2 on bad options.",
                "  ./paguma send --id 1 --data hello"})
final class SendCommand implements java.util.concurrent.Callable<Integer> {
    @Mixin
    ClientOptions options;

    @Option(names = "--id", required = true, paramLabel = "N", description = "The message id (unsigned 32-bit).")
    String id;

    @Option(names = "--data", required = true, paramLabel = "TEXT", description = "The payload, sent as UTF-8.")
    String data;

    @Option(names = "--timeout", paramLabel = "DURATION", defaultValue = "5s",
            description = "How long to wait for the connection and then for the reply (default: ${DEFAULT-VALUE}).")
    String timeout;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws InterruptedException {
        ClientOptions.quietClientLog();
        int messageId;
        try {
            messageId = Integer.parseUnsignedInt(id);
        } catch (NumberFormatException e) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--id: expected an unsigned 32-bit integer, got '" + id + "'");
        }
        Duration wait;
        try {
            wait = io.paguma.ConfigKey.duration("timeout", Duration.ZERO).parse(timeout);
        } catch (IllegalArgumentException e) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--timeout: " + e.getMessage());
        }
        CompletableFuture<Message> firstOnId = new CompletableFuture<>();
        Client client = Client.builder()
                .config(options.configBuilder().reconnect(false).connectTimeout(wait).build())
                .route(messageId, r -> firstOnId.complete(r.message()))
                .build();
        String where = client.host() + ":" + client.port();
        try {
            Connection c;
            try {
                c = client.connect().get(wait.toMillis() + 1000, TimeUnit.MILLISECONDS);
            } catch (ExecutionException | TimeoutException e) {
                return fail("cannot connect to " + where + ": " + rootMessage(e));
            }
            byte[] payload = data.getBytes(StandardCharsets.UTF_8);
            CompletableFuture<Message> reply;
            if (client.codec().hasSequence()) {
                reply = c.request(messageId, payload, wait);
            } else {
                c.send(messageId, payload);
                reply = firstOnId.orTimeout(wait.toMillis(), TimeUnit.MILLISECONDS);
            }
            Message m;
            try {
                m = reply.get();
            } catch (ExecutionException e) {
                if (e.getCause() instanceof TimeoutException) {
                    return fail("no reply on message id " + Integer.toUnsignedString(messageId) + " from " + where
                            + " within " + wait.toMillis() + " ms (timed out)");
                }
                return fail("request to " + where + " failed: " + rootMessage(e));
            }
            spec.commandLine().getOut().println(new String(m.data(), StandardCharsets.UTF_8));
            spec.commandLine().getOut().flush();
            return 0;
        } finally {
            client.close().orTimeout(10, TimeUnit.SECONDS).exceptionally(e -> null).join();
        }
    }

    private int fail(String message) {
        spec.commandLine().getErr().println("paguma send: " + message);
        spec.commandLine().getErr().flush();
        return 1;
    }

    static String rootMessage(Throwable e) {
        Throwable t = e;
        while ((t instanceof ExecutionException || t instanceof CompletionException) && t.getCause() != null) t = t.getCause();
        return t.getMessage() != null ? t.getMessage() : t.getClass().getSimpleName();
    }
}
