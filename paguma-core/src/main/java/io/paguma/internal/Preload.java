package io.paguma.internal;

import java.net.URI;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.CodeSource;
import java.util.Enumeration;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.stream.Stream;

/**
 * Loads every class of Paguma's core once, when the first endpoint starts. The JVM loads a class
 * the first time it is used, from its file; a server that has run out of file descriptors (a
 * flood of connections against a low {@code ulimit -n}) cannot open that file, the load fails
 * with {@link NoClassDefFoundError}, and the JVM remembers the failure for good: a class first
 * needed on a rare path (the first graceful close, say) would then never work again, and the
 * server would stay broken after the descriptors are free. Loading (not initialising) them at
 * start costs a few milliseconds once per process.
 */
final class Preload {
    private static volatile boolean done;

    private Preload() {
    }

    static void once() {
        if (done) return;
        synchronized (Preload.class) {
            if (done) return;
            done = true;
            try {
                CodeSource source = Preload.class.getProtectionDomain().getCodeSource();
                URL location = source == null ? null : source.getLocation();
                if (location == null) return;
                Path path = Path.of(URI.create(location.toString()));
                if (Files.isDirectory(path)) {
                    try (Stream<Path> files = Files.walk(path.resolve("io").resolve("paguma"), 2)) {
                        files.forEach(f -> load(path.relativize(f).toString().replace(java.io.File.separatorChar, '/')));
                    }
                } else {
                    try (JarFile jar = new JarFile(path.toFile())) {
                        for (Enumeration<JarEntry> e = jar.entries(); e.hasMoreElements(); ) load(e.nextElement().getName());
                    }
                }
            } catch (Exception | LinkageError e) {
                // Only a safeguard: without it everything still works while descriptors last.
            }
        }
    }

    /** Core's own packages only ({@code io/paguma/*.class} and {@code io/paguma/internal/**}), not a fat jar's others. */
    private static void load(String entry) {
        if (!entry.endsWith(".class") || entry.endsWith("module-info.class") || !entry.startsWith("io/paguma/")) return;
        String rest = entry.substring("io/paguma/".length());
        if (rest.indexOf('/') >= 0 && !rest.startsWith("internal/")) return;
        String name = entry.substring(0, entry.length() - ".class".length()).replace('/', '.');
        try {
            Class.forName(name, false, Preload.class.getClassLoader());
        } catch (ClassNotFoundException | LinkageError skipped) {
            // A class that cannot load here would fail later too; not this method's business.
        }
    }
}
