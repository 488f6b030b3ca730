package io.paguma.cli;

import io.paguma.Client;
import io.paguma.ClientListener;
import io.paguma.Connection;
import io.paguma.cli.demo.ChatRoom;
import io.paguma.cli.demo.ChatText;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

@Command(name = "chat", mixinStandardHelpOptions = true,
        description = {"An interactive client for the demo's chat room (./paguma demo).",
                "Type a line to say it; /join ROOM, /nick NAME, /leave, /quit.",
                "If the server goes away it reconnects, and sets the name and room again.",
                "  ./paguma chat --name alice"})
final class ChatCommand implements Callable<Integer> {
    @Mixin
    ClientOptions options;

    @Option(names = "--name", required = true, paramLabel = "NAME", description = "Your name in the room.")
    String name;

    @Option(names = "--room", paramLabel = "ROOM", defaultValue = "lobby", description = "The room to join (default: ${DEFAULT-VALUE}).")
    String room;

    @Spec
    CommandSpec spec;

    /** Where the lines typed come from; standard input unless a test sets it. */
    InputStream input = System.in;

    /** The last line sent: quitting waits (briefly) for it, so piped input is not cut off. */
    private volatile java.util.concurrent.CompletableFuture<Void> lastSend = java.util.concurrent.CompletableFuture.completedFuture(null);
    private volatile String currentName;
    private volatile String currentRoom;

    @Override
    public Integer call() throws IOException {
        ClientOptions.quietClientLog();
        PrintWriter out = spec.commandLine().getOut();
        currentName = name;
        currentRoom = room;
        Client client = Client.builder()
                .config(options.configBuilder()
                        .reconnectBase(Duration.ofSeconds(1)).reconnectMaxDelay(Duration.ofSeconds(10))
                        .offlineQueueSize(100).build())
                // Whatever the server sends is escaped: a control character would be obeyed by the terminal.
                .route(ChatRoom.EVENT, r -> print(out, ChatText.escapeForTerminal(r.text())))
                .onConnStart(c -> {
                    // Every (re)connection starts as a guest: say who we are and where we were.
                    c.send(ChatRoom.NICK, currentName);
                    if (currentRoom != null) c.send(ChatRoom.JOIN, currentRoom);
                })
                .listener(new ClientListener() {
                    @Override
                    public void connected(Connection connection) {
                        print(out, "* connected to " + format(connection));
                    }

                    @Override
                    public void disconnected(Connection connection) {
                        print(out, "* connection lost");
                    }

                    @Override
                    public void reconnecting(int attempt, Duration delay, Throwable cause) {
                        print(out, "* reconnecting in " + delay.toMillis() + " ms (attempt " + attempt + ")");
                    }

                    @Override
                    public void gaveUp(int attempts, Throwable lastCause) {
                        print(out, "* gave up after " + attempts + " attempts: " + lastCause.getMessage());
                    }
                })
                .build();
        print(out, "* connecting to " + client.host() + ":" + client.port()
                + " as " + name + " (type /quit to leave)");
        client.connect();
        try (BufferedReader in = new BufferedReader(new InputStreamReader(input, StandardCharsets.UTF_8))) {
            String line;
            while ((line = in.readLine()) != null) {
                if (!handle(client, out, line.strip())) break;
            }
        } finally {
            // Lines typed (or piped) before the connection was up wait in the offline queue: let them go out.
            lastSend.handle((v, e) -> null).completeOnTimeout(null, 5, TimeUnit.SECONDS).join();
            client.close().orTimeout(10, TimeUnit.SECONDS).exceptionally(e -> null).join();
        }
        return 0;
    }

    /** One typed line; false to quit. */
    private boolean handle(Client client, PrintWriter out, String line) {
        if (line.isEmpty()) return true;
        if (line.equals("/quit")) return false;
        if (line.startsWith("/join ")) {
            currentRoom = line.substring(6).strip();
            send(client, out, ChatRoom.JOIN, currentRoom);
        } else if (line.startsWith("/nick ")) {
            currentName = line.substring(6).strip();
            send(client, out, ChatRoom.NICK, currentName);
        } else if (line.equals("/leave")) {
            currentRoom = null;
            send(client, out, ChatRoom.LEAVE, "");
        } else if (line.startsWith("/")) {
            print(out, "* commands: /join ROOM, /nick NAME, /leave, /quit; anything else is said to the room");
        } else {
            send(client, out, ChatRoom.SAY, line);
        }
        return true;
    }

    private void send(Client client, PrintWriter out, int id, String text) {
        lastSend = client.send(id, text).exceptionally(e -> {
            print(out, "* not sent: " + SendCommand.rootMessage(e));
            return null;
        });
    }

    private static String format(Connection c) {
        return c.remoteAddress().getHostString() + ":" + c.remoteAddress().getPort();
    }

    private static void print(PrintWriter out, String line) {
        synchronized (out) {
            out.println(line);
            out.flush();
        }
    }
}
