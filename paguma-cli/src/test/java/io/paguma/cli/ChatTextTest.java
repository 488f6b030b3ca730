package io.paguma.cli;

import io.paguma.cli.demo.ChatText;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The cases of {@link ChatText} a socket cannot bring: UTF-8 from the wire never decodes to a lone
 * surrogate (a malformed sequence becomes U+FFFD), but a string cut or built in Java can hold one.
 */
class ChatTextTest {
    @Test
    void aLoneSurrogateIsNeverANameAndIsDroppedFromText() {
        assertThat(ChatText.isName("ali\uD83Dce", 32)).isFalse();
        assertThat(ChatText.isName("ali\uDE00ce", 32)).isFalse();
        assertThat(ChatText.isName("ali\uD83D\uDE00ce", 32)).isTrue();
        assertThat(ChatText.forOthers("a\uD83Db\uDE00c", 10)).isEqualTo("abc");
        assertThat(ChatText.escapeForTerminal("a\uD83Db")).isEqualTo("a\\ud83db");
    }

    @Test
    void supplementaryFormatCharactersAreEscapedAsTheirSurrogatePair() {
        // U+E0001 LANGUAGE TAG is a format character outside the BMP.
        assertThat(ChatText.escapeForTerminal("x\uDB40\uDC01y")).isEqualTo("x\\udb40\\udc01y");
    }

    @Test
    void plainTextIsLeftAlone() {
        String text = "h\u00E9llo w\u00F6rld, \u540D\u524D \uD83D\uDE00 (100%) \\n is not a newline";
        assertThat(ChatText.forOthers(text, 1000)).isEqualTo(text);
        assertThat(ChatText.escapeForTerminal(text)).isEqualTo(text);
    }
}
