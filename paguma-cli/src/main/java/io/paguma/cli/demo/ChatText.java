package io.paguma.cli.demo;

/**
 * What the chat lets through: names and room names are checked, said text is cleaned, and a
 * client escapes whatever a server sends before printing it.
 *
 * <p>Everything the chat relays ends up on someone's terminal. A control character there is a
 * command (ESC starts a sequence that can clear the screen or recolour it, CR and LF fake new
 * lines), and a format character changes what is shown without being shown itself (a bidi
 * override reverses the rest of the line, a zero-width space makes "alice" and "al&#8203;ice" two
 * names that look the same). Lengths are counted in code points, and text is cut between them: a
 * cut between the two halves of a surrogate pair leaves a lone surrogate, which UTF-8 cannot
 * encode, so an emoji would arrive as {@code ?}.
 */
public final class ChatText {
    /** Stands in for a control character in said text, so the reader sees something was there. */
    static final char REPLACEMENT = '\uFFFD';

    private ChatText() {
    }

    /**
     * True if {@code name} is 1 to {@code max} code points, each a letter, mark, digit,
     * punctuation or symbol. That refuses spaces, controls, format characters (bidi controls,
     * zero-width characters, the BOM), line and paragraph separators, private-use and unassigned
     * code points, lone surrogates, and the Hangul fillers (letters that show as nothing).
     */
    public static boolean isName(String name, int max) {
        return isMadeOf(name, max, false);
    }

    /** As {@link #isName}, but plain spaces (U+0020) are allowed too. */
    public static boolean isRoomName(String room, int max) {
        return isMadeOf(room, max, true);
    }

    private static boolean isMadeOf(String s, int max, boolean spaces) {
        int count = s.codePointCount(0, s.length());
        if (count < 1 || count > max) return false;
        return s.codePoints().allMatch(cp -> (spaces && cp == ' ') || isVisible(cp));
    }

    private static boolean isVisible(int cp) {
        if (isHangulFiller(cp)) return false;
        return switch (Character.getType(cp)) {
            case Character.UPPERCASE_LETTER, Character.LOWERCASE_LETTER, Character.TITLECASE_LETTER,
                    Character.MODIFIER_LETTER, Character.OTHER_LETTER,
                    Character.NON_SPACING_MARK, Character.ENCLOSING_MARK, Character.COMBINING_SPACING_MARK,
                    Character.DECIMAL_DIGIT_NUMBER, Character.LETTER_NUMBER, Character.OTHER_NUMBER,
                    Character.CONNECTOR_PUNCTUATION, Character.DASH_PUNCTUATION, Character.START_PUNCTUATION,
                    Character.END_PUNCTUATION, Character.INITIAL_QUOTE_PUNCTUATION, Character.FINAL_QUOTE_PUNCTUATION,
                    Character.OTHER_PUNCTUATION,
                    Character.MATH_SYMBOL, Character.CURRENCY_SYMBOL, Character.MODIFIER_SYMBOL, Character.OTHER_SYMBOL -> true;
            default -> false; // Cc, Cf, Zs, Zl, Zp, Co, Cn and Cs (a lone surrogate)
        };
    }

    /** Letters (category Lo) that Unicode says are invisible; a name made of them looks empty. */
    private static boolean isHangulFiller(int cp) {
        return cp == 0x115F || cp == 0x1160 || cp == 0x3164 || cp == 0xFFA0;
    }

    /**
     * {@code text} made safe to show to others, cut to at most {@code max} code points. Controls
     * (C0 such as ESC, CR, LF and TAB; DEL; C1) and line and paragraph separators become U+FFFD;
     * format characters (bidi controls, zero-width characters, the BOM, the soft hyphen) are
     * invisible anyway and are removed, as are lone surrogates. Removed characters do not count
     * towards {@code max}.
     */
    public static String forOthers(String text, int max) {
        StringBuilder b = new StringBuilder(Math.min(text.length(), 2 * max));
        int count = 0;
        for (int i = 0; i < text.length() && count < max; ) {
            int cp = text.codePointAt(i);
            i += Character.charCount(cp);
            int type = Character.getType(cp);
            if (type == Character.FORMAT || type == Character.SURROGATE) continue;
            if (isControl(cp)) b.append(REPLACEMENT);
            else b.appendCodePoint(cp);
            count++;
        }
        return b.toString();
    }

    /**
     * {@code line} safe to print on a terminal, on one line: every control, format character,
     * line or paragraph separator and lone surrogate is written as a Java escape
     * (<code>&#92;u001b</code> for ESC). A client uses this on whatever a server sends; it does
     * not trust the server to have cleaned it.
     */
    public static String escapeForTerminal(String line) {
        StringBuilder b = new StringBuilder(line.length());
        for (int i = 0; i < line.length(); ) {
            int cp = line.codePointAt(i);
            i += Character.charCount(cp);
            int type = Character.getType(cp);
            if (isControl(cp) || type == Character.FORMAT || type == Character.SURROGATE) {
                for (char ch : Character.toChars(cp)) b.append(String.format("\\u%04x", (int) ch));
            } else {
                b.appendCodePoint(cp);
            }
        }
        return b.toString();
    }

    /** C0, DEL, C1, and the line and paragraph separators: all of them break or command a line. */
    private static boolean isControl(int cp) {
        int type = Character.getType(cp);
        return type == Character.CONTROL || type == Character.LINE_SEPARATOR || type == Character.PARAGRAPH_SEPARATOR;
    }
}
