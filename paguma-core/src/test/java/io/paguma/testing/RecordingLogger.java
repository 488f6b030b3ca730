package io.paguma.testing;

import org.slf4j.Marker;
import org.slf4j.event.Level;
import org.slf4j.helpers.LegacyAbstractLogger;
import org.slf4j.helpers.MessageFormatter;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;

/** An SLF4J logger that keeps what it is given, for unit tests of code that takes a Logger. */
public final class RecordingLogger extends LegacyAbstractLogger {
    /** One logged line. */
    public record Line(Level level, String text, Throwable cause) {
    }

    private final List<Line> lines = new CopyOnWriteArrayList<>();

    public RecordingLogger() {
        this.name = "recording";
    }

    public List<Line> lines() {
        return List.copyOf(lines);
    }

    public List<String> texts() {
        return lines.stream().map(Line::text).collect(Collectors.toList());
    }

    @Override
    protected String getFullyQualifiedCallerName() {
        return null;
    }

    @Override
    protected void handleNormalizedLoggingCall(Level level, Marker marker, String pattern, Object[] args, Throwable t) {
        lines.add(new Line(level, MessageFormatter.basicArrayFormat(pattern, args), t));
    }

    @Override public boolean isTraceEnabled() { return true; }
    @Override public boolean isDebugEnabled() { return true; }
    @Override public boolean isInfoEnabled() { return true; }
    @Override public boolean isWarnEnabled() { return true; }
    @Override public boolean isErrorEnabled() { return true; }
}
