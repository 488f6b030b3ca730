package io.paguma.bench.jmh;

import io.paguma.hub.DictCodec;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * JMH micro-benchmarks of {@link DictCodec}, the dict body encoding of {@code paguma-hub}: time and
 * heap allocation per dict.
 *
 * <ul>
 *   <li>{@code encode}: one prepared dict into a new {@code byte[]} of its exact size.</li>
 *   <li>{@code decode}: one pre-encoded dict into a new {@code LinkedHashMap}.</li>
 * </ul>
 * {@code dict=64B} is a game-style update of {@value #SMALL_SIZE} bytes encoded,
 * {@code {"op":"move","x":12,"y":-7,"z":0,"speed":1.5f,"tick":123456789L,"ok":true,"id":1001,"who":"paguma"}};
 * {@code dict=1KiB} a zone snapshot of {@value #LARGE_SIZE} bytes: nine players, each a map
 * with a name, numbers and a list of three floats.
 *
 * <p>Run from the repository root after {@code mvn -DskipTests package}:
 * <pre>
 * java -cp 'paguma-bench/target/paguma-bench.jar:paguma-bench/target/lib/*' \
 *     org.openjdk.jmh.Main DictPackBench -prof gc
 * </pre>
 * {@code -prof gc} adds {@code gc.alloc.rate.norm}, the heap bytes allocated per operation: for
 * encode the result array alone (16-byte header + size, rounded up to 8), for decode the dict's
 * own objects. The dicts are {@code LinkedHashMap}s: the encoder walks those and {@code HashMap}s
 * without allocating, while e.g. a {@code Map.of} map allocates an iterator and an entry per entry
 * on each of the encoder's two passes.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 1, timeUnit = TimeUnit.SECONDS)
@Measurement(iterations = 5, time = 1, timeUnit = TimeUnit.SECONDS)
public class DictPackBench {

    /** Encoded size of the small dict (checked in setup). */
    static final int SMALL_SIZE = 64;
    /** Encoded size of the large dict (checked in setup). */
    static final int LARGE_SIZE = 1000;

    static Map<String, Object> smallDict() {
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("op", "move");
        d.put("x", 12);
        d.put("y", -7);
        d.put("z", 0);
        d.put("speed", 1.5f);
        d.put("tick", 123456789L);
        d.put("ok", true);
        d.put("id", 1001);
        d.put("who", "paguma");
        return d;
    }

    static Map<String, Object> largeDict() {
        List<Object> players = new ArrayList<>();
        for (int i = 0; i < 9; i++) {
            Map<String, Object> p = new LinkedHashMap<>();
            p.put("name", "player-" + i);
            p.put("id", 100_000 + i);
            p.put("hp", 100 - 7 * i);
            p.put("score", 1_000_000L * i);
            p.put("pos", List.of(10.5f * i, -3.25f, 0.125f * i));
            p.put("alive", i % 3 != 0);
            p.put("team", i % 2 == 0 ? "red" : "blue");
            p.put("buffs", List.of("haste", "shield"));
            players.add(p);
        }
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("op", "snapshot");
        d.put("zone", "north-east-7");
        d.put("tick", 123456789L);
        d.put("players", players);
        Map<String, Object> weather = new LinkedHashMap<>();
        weather.put("wind", 3.5);
        weather.put("rain", false);
        d.put("weather", weather);
        d.put("seed", new byte[16]);
        return d;
    }

    /** One dict, encoded once. */
    @State(Scope.Thread)
    public static class DictState {
        @Param({"64B", "1KiB"})
        public String dict;

        final DictCodec codec = new DictCodec();
        Map<String, Object> value;
        byte[] encoded;

        @Setup(Level.Trial)
        public void setUp() {
            value = "64B".equals(dict) ? smallDict() : largeDict();
            encoded = codec.encode(value);
            int expected = "64B".equals(dict) ? SMALL_SIZE : LARGE_SIZE;
            check(encoded.length == expected, "encoded size " + encoded.length + ", expected " + expected);
            check(codec.size(value) == encoded.length, "size");
            check(Arrays.equals(codec.encode(codec.decode(encoded)), encoded), "round trip");
        }
    }

    static void check(boolean ok, String what) {
        if (!ok) throw new IllegalStateException("benchmark setup check failed: " + what);
    }

    @Benchmark
    public byte[] encode(DictState s) {
        return s.codec.encode(s.value);
    }

    @Benchmark
    public Map<String, Object> decode(DictState s) {
        return s.codec.decode(s.encoded);
    }
}
