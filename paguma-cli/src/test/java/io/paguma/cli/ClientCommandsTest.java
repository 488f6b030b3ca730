package io.paguma.cli;

import io.paguma.PagumaConfig;
import io.paguma.Server;
import io.paguma.cli.demo.ChatRoom;
import io.paguma.cli.demo.DemoServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;

import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** {@code paguma send} and {@code paguma chat} against the real demo server. */
class ClientCommandsTest {

    private static Server demo(String codec, int port) {
        return DemoServer.build(PagumaConfig.builder().name("demo").host("127.0.0.1").port(port).codec(codec)
                .workerPoolSize(1).ioThreads(1).build()).start();
    }

    /** Runs {@code paguma args...}; returns exit code, standard output and standard error. */
    private static String[] run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cli = new CommandLine(new Main());
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        int code = Main.run(cli, args);
        return new String[]{String.valueOf(code), out.toString(), err.toString()};
    }

    @ParameterizedTest
    @ValueSource(strings = {"paguma", "tron", "ltv-le", "tlv-be"})
    void sendPrintsTheReplysPayload(String codec) {
        Server server = demo(codec, 0);
        try {
            String[] r = run("send", "--host", "127.0.0.1", "--port", String.valueOf(server.port()),
                    "--codec", codec, "--id", "1", "--data", "héllo");
            assertThat(r[2]).isEmpty();
            assertThat(r[1]).isEqualTo("héllo" + System.lineSeparator());
            assertThat(r[0]).isEqualTo("0");
        } finally {
            server.stop();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"paguma", "ltv-le"})
    void sendExitsNonZeroWhenNoReplyComes(String codec) {
        Server server = demo(codec, 0);
        try {
            String[] r = run("send", "--port", String.valueOf(server.port()), "--codec", codec,
                    "--id", "99", "--data", "anyone?", "--timeout", "300ms");
            assertThat(r[0]).isEqualTo("1");
            assertThat(r[1]).isEmpty();
            // paguma says at once that nothing routes id 99; a codec without a status leaves it to the timeout.
            assertThat(r[2]).contains("paguma send:").contains(codec.equals("paguma") ? "remote error 2 (no route)" : "timed out");
        } finally {
            server.stop();
        }
    }

    @Test
    void sendExitsNonZeroWhenNothingListens() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        String[] r = run("send", "--port", String.valueOf(port), "--id", "1", "--data", "x", "--timeout", "1s");
        assertThat(r[0]).isEqualTo("1");
        assertThat(r[2]).contains("paguma send: cannot connect to 127.0.0.1:" + port);
    }

    @Test
    void sendRefusesABadId() {
        String[] r = run("send", "--id", "minus one", "--data", "x");
        assertThat(r[0]).isEqualTo("2");
        assertThat(r[2]).contains("--id: expected an unsigned 32-bit integer");
    }

    @Test
    void chatJoinsTalksAndComesBackAfterTheServerRestarts() throws Exception {
        Server server = demo("ltv-le", 0);
        int port = server.port();
        PipedOutputStream typing = new PipedOutputStream();
        PipedInputStream input = new PipedInputStream(typing);
        StringWriter out = new StringWriter();
        CommandLine cli = new CommandLine(new Main());
        cli.setOut(new PrintWriter(out, true));
        ((ChatCommand) cli.getSubcommands().get("chat").getCommand()).input = input;
        CompletableFuture<Integer> chat = CompletableFuture.supplyAsync(() ->
                Main.run(cli, "chat", "--port", String.valueOf(port), "--name", "alice", "--room", "den"));
        try {
            await().atMost(Duration.ofSeconds(10)).until(() -> out.toString().contains("alice joined #den (1 here)"));
            typing.write("hello there\n".getBytes(StandardCharsets.UTF_8));
            typing.flush();
            await().atMost(Duration.ofSeconds(10)).until(() -> out.toString().contains("[den] alice: hello there"));

            server.stop();
            await().atMost(Duration.ofSeconds(10)).until(() -> out.toString().contains("* reconnecting in"));
            server = demo("ltv-le", port);
            // Back with the same name, in the same room.
            await().atMost(Duration.ofSeconds(15)).until(() ->
                    out.toString().split("alice joined #den \\(1 here\\)", -1).length == 3);
            typing.write("/quit\n".getBytes(StandardCharsets.UTF_8));
            typing.flush();
            assertThat(chat.get(10, TimeUnit.SECONDS)).isZero();
        } finally {
            typing.close();
            server.stop();
        }
    }

    /**
     * A client must not trust the server: a hostile one answers the name with a line that would
     * clear the screen, start new lines (a fake "* connected" line) and reverse the rest. The chat
     * prints it on one line with the controls written as escapes.
     */
    @Test
    void chatPrintsControlCharactersEscaped() throws Exception {
        String hostile = "hi\u001B[2J\r\n* connected to bank\u0085\u009B31m\u202Eevil\u2028THE END";
        Server server = Server.builder()
                .config(PagumaConfig.builder().name("hostile").host("127.0.0.1").port(0).codec("ltv-le")
                        .workerPoolSize(1).ioThreads(1).build())
                .route(ChatRoom.NICK, r -> r.reply(ChatRoom.EVENT, hostile))
                .build().start();
        PipedOutputStream typing = new PipedOutputStream();
        PipedInputStream input = new PipedInputStream(typing);
        StringWriter out = new StringWriter();
        CommandLine cli = new CommandLine(new Main());
        cli.setOut(new PrintWriter(out, true));
        ((ChatCommand) cli.getSubcommands().get("chat").getCommand()).input = input;
        CompletableFuture<Integer> chat = CompletableFuture.supplyAsync(() ->
                Main.run(cli, "chat", "--port", String.valueOf(server.port()), "--name", "alice"));
        try {
            String escaped = "hi\\u001b[2J\\u000d\\u000a* connected to bank\\u0085\\u009b31m\\u202eevil\\u2028THE END";
            await().atMost(Duration.ofSeconds(10)).until(() -> out.toString().contains("THE END"));
            typing.write("/quit\n".getBytes(StandardCharsets.UTF_8));
            typing.flush();
            assertThat(chat.get(10, TimeUnit.SECONDS)).isZero();
            assertThat(out.toString().lines()).contains(escaped);
            assertThat(out.toString().codePoints().filter(cp -> cp != '\n' && cp != '\r')
                    .filter(cp -> Character.isISOControl(cp) || Character.getType(cp) == Character.FORMAT
                            || cp == 0x2028 || cp == 0x2029))
                    .isEmpty();
        } finally {
            typing.close();
            server.stop();
        }
    }
}
