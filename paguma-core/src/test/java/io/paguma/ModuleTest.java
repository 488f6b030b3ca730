package io.paguma;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.lang.module.ModuleDescriptor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/** The public surface: core's module exports only the API package, and nothing else uses the internals. */
class ModuleTest {

    @Test
    void coreExportsOnlyTheApiPackage() throws IOException {
        ModuleDescriptor descriptor;
        try (InputStream in = Files.newInputStream(Path.of("target/classes/module-info.class"))) {
            descriptor = ModuleDescriptor.read(in);
        }
        assertThat(descriptor.name()).isEqualTo("io.paguma.core");
        assertThat(descriptor.exports()).extracting(ModuleDescriptor.Exports::source).containsExactly("io.paguma");
        assertThat(descriptor.exports()).allMatch(e -> !e.isQualified());
        assertThat(descriptor.opens()).isEmpty();
        assertThat(descriptor.uses()).contains("io.paguma.Codec", "io.paguma.ConfigSection");
    }

    @Test
    void noModuleOutsideCoreUsesItsInternals() throws IOException {
        List<String> offenders;
        try (Stream<Path> files = Stream.of("../paguma-cli/src", "../paguma-bench/src").map(Path::of)
                .filter(Files::isDirectory).flatMap(ModuleTest::walk)) {
            offenders = files.filter(f -> f.toString().endsWith(".java"))
                    .filter(f -> read(f).contains("io.paguma.internal"))
                    .map(Path::toString).collect(Collectors.toList());
        }
        assertThat(offenders).as("sources outside paguma-core that use io.paguma.internal").isEmpty();
    }

    private static Stream<Path> walk(Path dir) {
        try {
            return Files.walk(dir);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    private static String read(Path f) {
        try {
            return Files.readString(f);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }
}
