package io.paguma.cluster;

import io.paguma.cluster.SharedData.Change;
import io.paguma.cluster.SharedData.ChangeType;
import io.paguma.cluster.SharedData.Subscription;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.awaitility.Awaitility.await;

/**
 * The {@link SharedData} contract, run by every implementation: a test class extends this one and
 * says how to make a store. Keys are prefixed with a random string per test, so a store shared
 * between tests (one Redis) does not mix them up.
 *
 * <p>Notification tests rely on the store delivering the notifications of one key one at a time,
 * in the order of the changes, across all its listeners: a later change heard by one listener
 * means every earlier one has been delivered.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
public abstract class SharedDataContract {
    /** How long a test waits for something that should happen at once (a future, a notification). */
    protected static final Duration WAIT = Duration.ofSeconds(5);
    /** A time to live short enough for tests to wait out. */
    protected static final Duration SHORT_TTL = Duration.ofMillis(200);

    private final List<SharedData> stores = new ArrayList<>();
    private final String prefix = "contract-" + UUID.randomUUID() + ":";
    /** The store of the test, made before it and closed after it. */
    protected SharedData store;

    /** A new store; closed after the test. */
    protected abstract SharedData create();

    @BeforeEach
    void openStore() {
        store = open();
    }

    @AfterEach
    void closeStores() {
        stores.forEach(SharedData::close);
    }

    /** Another store made by {@link #create()}; closed after the test. */
    protected SharedData open() {
        SharedData s = create();
        stores.add(s);
        return s;
    }

    /** {@code name}, made unique to this test. */
    protected String key(String name) {
        return prefix + name;
    }

    protected static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    protected static <T> T done(CompletableFuture<T> f) {
        try {
            return f.get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            throw new AssertionError("operation did not complete normally", e);
        }
    }

    /** The reason {@code f} failed; fails the test if it completes normally. */
    protected static Throwable failure(CompletableFuture<?> f) {
        try {
            Object value = f.get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
            throw new AssertionError("expected a failure, got " + value);
        } catch (ExecutionException e) {
            return e.getCause();
        } catch (Exception e) {
            throw new AssertionError("operation did not complete", e);
        }
    }

    /** Calls the operation and returns its future; fails the test if the call throws instead. */
    private static CompletableFuture<?> call(java.util.function.Supplier<CompletableFuture<?>> op) {
        CompletableFuture<?>[] f = new CompletableFuture<?>[1];
        assertThatCode(() -> f[0] = op.get()).as("fails through its future, does not throw").doesNotThrowAnyException();
        return f[0];
    }

    private void awaitAbsent(String key) {
        await().atMost(WAIT).pollInterval(Duration.ofMillis(10)).until(() -> done(store.get(key)) == null);
    }

    /** Records the changes a listener hears, with the thread it heard them on. */
    protected static final class Recorder implements java.util.function.Consumer<Change> {
        final BlockingQueue<Change> changes = new LinkedBlockingQueue<>();
        final List<Thread> threads = new CopyOnWriteArrayList<>();

        @Override
        public void accept(Change change) {
            threads.add(Thread.currentThread());
            changes.add(change);
        }

        /** The next change heard, waiting for it at most {@link #WAIT}. */
        Change next() {
            try {
                Change c = changes.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS);
                assertThat(c).as("a change within " + WAIT).isNotNull();
                return c;
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        }
    }

    private static void assertChange(Change c, String key, ChangeType type, String value) {
        assertThat(c.key()).isEqualTo(key);
        assertThat(c.type()).isEqualTo(type);
        if (value == null) assertThat(c.value()).isNull();
        else assertThat(c.value()).asString(StandardCharsets.UTF_8).isEqualTo(value);
    }

    // --- get, set, delete

    @Test
    void getOfAbsentKeyIsNull() {
        assertThat(done(store.get(key("never")))).isNull();
    }

    @Test
    void setThenGetThenDelete() {
        String k = key("k");
        done(store.set(k, bytes("one")));
        assertThat(done(store.get(k))).asString(StandardCharsets.UTF_8).isEqualTo("one");
        done(store.set(k, bytes("two")));
        assertThat(done(store.get(k))).asString(StandardCharsets.UTF_8).isEqualTo("two");
        done(store.set(k, new byte[0]));
        assertThat(done(store.get(k))).isEmpty();
        assertThat(done(store.delete(k))).isTrue();
        assertThat(done(store.get(k))).isNull();
        assertThat(done(store.delete(k))).isFalse();
    }

    @Test
    void valuesAreCopiedInAndOut() {
        String k = key("k");
        byte[] given = bytes("abc");
        done(store.set(k, given));
        given[0] = 'X';
        byte[] got = done(store.get(k));
        assertThat(got).asString(StandardCharsets.UTF_8).isEqualTo("abc");
        got[0] = 'Y';
        assertThat(done(store.get(k))).asString(StandardCharsets.UTF_8).isEqualTo("abc");

        byte[] update = bytes("def");
        assertThat(done(store.compareAndSet(k, bytes("abc"), update))).isTrue();
        update[0] = 'Z';
        assertThat(done(store.get(k))).asString(StandardCharsets.UTF_8).isEqualTo("def");
    }

    @Test
    void nullValueFailsWithIllegalArgument() {
        assertThat(failure(call(() -> store.set(key("k"), null)))).isInstanceOf(IllegalArgumentException.class);
        assertThat(failure(call(() -> store.set(key("k"), null, SHORT_TTL)))).isInstanceOf(IllegalArgumentException.class);
        assertThat(done(store.get(key("k")))).isNull();
    }

    // --- compareAndSet

    @Test
    void compareAndSetWithExpectedNullSetsOnlyAnAbsentKey() {
        String k = key("k");
        assertThat(done(store.compareAndSet(k, null, bytes("first")))).isTrue();
        assertThat(done(store.compareAndSet(k, null, bytes("second")))).isFalse();
        assertThat(done(store.get(k))).asString(StandardCharsets.UTF_8).isEqualTo("first");
    }

    @Test
    void compareAndSetOnMismatchChangesNothing() {
        String k = key("k");
        done(store.set(k, bytes("value")));
        assertThat(done(store.compareAndSet(k, bytes("other"), bytes("new")))).isFalse();
        assertThat(done(store.compareAndSet(k, bytes("valu"), bytes("new")))).isFalse();
        assertThat(done(store.get(k))).asString(StandardCharsets.UTF_8).isEqualTo("value");
        assertThat(done(store.compareAndSet(key("absent"), bytes("value"), bytes("new")))).isFalse();
        assertThat(done(store.get(key("absent")))).isNull();
    }

    @Test
    void compareAndSetOnMatchReplaces() {
        String k = key("k");
        done(store.set(k, bytes("value")));
        assertThat(done(store.compareAndSet(k, bytes("value"), bytes("new")))).isTrue();
        assertThat(done(store.get(k))).asString(StandardCharsets.UTF_8).isEqualTo("new");
    }

    @Test
    void compareAndSetToNullDeletes() {
        String k = key("k");
        done(store.set(k, bytes("value")));
        assertThat(done(store.compareAndSet(k, bytes("other"), null))).isFalse();
        assertThat(done(store.get(k))).isNotNull();
        assertThat(done(store.compareAndSet(k, bytes("value"), null))).isTrue();
        assertThat(done(store.get(k))).isNull();
    }

    @Test
    void compareAndSetKeepsTheTimeToLive() {
        String k = key("k");
        done(store.set(k, bytes("a"), SHORT_TTL));
        assertThat(done(store.compareAndSet(k, bytes("a"), bytes("b")))).isTrue();
        assertThat(done(store.get(k))).asString(StandardCharsets.UTF_8).isEqualTo("b");
        awaitAbsent(k);
    }

    // --- increment

    @Test
    void incrementOfAbsentKeyIsDelta() {
        String k = key("k");
        assertThat(done(store.increment(k, 5))).isEqualTo(5L);
        assertThat(done(store.increment(k, 3))).isEqualTo(8L);
        assertThat(done(store.get(k))).asString(StandardCharsets.US_ASCII).isEqualTo("8");
        assertThat(done(store.increment(key("other"), -7))).isEqualTo(-7L);
    }

    @Test
    void incrementTakesNegativeDeltasAndExistingCounterText() {
        String k = key("k");
        done(store.set(k, bytes("41")));
        assertThat(done(store.increment(k, 1))).isEqualTo(42L);
        assertThat(done(store.increment(k, -50))).isEqualTo(-8L);
        assertThat(done(store.get(k))).asString(StandardCharsets.US_ASCII).isEqualTo("-8");
        assertThat(done(store.increment(k, 0))).isEqualTo(-8L);
    }

    @Test
    void incrementOfNonCounterFailsNamingTheKey() {
        for (String text : List.of("abc", "", "1.5", " 1", "12a", "99999999999999999999")) {
            String k = key("k" + text.length() + text.hashCode());
            done(store.set(k, bytes(text)));
            Throwable t = failure(call(() -> store.increment(k, 1)));
            assertThat(t).as("increment of \"%s\"", text).isInstanceOf(SharedDataException.class);
            assertThat(t.getMessage()).contains(k);
            assertThat(done(store.get(k))).asString(StandardCharsets.UTF_8).isEqualTo(text);
        }
    }

    @Test
    void incrementThatOverflowsFails() {
        String k = key("k");
        done(store.set(k, bytes(Long.toString(Long.MAX_VALUE))));
        assertThat(failure(call(() -> store.increment(k, 1)))).isInstanceOf(SharedDataException.class);
        assertThat(done(store.get(k))).asString(StandardCharsets.US_ASCII).isEqualTo(Long.toString(Long.MAX_VALUE));
        String m = key("m");
        done(store.set(m, bytes(Long.toString(Long.MIN_VALUE))));
        assertThat(failure(call(() -> store.increment(m, -1)))).isInstanceOf(SharedDataException.class);
        assertThat(done(store.increment(m, 1))).isEqualTo(Long.MIN_VALUE + 1);
    }

    @Test
    void incrementIsExactAcrossTwoToThe53() {
        // Where a double stops holding every integer: a store that passes counters through one loses digits.
        long edge = 1L << 53;
        for (long start : new long[] {edge - 3, -edge + 3}) {
            String k = key("edge" + start);
            done(store.set(k, bytes(Long.toString(start))));
            long step = start > 0 ? 1 : -1;
            for (int i = 1; i <= 6; i++) {
                assertThat(done(store.increment(k, step))).isEqualTo(start + i * step);
            }
            assertThat(done(store.get(k))).asString(StandardCharsets.US_ASCII).isEqualTo(Long.toString(start + 6 * step));
            assertThat(done(store.increment(k, -step * 1_000_000_007L))).isEqualTo(start + 6 * step - step * 1_000_000_007L);
        }
    }

    @Test
    void incrementKeepsTheTimeToLive() {
        String k = key("k");
        done(store.set(k, bytes("1"), SHORT_TTL));
        assertThat(done(store.increment(k, 1))).isEqualTo(2L);
        awaitAbsent(k);
    }

    @Test
    void concurrentIncrementsAreAtomic() throws Exception {
        String k = key("counter");
        int threads = 8;
        int each = 1_000;
        runConcurrently(threads, () -> {
            for (int i = 0; i < each; i++) done(store.increment(k, 1));
        });
        assertThat(done(store.get(k))).asString(StandardCharsets.US_ASCII).isEqualTo(Integer.toString(threads * each));
    }

    @Test
    void concurrentCompareAndSetLoopsLoseNoUpdate() throws Exception {
        String k = key("cas");
        done(store.set(k, bytes("0")));
        int threads = 8;
        int each = 500;
        runConcurrently(threads, () -> {
            for (int i = 0; i < each; i++) {
                while (true) {
                    byte[] old = done(store.get(k));
                    byte[] next = bytes(Long.toString(Long.parseLong(new String(old, StandardCharsets.UTF_8)) + 1));
                    if (done(store.compareAndSet(k, old, next))) break;
                }
            }
        });
        assertThat(done(store.get(k))).asString(StandardCharsets.UTF_8).isEqualTo(Integer.toString(threads * each));
    }

    private static void runConcurrently(int threads, Runnable work) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            CountDownLatch start = new CountDownLatch(1);
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                done.add(pool.submit(() -> {
                    start.await();
                    work.run();
                    return null;
                }));
            }
            start.countDown();
            for (Future<?> f : done) f.get(20, TimeUnit.SECONDS);
        } finally {
            pool.shutdownNow();
        }
    }

    // --- time to live

    @Test
    void keyWithTimeToLiveExpires() {
        String k = key("k");
        done(store.set(k, bytes("v"), SHORT_TTL));
        assertThat(done(store.get(k))).isNotNull();
        awaitAbsent(k);
        assertThat(done(store.delete(k))).isFalse();
    }

    @Test
    void expireSetsATimeToLiveOnAPresentKeyOnly() {
        String k = key("k");
        done(store.set(k, bytes("v")));
        assertThat(done(store.expire(k, SHORT_TTL))).isTrue();
        assertThat(done(store.get(k))).isNotNull();
        awaitAbsent(k);
        assertThat(done(store.expire(k, SHORT_TTL))).isFalse();
        assertThat(done(store.expire(key("never"), SHORT_TTL))).isFalse();
        assertThat(done(store.get(key("never")))).isNull();
    }

    @Test
    void setWithoutTimeToLiveClearsOne() {
        String k = key("k");
        String witness = key("witness");
        done(store.set(k, bytes("a"), SHORT_TTL));
        done(store.set(k, bytes("b")));
        // The witness's deadline is after the one k had: once it has expired, k would have too.
        done(store.set(witness, bytes("w"), SHORT_TTL));
        awaitAbsent(witness);
        assertThat(done(store.get(k))).asString(StandardCharsets.UTF_8).isEqualTo("b");
    }

    @Test
    void setWithTimeToLiveReplacesOne() {
        String k = key("k");
        String witness = key("witness");
        done(store.set(k, bytes("a"), SHORT_TTL));
        done(store.set(k, bytes("b"), Duration.ofHours(1)));
        done(store.set(witness, bytes("w"), SHORT_TTL));
        awaitAbsent(witness);
        assertThat(done(store.get(k))).asString(StandardCharsets.UTF_8).isEqualTo("b");
    }

    @Test
    void timeToLiveOfZeroNegativeOrNullFails() {
        String k = key("k");
        for (Duration ttl : new Duration[] {Duration.ZERO, Duration.ofMillis(-1), null}) {
            assertThat(failure(call(() -> store.set(k, bytes("v"), ttl)))).as("set with %s", ttl)
                    .isInstanceOf(IllegalArgumentException.class);
        }
        assertThat(done(store.get(k))).isNull();
        done(store.set(k, bytes("v")));
        for (Duration ttl : new Duration[] {Duration.ZERO, Duration.ofMillis(-1), null}) {
            assertThat(failure(call(() -> store.expire(k, ttl)))).as("expire with %s", ttl)
                    .isInstanceOf(IllegalArgumentException.class);
        }
        assertThat(done(store.get(k))).isNotNull();
    }

    // --- subscriptions

    @Test
    void listenerHearsChangesInOrder() {
        String k = key("k");
        Recorder r = new Recorder();
        store.subscribe(k, r);
        done(store.set(k, bytes("a")));
        done(store.set(k, bytes("b")));
        done(store.delete(k));
        done(store.delete(k)); // nothing to delete: no change
        done(store.set(k, bytes("c"), SHORT_TTL));
        assertChange(r.next(), k, ChangeType.SET, "a");
        assertChange(r.next(), k, ChangeType.SET, "b");
        assertChange(r.next(), k, ChangeType.DELETED, null);
        assertChange(r.next(), k, ChangeType.SET, "c");
        assertChange(r.next(), k, ChangeType.EXPIRED, null);
        assertThat(r.threads).doesNotContain(Thread.currentThread());
    }

    @Test
    void compareAndSetAndIncrementAreHeardAsSets() {
        String k = key("k");
        Recorder r = new Recorder();
        store.subscribe(k, r);
        done(store.compareAndSet(k, null, bytes("1")));
        done(store.compareAndSet(k, bytes("9"), bytes("no"))); // no change
        done(store.increment(k, 2));
        done(store.compareAndSet(k, bytes("3"), null));
        assertChange(r.next(), k, ChangeType.SET, "1");
        assertChange(r.next(), k, ChangeType.SET, "3");
        assertChange(r.next(), k, ChangeType.DELETED, null);
    }

    @Test
    void expiryIsHeardWithoutAnyRead() {
        String k = key("k");
        Recorder r = new Recorder();
        store.subscribe(k, r);
        long start = System.nanoTime();
        done(store.set(k, bytes("v"), SHORT_TTL));
        assertChange(r.next(), k, ChangeType.SET, "v");
        assertChange(r.next(), k, ChangeType.EXPIRED, null);
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(SHORT_TTL);
    }

    @Test
    void concurrentChangesAreHeardInTheOrderTheyWereMade() throws Exception {
        String k = key("counter");
        Recorder r = new Recorder();
        store.subscribe(k, r);
        int threads = 4;
        int each = 250;
        runConcurrently(threads, () -> {
            for (int i = 0; i < each; i++) done(store.increment(k, 1));
        });
        for (int n = 1; n <= threads * each; n++) assertChange(r.next(), k, ChangeType.SET, Integer.toString(n));
    }

    @Test
    void listenerOfAnotherKeyHearsNothing() {
        String k = key("k");
        Recorder other = new Recorder();
        store.subscribe(key("other"), other);
        Recorder r = new Recorder();
        store.subscribe(k, r);
        done(store.set(k, bytes("a")));
        done(store.increment(k + "x", 1));
        done(store.delete(k));
        done(store.set(key("other"), bytes("marker")));
        assertChange(other.next(), key("other"), ChangeType.SET, "marker");
        assertChange(r.next(), k, ChangeType.SET, "a");
        assertChange(r.next(), k, ChangeType.DELETED, null);
        assertThat(r.changes).isEmpty();
    }

    @Test
    void closedSubscriptionHearsNothingMore() {
        String k = key("k");
        Recorder r = new Recorder();
        Subscription s = store.subscribe(k, r);
        done(store.set(k, bytes("a")));
        assertChange(r.next(), k, ChangeType.SET, "a");
        s.close();
        s.close();
        done(store.set(k, bytes("b")));
        done(store.delete(k));
        Recorder marker = new Recorder();
        store.subscribe(k, marker);
        done(store.set(k, bytes("marker")));
        assertChange(marker.next(), k, ChangeType.SET, "marker");
        assertThat(r.changes).isEmpty();
    }

    @Test
    void closedSubscriptionHearsNoChangeAlreadyMadeButNotYetDelivered() throws Exception {
        String k = key("k");
        CountDownLatch holding = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        store.subscribe(k, c -> {
            if (holding.getCount() == 0) return;
            holding.countDown();
            try {
                release.await(WAIT.toMillis(), TimeUnit.MILLISECONDS); // holds delivery back
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        Recorder r = new Recorder();
        Subscription s = store.subscribe(k, r);
        Recorder marker = new Recorder();
        store.subscribe(k, marker);
        done(store.set(k, bytes("a")));
        assertThat(holding.await(WAIT.toMillis(), TimeUnit.MILLISECONDS)).isTrue();
        done(store.set(k, bytes("b")));
        s.close();
        release.countDown();
        assertChange(marker.next(), k, ChangeType.SET, "a");
        assertChange(marker.next(), k, ChangeType.SET, "b");
        assertThat(r.changes).isEmpty();
    }

    @Test
    void aThrowingListenerDoesNotStopAnother() {
        String k = key("k");
        AtomicInteger thrown = new AtomicInteger();
        store.subscribe(k, c -> {
            thrown.incrementAndGet();
            throw new IllegalStateException("listener failure on purpose");
        });
        Recorder r = new Recorder();
        store.subscribe(k, r);
        done(store.set(k, bytes("a")));
        done(store.set(k, bytes("b")));
        assertChange(r.next(), k, ChangeType.SET, "a");
        assertChange(r.next(), k, ChangeType.SET, "b");
        assertThat(thrown).hasValue(2);
    }

    @Test
    void eachListenerGetsItsOwnCopyOfTheValue() {
        String k = key("k");
        store.subscribe(k, c -> c.value()[0] = 'X');
        Recorder r = new Recorder();
        store.subscribe(k, r);
        done(store.set(k, bytes("abc")));
        assertChange(r.next(), k, ChangeType.SET, "abc");
        assertThat(done(store.get(k))).asString(StandardCharsets.UTF_8).isEqualTo("abc");
    }

    @Test
    void listenerMayChangeTheStore() {
        // Not on the caller's thread and not under the store's locks: a listener can change its own key.
        String k = key("k");
        Recorder r = new Recorder();
        CompletableFuture<Void> reaction = new CompletableFuture<>();
        store.subscribe(k, c -> {
            if (c.type() == ChangeType.SET && "a".equals(new String(c.value(), StandardCharsets.UTF_8))) {
                store.set(k, bytes("b")).whenComplete((v, e) -> {
                    if (e == null) reaction.complete(null);
                    else reaction.completeExceptionally(e);
                });
            }
        });
        store.subscribe(k, r);
        done(store.set(k, bytes("a")));
        done(reaction);
        assertChange(r.next(), k, ChangeType.SET, "a");
        assertChange(r.next(), k, ChangeType.SET, "b");
        assertThat(r.threads).doesNotContain(Thread.currentThread());
    }

    // --- close

    @Test
    void operationsAfterCloseFailWithSharedDataException() {
        String k = key("k");
        done(store.set(k, bytes("v")));
        store.close();
        store.close();
        List<CompletableFuture<?>> ops = List.of(
                call(() -> store.get(k)),
                call(() -> store.set(k, bytes("v"))),
                call(() -> store.set(k, bytes("v"), SHORT_TTL)),
                call(() -> store.delete(k)),
                call(() -> store.compareAndSet(k, null, bytes("v"))),
                call(() -> store.increment(k, 1)),
                call(() -> store.expire(k, SHORT_TTL)));
        for (CompletableFuture<?> f : ops) assertThat(failure(f)).isInstanceOf(SharedDataException.class);
    }

    @Test
    void anotherStoreIsNotClosedByClose() {
        // Two stores of one kind (for a remote store: two clients of the same data).
        SharedData second = open();
        done(second.set(key("k"), bytes("v")));
        store.close();
        assertThat(done(second.get(key("k")))).isNotNull();
    }

    // --- keys

    @Test
    void nullOrEmptyKeysFailWithIllegalArgument() {
        for (String bad : new String[] {null, ""}) {
            List<CompletableFuture<?>> ops = List.of(
                    call(() -> store.get(bad)),
                    call(() -> store.set(bad, bytes("v"))),
                    call(() -> store.set(bad, bytes("v"), SHORT_TTL)),
                    call(() -> store.delete(bad)),
                    call(() -> store.compareAndSet(bad, null, bytes("v"))),
                    call(() -> store.increment(bad, 1)),
                    call(() -> store.expire(bad, SHORT_TTL)));
            for (CompletableFuture<?> f : ops) assertThat(failure(f)).isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void longAndNonAsciiKeysWork() {
        Recorder r = new Recorder();
        String unicode = key("clé-ключ-鍵-\uD83D\uDE42");
        String accented = key("cle\u0301-ключ-鍵-\uD83D\uDE42"); // another spelling is another key
        String longKey = key("x".repeat(10_000));
        store.subscribe(unicode, r);
        done(store.set(unicode, bytes("u")));
        done(store.set(longKey, bytes("l")));
        assertThat(done(store.get(unicode))).asString(StandardCharsets.UTF_8).isEqualTo("u");
        assertThat(done(store.get(accented))).isNull();
        assertThat(done(store.get(longKey))).asString(StandardCharsets.UTF_8).isEqualTo("l");
        assertThat(done(store.get(key("x".repeat(9_999))))).isNull();
        assertThat(done(store.increment(longKey + "n", 2))).isEqualTo(2L);
        assertThat(done(store.delete(unicode))).isTrue();
        assertChange(r.next(), unicode, ChangeType.SET, "u");
        assertChange(r.next(), unicode, ChangeType.DELETED, null);
    }
}
