package io.paguma.cluster;

import io.paguma.cluster.SharedData.Change;
import io.paguma.cluster.SharedData.ChangeType;
import io.paguma.testing.LogCapture;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/** The contract, plus what is particular to the in-process store: its thread. */
class InProcessSharedDataTest extends SharedDataContract {

    @Override
    protected SharedData create() {
        return InProcessSharedData.create("test-" + UUID.randomUUID());
    }

    private static Set<Thread> threadsNamed(String name) {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().equals(name) && t.isAlive())
                .collect(java.util.stream.Collectors.toSet());
    }

    @Test
    void closeEndsTheStoresThread() throws Exception {
        String name = "leak-" + UUID.randomUUID();
        InProcessSharedData s = InProcessSharedData.create(name);
        Recorder r = new Recorder();
        s.subscribe("k", r);
        done(s.set("k", bytes("v"), Duration.ofHours(1)));
        Change c = r.next();
        assertThat(c.type()).isEqualTo(ChangeType.SET);
        assertThat(r.threads).singleElement().satisfies(t -> {
            assertThat(t.getName()).isEqualTo("paguma-shared-data-" + name);
            assertThat(t.isDaemon()).isTrue();
        });
        assertThat(threadsNamed("paguma-shared-data-" + name)).hasSize(1);

        // A listener still running when close is called, deaf to interrupts: close waits for it.
        CountDownLatch running = new CountDownLatch(1);
        s.subscribe("slow", x -> {
            running.countDown();
            long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(200);
            for (long left; (left = end - System.nanoTime()) > 0; ) {
                Thread.interrupted();
                LockSupport.parkNanos(left);
            }
        });
        done(s.set("slow", bytes("v")));
        assertThat(running.await(5, TimeUnit.SECONDS)).isTrue();
        s.close();
        assertThat(threadsNamed("paguma-shared-data-" + name)).isEmpty();
    }

    @Test
    void storesAreIndependent() {
        String name = "same-name";
        InProcessSharedData a = InProcessSharedData.create(name);
        InProcessSharedData b = InProcessSharedData.create(name);
        try {
            done(a.set("k", bytes("a")));
            assertThat(done(b.get("k"))).isNull();
            a.close();
            done(b.set("k", bytes("b")));
            assertThat(done(b.get("k"))).asString(StandardCharsets.UTF_8).isEqualTo("b");
        } finally {
            a.close();
            b.close();
        }
    }

    @Test
    void expiryIsHeardOnTime() {
        // SPEC: within about 50 ms of the deadline; the bound here is looser, for loaded machines.
        Recorder r = new Recorder();
        store.subscribe("k", r);
        long start = System.nanoTime();
        done(store.set("k", bytes("v"), Duration.ofMillis(100)));
        r.next();
        assertThat(r.next().type()).isEqualTo(ChangeType.EXPIRED);
        long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertThat(tookMs).isBetween(100L, 600L);
    }

    @Test
    void anExpiredKeyIsAbsentEvenWhenTheThreadIsLate() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        BlockingQueue<Change> heard = new LinkedBlockingQueue<>();
        store.subscribe("k", c -> {
            heard.add(c);
            if (c.type() == ChangeType.SET) {
                try {
                    release.await(10, TimeUnit.SECONDS); // holds the store's thread: no timer runs
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        });
        done(store.set("k", bytes("v"), Duration.ofMillis(100)));
        assertThat(heard.poll(5, TimeUnit.SECONDS)).isNotNull();
        await().atMost(WAIT).pollInterval(Duration.ofMillis(10)).until(() -> done(store.get("k")) == null);
        assertThat(heard).isEmpty();
        release.countDown();
        assertThat(heard.poll(5, TimeUnit.SECONDS).type()).isEqualTo(ChangeType.EXPIRED);
        done(store.set("k", bytes("w")));
        assertThat(heard.poll(5, TimeUnit.SECONDS).type()).isEqualTo(ChangeType.SET); // expired only once
    }

    @Test
    void aThrowingListenerIsLoggedWithItsKey() {
        try (LogCapture logs = LogCapture.start()) {
            store.subscribe("noisy-key", c -> {
                throw new IllegalStateException("on purpose");
            });
            Recorder r = new Recorder();
            store.subscribe("noisy-key", r);
            done(store.set("noisy-key", bytes("v")));
            r.next();
            assertThat(logs.at("WARN", "noisy-key", "on purpose")).hasSize(1);
        }
    }

    @Test
    void subscribeChecksItsArguments() {
        assertThatThrownBy(() -> store.subscribe(null, c -> { })).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> store.subscribe("", c -> { })).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> store.subscribe("k", null)).isInstanceOf(NullPointerException.class);
        store.close();
        assertThatThrownBy(() -> store.subscribe("k", c -> { })).isInstanceOf(SharedDataException.class)
                .hasMessageContaining("is closed");
    }

    @Test
    void aListenerMayCloseItsStore() {
        String name = "self-close-" + UUID.randomUUID();
        InProcessSharedData s = InProcessSharedData.create(name);
        AtomicReference<Thread> thread = new AtomicReference<>();
        CountDownLatch closed = new CountDownLatch(1);
        s.subscribe("k", c -> {
            thread.set(Thread.currentThread());
            s.close();
            closed.countDown();
        });
        done(s.set("k", bytes("v")));
        await().atMost(WAIT).until(() -> closed.getCount() == 0);
        await().atMost(WAIT).until(() -> !thread.get().isAlive());
        assertThat(failure(s.get("k"))).isInstanceOf(SharedDataException.class);
    }
}
