package io.paguma.hostile;

import java.util.Random;

/** Shared by the *FuzzTest classes: the iteration count and the mutations of valid input. */
public final class Fuzz {
    private Fuzz() {
    }

    /** {@code -Dfuzz.iterations=N} (the Maven profile {@code fuzz} sets 1,000,000); a quick default otherwise. */
    public static int iterations() {
        return Integer.getInteger("fuzz.iterations", 20_000);
    }

    /** {@code -Dfuzz.seed=N} replays a run; otherwise a random base seed (each iteration's seed is derived from it). */
    public static long baseSeed() {
        Long s = Long.getLong("fuzz.seed");
        return s != null ? s : new Random().nextLong();
    }

    /** The seed of iteration {@code i}: a run can be replayed from the base, one failure from its own seed. */
    public static long seed(long base, long i) {
        long z = base + i * 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    private static final int[] INTERESTING_INTS = {0, 1, -1, 0x7f, 0x80, 0xff, 0x100, 0xffff, 0x10000, Integer.MAX_VALUE,
            Integer.MIN_VALUE, Integer.MAX_VALUE - 7, Integer.MAX_VALUE - 8, -8, -9, 4096, 4097, 65535, 65536, 65537};

    /** One to four random mutations of {@code in}: bit flips, interesting bytes and ints, cuts, insertions, duplications. */
    public static byte[] mutate(byte[] in, Random rnd) {
        byte[] b = in.clone();
        int n = 1 + rnd.nextInt(4);
        for (int k = 0; k < n; k++) {
            switch (rnd.nextInt(8)) {
                case 0 -> {
                    if (b.length > 0) b[rnd.nextInt(b.length)] ^= (byte) (1 << rnd.nextInt(8));
                }
                case 1 -> {
                    if (b.length > 0) b[rnd.nextInt(b.length)] = (byte) new int[] {0, 0xff, 0x7f, 0x80, 0x0d, 0x0a, 0xb7}[rnd.nextInt(7)];
                }
                case 2 -> {
                    if (b.length >= 4) {
                        int at = rnd.nextInt(b.length - 3);
                        int v = INTERESTING_INTS[rnd.nextInt(INTERESTING_INTS.length)];
                        boolean le = rnd.nextBoolean();
                        for (int i = 0; i < 4; i++) b[at + i] = (byte) (le ? v >>> (8 * i) : v >>> (8 * (3 - i)));
                    }
                }
                case 3 -> b = java.util.Arrays.copyOf(b, b.length == 0 ? 0 : rnd.nextInt(b.length));
                case 4 -> {
                    int at = b.length == 0 ? 0 : rnd.nextInt(b.length + 1);
                    byte[] extra = new byte[1 + rnd.nextInt(8)];
                    rnd.nextBytes(extra);
                    byte[] out = new byte[b.length + extra.length];
                    System.arraycopy(b, 0, out, 0, at);
                    System.arraycopy(extra, 0, out, at, extra.length);
                    System.arraycopy(b, at, out, at + extra.length, b.length - at);
                    b = out;
                }
                case 5 -> {
                    if (b.length > 1) {
                        int from = rnd.nextInt(b.length);
                        int len = 1 + rnd.nextInt(b.length - from);
                        byte[] out = new byte[b.length - len];
                        System.arraycopy(b, 0, out, 0, from);
                        System.arraycopy(b, from + len, out, from, b.length - from - len);
                        b = out;
                    }
                }
                case 6 -> {
                    if (b.length > 0 && b.length < 4096) {
                        int from = rnd.nextInt(b.length);
                        int len = 1 + rnd.nextInt(b.length - from);
                        byte[] out = java.util.Arrays.copyOf(b, b.length + len);
                        System.arraycopy(b, from, out, b.length, len);
                        b = out;
                    }
                }
                default -> {
                    if (b.length > 0) {
                        int at = rnd.nextInt(b.length);
                        int len = Math.min(b.length - at, 1 + rnd.nextInt(4));
                        for (int i = 0; i < len; i++) b[at + i] = (byte) rnd.nextInt(256);
                    }
                }
            }
        }
        return b;
    }

    /** Bytes allocated by this thread so far (HotSpot's com.sun.management.ThreadMXBean), or -1 where the JVM cannot say. */
    public static long allocatedBytes() {
        if (ALLOCATED == null) return -1;
        try {
            return (long) ALLOCATED.invoke(THREADS);
        } catch (ReflectiveOperationException e) {
            return -1;
        }
    }

    // By reflection: the tests compile inside module io.paguma.core, which does not read java.management.
    private static final Object THREADS;
    private static final java.lang.reflect.Method ALLOCATED;

    static {
        Object threads = null;
        java.lang.reflect.Method allocated = null;
        try {
            threads = Class.forName("java.lang.management.ManagementFactory").getMethod("getThreadMXBean").invoke(null);
            Class<?> hotspot = Class.forName("com.sun.management.ThreadMXBean");
            if (hotspot.isInstance(threads)) {
                allocated = hotspot.getMethod("getCurrentThreadAllocatedBytes");
                allocated.invoke(threads);
            }
        } catch (ReflectiveOperationException | RuntimeException | LinkageError unsupported) {
            allocated = null;
        }
        THREADS = threads;
        ALLOCATED = allocated;
    }
}
