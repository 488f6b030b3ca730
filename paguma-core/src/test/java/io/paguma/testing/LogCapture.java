package io.paguma.testing;

import java.io.PrintStream;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Records the log lines of the test binding, slf4j-simple, which writes each record with one
 * {@code println(String)} on whatever {@code System.err} is at that moment (it does not cache the
 * stream). Lines still reach the original stream. Filter by something unique to the test: other
 * tests' servers may still be logging while this one runs.
 */
public final class LogCapture implements AutoCloseable {
    private final PrintStream original;
    private final List<String> lines = new CopyOnWriteArrayList<>();
    private final List<String> traces = new CopyOnWriteArrayList<>();

    private LogCapture() {
        original = System.err;
        System.setErr(new PrintStream(original, true) {
            @Override
            public void println(String line) {
                if (line != null) lines.add(line);
                super.println(line);
            }

            @Override
            public void println(Object x) {
                // Throwable.printStackTrace prints each line of a stack trace this way.
                if (x != null) traces.add(String.valueOf(x));
                super.println(x);
            }
        });
    }

    public static LogCapture start() {
        return new LogCapture();
    }

    /** The lines that contain every one of {@code parts}. */
    public List<String> lines(String... parts) {
        return lines.stream().filter(l -> Stream.of(parts).allMatch(l::contains)).collect(Collectors.toList());
    }

    /**
     * The lines of stack traces printed with log lines (not in {@link #lines}) that contain every
     * one of {@code parts}: a trace's first line is its throwable's {@code toString()}.
     */
    public List<String> traces(String... parts) {
        return traces.stream().filter(l -> Stream.of(parts).allMatch(l::contains)).collect(Collectors.toList());
    }

    /** The lines logged at {@code level} (ERROR, WARN, ...) that contain every one of {@code parts}. */
    public List<String> at(String level, String... parts) {
        return lines(parts).stream().filter(l -> l.contains(" " + level + " ")).collect(Collectors.toList());
    }

    @Override
    public void close() {
        System.setErr(original);
    }
}
