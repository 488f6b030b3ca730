package io.paguma.internal;

import org.slf4j.Logger;

/**
 * Logging what user code threw, when that throwable itself may be broken: an exception whose
 * {@code toString} or {@code getMessage} throws must not escape the catch that logs it (it would
 * end a worker thread and stall every connection on it).
 */
public final class Failures {
    private Failures() {
    }

    /** {@code t.toString()}, or its class name when that throws. */
    public static String describe(Throwable t) {
        try {
            return String.valueOf(t);
        } catch (Throwable broken) {
            return t.getClass().getName() + " (its toString threw " + broken.getClass().getName() + ")";
        }
    }

    /** Logs {@code line} with {@code t}'s stack trace, or without it when printing the trace throws. */
    public static void warn(Logger log, String line, Throwable t) {
        try {
            log.warn(line, t);
        } catch (Throwable broken) {
            log.warn(line + " (stack trace not printable: " + broken.getClass().getName() + ")");
        }
    }

    /** As {@link #warn}, at ERROR. */
    public static void error(Logger log, String line, Throwable t) {
        try {
            log.error(line, t);
        } catch (Throwable broken) {
            log.error(line + " (stack trace not printable: " + broken.getClass().getName() + ")");
        }
    }
}
