package io.paguma.testing;

import javax.tools.Diagnostic;
import javax.tools.DiagnosticCollector;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.SimpleJavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Compiles Java source text with the JDK's compiler against the running tests' class path, the
 * way a user's project would compile code written against Paguma: for tests that check what
 * compiles (README snippets) and what must not (an API misuse caught at compile time).
 */
public final class JavaSources {
    private JavaSources() {
    }

    /** What the compiler said: {@code errors} is empty when it compiled. */
    public record Result(List<String> errors) {
        public boolean compiled() {
            return errors.isEmpty();
        }
    }

    /** The class path of the running tests (Surefire's, not its booter jar's). */
    public static String testClassPath() {
        String cp = System.getProperty("surefire.test.class.path");
        return cp != null && !cp.isBlank() ? cp : System.getProperty("java.class.path");
    }

    /**
     * Compiles the given compilation units (public class name, e.g. {@code "demo.Echo"}, to source)
     * together, with {@code --release 17} and warnings as plain output; class files go to a
     * temporary directory that is deleted afterwards.
     */
    public static Result compile(Map<String, String> sources) {
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        if (javac == null) throw new IllegalStateException("no Java compiler: run the tests on a JDK, not a JRE");
        DiagnosticCollector<JavaFileObject> diagnostics = new DiagnosticCollector<>();
        List<JavaFileObject> units = sources.entrySet().stream()
                .map(e -> new Source(e.getKey(), e.getValue())).collect(Collectors.toList());
        Path out = null;
        try (StandardJavaFileManager files = javac.getStandardFileManager(diagnostics, Locale.ROOT, StandardCharsets.UTF_8)) {
            out = Files.createTempDirectory("paguma-javac");
            List<String> options = List.of("--release", "17", "-proc:none", "-classpath", testClassPath(), "-d", out.toString());
            javac.getTask(null, files, diagnostics, options, null, units).call();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            if (out != null) delete(out);
        }
        List<String> errors = new ArrayList<>();
        for (Diagnostic<? extends JavaFileObject> d : diagnostics.getDiagnostics()) {
            if (d.getKind() != Diagnostic.Kind.ERROR) continue;
            String where = d.getSource() == null ? "" : d.getSource().getName() + ":" + d.getLineNumber() + ": ";
            errors.add(where + d.getMessage(Locale.ROOT));
        }
        return new Result(errors);
    }

    private static void delete(Path dir) {
        try (Stream<Path> walk = Files.walk(dir)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // A temporary directory: best effort.
        }
    }

    private static final class Source extends SimpleJavaFileObject {
        private final String text;

        Source(String className, String text) {
            super(URI.create("string:///" + className.replace('.', '/') + Kind.SOURCE.extension), Kind.SOURCE);
            this.text = text;
        }

        @Override
        public CharSequence getCharContent(boolean ignoreEncodingErrors) {
            return text;
        }
    }
}
