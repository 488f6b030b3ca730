package io.paguma;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.lang.module.ModuleDescriptor;
import java.lang.reflect.Constructor;
import java.lang.reflect.Executable;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/** The public surface: core's module exports only the API package, the API names no internal type, and nothing else uses the internals. */
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

    /**
     * No public or protected member of the API names a type of {@code io.paguma.internal}, which
     * users cannot see: what only the framework calls is package-private, or reached through an
     * internal interface (as {@code MessageHandler} through {@code internal.Dispatcher}).
     */
    @Test
    void theApiNamesNoInternalType() throws Exception {
        List<String> leaks = new ArrayList<>();
        List<Class<?>> api = new ArrayList<>();
        try (Stream<Path> files = Files.list(Path.of("target/classes/io/paguma"))) {
            for (Path f : files.filter(f -> f.toString().endsWith(".class")).sorted().toList()) {
                String name = f.getFileName().toString();
                Class<?> c = Class.forName("io.paguma." + name.substring(0, name.length() - ".class".length()),
                        false, ModuleTest.class.getClassLoader());
                if (isApi(c)) api.add(c);
            }
        }
        assertThat(api).as("public classes of io.paguma").contains(Server.class, Server.Builder.class, Request.class)
                .noneMatch(c -> c.getSimpleName().equals("MessageHandler"));
        for (Class<?> c : api) {
            check(leaks, c + " extends", c.getGenericSuperclass());
            for (var t : c.getGenericInterfaces()) check(leaks, c + " implements", t);
            for (Field f : c.getDeclaredFields()) {
                if (visible(f.getModifiers())) check(leaks, f.toString(), f.getGenericType());
            }
            for (Constructor<?> k : c.getDeclaredConstructors()) checkExecutable(leaks, k);
            for (Method m : c.getDeclaredMethods()) {
                if (m.isSynthetic()) continue;
                checkExecutable(leaks, m);
                if (visible(m.getModifiers())) check(leaks, m.toString(), m.getGenericReturnType());
            }
        }
        assertThat(leaks).as("API members that name io.paguma.internal").isEmpty();
    }

    private static boolean visible(int modifiers) {
        return Modifier.isPublic(modifiers) || Modifier.isProtected(modifiers);
    }

    /** Public, and every class it is nested in public too. */
    private static boolean isApi(Class<?> c) {
        for (Class<?> k = c; k != null; k = k.getDeclaringClass()) {
            if (!Modifier.isPublic(k.getModifiers()) || k.isAnonymousClass() || k.isLocalClass()) return false;
        }
        return true;
    }

    private static void checkExecutable(List<String> leaks, Executable e) {
        if (!visible(e.getModifiers())) return;
        for (var t : e.getGenericParameterTypes()) check(leaks, e.toString(), t);
        for (var t : e.getGenericExceptionTypes()) check(leaks, e.toString(), t);
    }

    private static void check(List<String> leaks, String where, java.lang.reflect.Type type) {
        if (type != null && type.getTypeName().contains("io.paguma.internal")) leaks.add(where + ": " + type.getTypeName());
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
