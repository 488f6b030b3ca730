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
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

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

    /** Alice and bob, both in #lobby, with the join events read. */
    private static void aliceAndBobInTheLobby(FrameSocket alice, FrameSocket bob) throws IOException {
        alice.send(ChatRoom.NICK, "alice");
        assertThat(event(alice)).isEqualTo("you are now alice");
        alice.send(ChatRoom.JOIN, "lobby");
        assertThat(event(alice)).isEqualTo("alice joined #lobby (1 here)");
        bob.send(ChatRoom.NICK, "bob");
        assertThat(event(bob)).isEqualTo("you are now bob");
        bob.send(ChatRoom.JOIN, "lobby");
        assertThat(event(bob)).isEqualTo("bob joined #lobby (2 here)");
        assertThat(event(alice)).isEqualTo("bob joined #lobby (2 here)");
    }

    /**
     * Names that look like someone else's, or that reorder or hide the text around them: bidi
     * overrides, embeddings and isolates, zero-width characters, the BOM, controls, other spaces,
     * line separators, private use, unassigned code points and the Hangul fillers (letters that
     * show as nothing).
     */
    @ParameterizedTest
    @ValueSource(strings = {
            "ali\u202Eecila", "ali\u202Dce", "ali\u202Ace", "ali\u202Bce", "ali\u202Cce",
            "ali\u2066ce", "ali\u2067ce", "ali\u2068ce", "ali\u2069ce",
            "ali\u200Bce", "ali\u200Cce", "ali\u200Dce", "ali\u200Ece", "ali\u200Fce", "ali\uFEFFce",
            "ali\u00ADce", "ali\u001B[2Jce", "ali\u0085ce", "ali\u009Bce", "ali\u00A0ce", "ali\u3000ce",
            "ali\u2028ce", "ali\u2029ce", "ali\uE000ce", "ali\u0378ce", "\u3164", "ali\u3164ce"})
    void nickWithBidiOverrideOrInvisibleCharactersIsRefused(String name) throws IOException {
        try (FrameSocket s = FrameSocket.connect(server.port())) {
            s.send(ChatRoom.NICK, name);
            assertThat(event(s)).startsWith("a name is 1 to 32 visible characters");
        }
    }

    @Test
    void nickLengthIsCountedInCodePoints() throws IOException {
        try (FrameSocket s = FrameSocket.connect(server.port())) {
            String thirtyTwoEmoji = "\uD83D\uDE00".repeat(32);
            s.send(ChatRoom.NICK, thirtyTwoEmoji);
            assertThat(event(s)).isEqualTo("you are now " + thirtyTwoEmoji);
            s.send(ChatRoom.NICK, "zo\u00EB-\u540D\u524D!");
            assertThat(event(s)).isEqualTo("you are now zo\u00EB-\u540D\u524D!");
            s.send(ChatRoom.NICK, thirtyTwoEmoji + "x");
            assertThat(event(s)).startsWith("a name is 1 to 32 visible characters");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"den\u001B[2J", "den\nfake line", "den\u202E", "den\u200B", "den\u2028x", "\u00A0"})
    void roomNameWithControlOrInvisibleCharactersIsRefused(String room) throws IOException {
        try (FrameSocket s = FrameSocket.connect(server.port())) {
            s.send(ChatRoom.JOIN, room);
            assertThat(event(s)).startsWith("a room name is 1 to 32");
            s.send(ChatRoom.JOIN, "coffee corner");
            assertThat(event(s)).startsWith("guest-").endsWith(" joined #coffee corner (1 here)");
        }
    }

    /**
     * Controls (C0 including ESC, CR, LF and TAB; DEL; C1) and line or paragraph separators arrive
     * as U+FFFD, so the reader sees that something was there and a terminal gets nothing to obey.
     * Format characters (bidi controls, zero-width characters, the BOM, the soft hyphen) are
     * invisible anyway and are removed.
     */
    @Test
    void controlCharactersInTextNeverReachOtherUsers() throws IOException {
        try (FrameSocket alice = FrameSocket.connect(server.port()); FrameSocket bob = FrameSocket.connect(server.port())) {
            aliceAndBobInTheLobby(alice, bob);
            alice.send(ChatRoom.SAY, "a\u001B[2Jb\r\nc\td\u0000e\u007Ff\u0085g\u009Bh\u2028i\u2029j");
            String expected = "[lobby] alice: a\uFFFD[2Jb\uFFFD\uFFFDc\uFFFDd\uFFFDe\uFFFDf\uFFFDg\uFFFDh\uFFFDi\uFFFDj";
            assertThat(event(alice)).isEqualTo(expected);
            assertThat(event(bob)).isEqualTo(expected);

            alice.send(ChatRoom.SAY, "\u202Eevil\u202C \u2066x\u2069 y\u200Bz\uFEFF\u00AD!");
            assertThat(event(alice)).isEqualTo("[lobby] alice: evil x yz!");
            assertThat(event(bob)).isEqualTo("[lobby] alice: evil x yz!");
        }
    }

    @Test
    void longTextIsCutOnACodePointBoundary() throws IOException {
        try (FrameSocket alice = FrameSocket.connect(server.port()); FrameSocket bob = FrameSocket.connect(server.port())) {
            aliceAndBobInTheLobby(alice, bob);
            // 1,004 code points; 1,000 UTF-16 chars would end between the emoji's two surrogates.
            String emoji = "\uD83D\uDE00";
            alice.send(ChatRoom.SAY, "a".repeat(999) + emoji + "tail");
            String received = event(bob);
            assertThat(received).isEqualTo("[lobby] alice: " + "a".repeat(999) + emoji);
            assertThat(received).doesNotContain("?", "\uFFFD");

            // The limit is 1,000 code points, not 1,000 chars: 1,001 emoji arrive as 1,000.
            alice.send(ChatRoom.SAY, emoji.repeat(1001));
            assertThat(event(bob)).isEqualTo("[lobby] alice: " + emoji.repeat(1000));
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
