package io.paguma.internal;

/**
 * The prefix of an endpoint's thread names, so they read well whatever the name: a name that
 * already starts with {@code paguma} is used as it is ({@code paguma-worker-0} for the default
 * name {@code paguma}, {@code paguma-client-worker-0} for its client), any other gets
 * {@code paguma-} in front ({@code paguma-chat-worker-0}).
 */
public final class ThreadNames {
    private ThreadNames() {
    }

    /** {@code name} if it is {@code paguma} or starts with {@code paguma-}, else {@code paguma-<name>}. */
    public static String prefix(String name) {
        return name.equals("paguma") || name.startsWith("paguma-") ? name : "paguma-" + name;
    }

    /** {@code prefix(name) + "-" + role}, e.g. {@code thread("paguma", "io")} is {@code paguma-io}. */
    public static String of(String name, String role) {
        return prefix(name) + "-" + role;
    }
}
