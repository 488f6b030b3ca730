package io.paguma.cli;

import io.paguma.Message;
import io.paguma.PagumaConfig;
import io.paguma.Server;
import io.paguma.cli.demo.ChatRoom;
import io.paguma.cli.demo.DemoServer;
import io.paguma.testing.FrameSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

class DemoServerTest {
    private Server server;

    @BeforeEach
    void start() {
        server = DemoServer.build(PagumaConfig.builder().host("127.0.0.1").port(0).name("demo").build()).start();
    }

    @AfterEach
    void stop() {
        server.stop();
    }

    private static String event(FrameSocket s) throws IOException {
        Message m = s.read();
        assertThat(m.id()).isEqualTo(ChatRoom.EVENT);
        return m.text();
    }

    @Test
    void echoesOnIdOne() throws IOException {
        try (FrameSocket s = FrameSocket.connect(server.port())) {
            s.send(DemoServer.ECHO, "hello");
            Message m = s.read();
            assertThat(m.id()).isEqualTo(DemoServer.ECHO);
            assertThat(m.text()).isEqualTo("hello");
        }
    }

    @Test
    void chatRoomBroadcastsJoinSayAndLeave() throws IOException {
        try (FrameSocket alice = FrameSocket.connect(server.port()); FrameSocket bob = FrameSocket.connect(server.port())) {
            alice.send(ChatRoom.NICK, "alice");
            assertThat(event(alice)).isEqualTo("you are now alice");
            alice.send(ChatRoom.JOIN, "lobby");
            assertThat(event(alice)).isEqualTo("alice joined #lobby (1 here)");

            bob.send(ChatRoom.SAY, "anyone?");
            assertThat(event(bob)).isEqualTo("join a room first (message 11)");
            bob.send(ChatRoom.NICK, "bob");
            assertThat(event(bob)).isEqualTo("you are now bob");
            bob.send(ChatRoom.JOIN, "lobby");
            assertThat(event(bob)).isEqualTo("bob joined #lobby (2 here)");
            assertThat(event(alice)).isEqualTo("bob joined #lobby (2 here)");

            alice.send(ChatRoom.SAY, "hi bob");
            assertThat(event(alice)).isEqualTo("[lobby] alice: hi bob");
            assertThat(event(bob)).isEqualTo("[lobby] alice: hi bob");

            bob.send(ChatRoom.LEAVE, "");
            assertThat(event(alice)).isEqualTo("bob left #lobby");
            assertThat(event(bob)).isEqualTo("you left #lobby");

            bob.send(ChatRoom.JOIN, "lobby");
            assertThat(event(alice)).isEqualTo("bob joined #lobby (2 here)");
            assertThat(event(bob)).isEqualTo("bob joined #lobby (2 here)");
            bob.close();
            assertThat(event(alice)).isEqualTo("bob left (disconnected) #lobby");
        }
    }

    @Test
    void badNamesAreRefused() throws IOException {
        try (FrameSocket s = FrameSocket.connect(server.port())) {
            s.send(ChatRoom.NICK, "two words");
            assertThat(event(s)).startsWith("a name is 1 to 32 visible characters");
            s.send(ChatRoom.LEAVE, "");
            assertThat(event(s)).isEqualTo("you are not in a room");
        }
    }

    @Test
    void printsHowToConnect() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        DemoCommand.printHowToConnect(new PrintStream(out, true, StandardCharsets.UTF_8), server);
        String text = out.toString(StandardCharsets.UTF_8);
        assertThat(text).contains("port " + server.port()).contains("codec ltv-le")
                .contains("struct.pack('<II',len(d),1)+d").contains("Ctrl+C");
    }

    @Test
    void aBadConfigValueIsReportedWithoutAStackTrace() {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream old = System.err;
        int code;
        System.setProperty("paguma.port", "not-a-port");
        try {
            picocli.CommandLine cli = new picocli.CommandLine(new Main());
            cli.setErr(new java.io.PrintWriter(err, true));
            code = Main.run(cli, "demo");
        } finally {
            System.clearProperty("paguma.port");
            System.setErr(old);
        }
        assertThat(code).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8))
                .contains("paguma: port (from system property paguma.port): expected an integer, got 'not-a-port'");
    }
}
