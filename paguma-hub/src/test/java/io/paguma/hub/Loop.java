package io.paguma.hub;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;
import java.util.function.Supplier;

import static org.awaitility.Awaitility.await;

/** A test's main loop: calls update() until what it saw meets a condition (bounded by Awaitility). */
final class Loop {
    private final Supplier<List<HubEvent>> update;
    final List<HubEvent> seen = new CopyOnWriteArrayList<>();

    Loop(NetHub hub) {
        this.update = hub::update;
    }

    Loop(Supplier<List<HubEvent>> update) {
        this.update = update;
    }

    /** Ticks until {@code done} holds for everything seen so far; returns it. */
    List<HubEvent> until(Predicate<List<HubEvent>> done) {
        await().atMost(Duration.ofSeconds(20)).pollInSameThread().pollInterval(Duration.ofMillis(5)).until(() -> {
            seen.addAll(update.get());
            return done.test(seen);
        });
        return seen;
    }

    /** Ticks until {@code n} events of {@code type} were seen; returns those. */
    List<HubEvent> untilCount(HubEvent.Type type, int n) {
        until(s -> of(type).size() >= n);
        return of(type);
    }

    List<HubEvent> of(HubEvent.Type type) {
        List<HubEvent> out = new ArrayList<>();
        for (HubEvent e : seen) if (e.type() == type) out.add(e);
        return out;
    }

    List<Map<String, Object>> dicts() {
        List<Map<String, Object>> out = new ArrayList<>();
        for (HubEvent e : of(HubEvent.Type.RECEIVED)) out.add(e.dict());
        return out;
    }
}
