package io.paguma;

import io.paguma.testing.JavaSources;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 10, item 7: a {@link BaseRouter} subclass that forgets {@code handle} (or misspells it)
 * would answer nothing without a word; it must not compile.
 */
class BaseRouterTest {
    @Test
    void aSubclassWithoutHandleDoesNotCompile() {
        JavaSources.Result r = JavaSources.compile(Map.of("demo.Forgot",
                "package demo;\n"
                + "public class Forgot extends io.paguma.BaseRouter {\n"
                + "    public void handel(io.paguma.Request request) { request.reply(1, \"typo\"); }\n"
                + "}\n"));
        assertThat(r.compiled()).as("a BaseRouter without handle compiles").isFalse();
        assertThat(r.errors()).singleElement().asString().contains("Forgot", "handle(io.paguma.Request)");
    }

    @Test
    void aSubclassWithHandleCompilesAndPreAndPostStayOptional() {
        JavaSources.Result r = JavaSources.compile(Map.of("demo.Echo",
                "package demo;\n"
                + "public class Echo extends io.paguma.BaseRouter {\n"
                + "    @Override public void handle(io.paguma.Request request) { request.reply(1, request.data()); }\n"
                + "}\n"));
        assertThat(r.errors()).isEmpty();
    }
}
