package io.paguma.bench.load;

import java.io.PrintStream;
import java.util.Locale;

/** The live line: elapsed time, msgs/s, p99 of the last second, errors. */
final class Progress {
    private final PrintStream out;
    private final boolean enabled;
    private final boolean terminal = System.console() != null;
    private boolean open;

    Progress(PrintStream out, boolean enabled) {
        this.out = out;
        this.enabled = enabled;
    }

    void line(String phase, long elapsedNanos, double msgsPerSec, double p99Millis, long errors, long mismatches) {
        if (!enabled) return;
        String p99 = p99Millis < 0 ? "      -" : String.format(Locale.ROOT, "%7.2f", p99Millis);
        String text = String.format(Locale.ROOT, "[%6.1fs] %-7s %,12.0f msg/s  p99 %s ms  errors %d  mismatches %d",
                elapsedNanos / 1e9, phase, msgsPerSec, p99, errors, mismatches);
        if (terminal) {
            out.print("\r" + text + "   ");
            open = true;
        } else {
            out.println(text);
        }
        out.flush();
    }

    void done() {
        if (open) out.println();
        open = false;
    }
}
