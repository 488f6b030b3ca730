package io.paguma.cli;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Nothing outside paguma-core uses core's internal package (issue 10, item 6): the command line,
 * the benchmarks and the README's code are written against the API alone, as a user's code is.
 * Core's module does not export the package; this catches the class-path use that the module
 * system does not see, in sources and in what they compiled to (a fully qualified name needs no
 * import).
 */
class InternalsUnusedTest {
    /** Spelled at run time, so that this class's own source and bytes do not hold it. */
    private static final String PACKAGE = String.join(".", "io", "paguma", "internal");
    private static final String BINARY = PACKAGE.replace('.', '/');

    private static Path root() {
        Path dir = Path.of("").toAbsolutePath();
        while (dir != null && !(Files.exists(dir.resolve("README.md")) && Files.exists(dir.resolve("paguma-core")))) {
            dir = dir.getParent();
        }
        assertThat(dir).as("the project root above " + Path.of("").toAbsolutePath()).isNotNull();
        return dir;
    }

    private static List<Path> files(Path dir, String suffix) {
        if (!Files.isDirectory(dir)) return List.of();
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(f -> f.toString().endsWith(suffix)).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Latin-1 keeps every byte, so a class file's constant pool reads as text. */
    private static String read(Path f) {
        try {
            return new String(Files.readAllBytes(f), StandardCharsets.ISO_8859_1);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static boolean usesInternals(Path f) {
        String text = read(f);
        return text.contains(PACKAGE) || text.contains(BINARY);
    }

    @Test
    void cliAndBenchSourcesDoNotUseTheInternals() {
        Path root = root();
        List<Path> sources = Stream.of("paguma-cli/src", "paguma-bench/src")
                .flatMap(d -> files(root.resolve(d), ".java").stream()).toList();
        assertThat(sources).as("sources of paguma-cli and paguma-bench")
                .anyMatch(f -> f.endsWith("InternalsUnusedTest.java"))
                .anyMatch(f -> f.toString().contains("paguma-bench"));
        assertThat(sources).as("sources outside paguma-core that use " + PACKAGE)
                .filteredOn(InternalsUnusedTest::usesInternals).isEmpty();
    }

    @Test
    void cliAndBenchClassesDoNotReferToTheInternals() {
        Path root = root();
        // paguma-cli is always compiled before its tests run; paguma-bench only when it was built too.
        List<Path> classes = Stream.of("paguma-cli/target/classes", "paguma-cli/target/test-classes",
                        "paguma-bench/target/classes", "paguma-bench/target/test-classes")
                .flatMap(d -> files(root.resolve(d), ".class").stream()).toList();
        assertThat(classes).as("compiled classes of paguma-cli")
                .anyMatch(f -> f.endsWith(Path.of("io", "paguma", "cli", "Main.class")));
        assertThat(classes).as("classes outside paguma-core that refer to " + PACKAGE)
                .filteredOn(InternalsUnusedTest::usesInternals).isEmpty();
    }

    @Test
    void theReadmesCodeDoesNotUseTheInternals() throws IOException {
        Map<String, String> units = ReadmeTest.compilationUnits(
                Files.readString(root().resolve("README.md"), StandardCharsets.UTF_8));
        assertThat(units).as("README Java blocks").isNotEmpty();
        assertThat(units.entrySet().stream().filter(u -> u.getValue().contains(PACKAGE)).map(Map.Entry::getKey))
                .as("README Java blocks that use " + PACKAGE).isEmpty();
    }

    @Test
    void theScanSeesAReference() throws IOException {
        Path dir = Files.createTempDirectory("internals");
        try {
            Path source = Files.writeString(dir.resolve("A.java"), "class A { Object o = new " + PACKAGE + ".X(); }");
            Path binary = Files.write(dir.resolve("A.class"), ("\u0001\u0000\u0011" + BINARY + "/X")
                    .getBytes(StandardCharsets.ISO_8859_1));
            Path clean = Files.writeString(dir.resolve("B.java"), "import io.paguma.Server;");
            assertThat(usesInternals(source)).isTrue();
            assertThat(usesInternals(binary)).isTrue();
            assertThat(usesInternals(clean)).isFalse();
        } finally {
            for (Path f : List.of(dir.resolve("A.java"), dir.resolve("A.class"), dir.resolve("B.java"), dir)) {
                Files.deleteIfExists(f);
            }
        }
    }
}
