package io.paguma.cluster.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * An executor's shared directory (SPEC X8): the only place its files are served from and fetched
 * into. A name is a relative path with {@code /} between its parts; absolute paths, {@code ..}
 * parts, empty parts, backslashes and NUL are refused, and so is a name that leads outside the
 * directory through a symbolic link (checked on the real path, after the links are followed).
 */
public final class SharedDir {
    /** Why a name is refused or a file cannot be served. */
    public static final class Refused extends Exception {
        private final boolean missing;

        Refused(String message, boolean missing) {
            super(message, null, false, false);
            this.missing = missing;
        }

        /** Whether the name was acceptable but no such regular file exists. */
        public boolean missing() {
            return missing;
        }
    }

    private final Path root;

    public SharedDir(Path root) {
        this.root = root.toAbsolutePath().normalize();
    }

    public Path root() {
        return root;
    }

    /** The path {@code name} stands for under the root, after the checks on its text (not on the disk). */
    public Path resolve(String name) throws Refused {
        if (name == null || name.isEmpty()) throw new Refused("the file name is empty", false);
        if (name.length() > 4096) throw new Refused("the file name is longer than 4096 characters", false);
        if (name.indexOf('\0') >= 0) throw new Refused("the file name contains NUL", false);
        if (name.indexOf('\\') >= 0) throw new Refused("'" + name + "': backslashes are not allowed (use /)", false);
        if (name.startsWith("/")) throw new Refused("'" + name + "' is absolute: names are relative to the shared directory", false);
        for (String part : name.split("/", -1)) {
            if (part.isEmpty()) throw new Refused("'" + name + "' has an empty part", false);
            if (part.equals("..")) throw new Refused("'" + name + "' leaves the shared directory (..)", false);
            if (part.equals(".")) throw new Refused("'" + name + "' has a '.' part", false);
        }
        Path p;
        try {
            p = root.resolve(name).normalize();
        } catch (InvalidPathException e) {
            throw new Refused("'" + name + "' is not a valid path here: " + e.getReason(), false);
        }
        if (p.isAbsolute() && !p.startsWith(root) || p.equals(root)) {
            throw new Refused("'" + name + "' leaves the shared directory", false);
        }
        return p;
    }

    /**
     * The regular file {@code name} names, its links followed: refused when it does not exist, is
     * not a regular file, or its real path is outside the root's real path.
     */
    public Path existingFile(String name) throws Refused {
        Path p = resolve(name);
        Path real;
        Path realRoot;
        try {
            realRoot = root.toRealPath();
            real = p.toRealPath();
        } catch (NoSuchFileException e) {
            throw new Refused("no file '" + name + "' in the shared directory", true);
        } catch (IOException e) {
            throw new Refused("'" + name + "' cannot be read: " + e, false);
        }
        if (!real.startsWith(realRoot)) {
            throw new Refused("'" + name + "' leads outside the shared directory (through a symbolic link)", false);
        }
        if (!Files.isRegularFile(real, LinkOption.NOFOLLOW_LINKS)) {
            throw new Refused("'" + name + "' is not a regular file", !Files.exists(real));
        }
        return real;
    }

    /**
     * Checks, without making anything, that a fetched {@code name} would stay in the directory:
     * its nearest existing ancestor's real path is inside the root's, and it is not itself a link.
     */
    public void checkTarget(String name) throws Refused {
        Path p = resolve(name);
        try {
            Path realRoot = root.toRealPath();
            Path existing = p.getParent();
            while (existing != null && !Files.exists(existing)) existing = existing.getParent();
            if (existing == null || !existing.toRealPath().startsWith(realRoot)) {
                throw new Refused("'" + name + "' leads outside the shared directory (through a symbolic link)", false);
            }
            if (Files.isSymbolicLink(p)) throw new Refused("'" + name + "' is a symbolic link: not written through", false);
        } catch (IOException e) {
            throw new Refused("'" + name + "' cannot be checked: " + e, false);
        }
    }

    /**
     * Where a fetched {@code name} goes: its parent directories are made, and refused if a link
     * among them leads outside the root.
     */
    public Path target(String name) throws Refused {
        Path p = resolve(name);
        try {
            Files.createDirectories(p.getParent());
            Path realRoot = root.toRealPath();
            Path realParent = p.getParent().toRealPath();
            if (!realParent.startsWith(realRoot)) {
                throw new Refused("'" + name + "' leads outside the shared directory (through a symbolic link)", false);
            }
            if (Files.isSymbolicLink(p)) {
                throw new Refused("'" + name + "' is a symbolic link: not written through", false);
            }
            return realParent.resolve(p.getFileName());
        } catch (IOException e) {
            throw new Refused("cannot make the directories of '" + name + "': " + e, false);
        }
    }
}
