package io.paguma.cluster;

import io.paguma.cluster.Registry.Membership;
import io.paguma.cluster.Registry.MembershipChange;
import io.paguma.cluster.Registry.MembershipChange.Type;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * The {@link Registry} contract, run by every implementation: a test class extends this one and
 * says how to open a view onto one cluster. Node ids carry a random prefix per test, so a cluster
 * shared between tests (one Redis, one registry node) does not mix them up; assertions look only
 * at the test's own members.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
public abstract class RegistryContract {
    private final List<Registry> views = new ArrayList<>();
    private final String prefix = "t" + UUID.randomUUID().toString().substring(0, 8) + "-";

    /**
     * A new view onto the test's cluster (the same cluster on every call within a test), that has
     * read the membership ({@link Registry#ready()} complete); closed after the test.
     */
    protected abstract Registry createView();

    /** How long a change may take to reach every view (the implementation's configured bound). */
    protected abstract Duration propagation();

    protected final Registry view() {
        Registry r = createView();
        views.add(r);
        return r;
    }

    protected final String id(String name) {
        return prefix + name;
    }

    protected final NodeInfo node(String name, int port) {
        return NodeInfo.of(id(name), "127.0.0.1", port).withServices(Set.of("chat"));
    }

    @AfterEach
    void closeViews() {
        for (Registry r : views) {
            r.close();
        }
    }

    private List<MembershipChange> recorder(Registry view) {
        List<MembershipChange> seen = new CopyOnWriteArrayList<>();
        view.watch(c -> {
            if (c.node().id().startsWith(prefix)) {
                seen.add(c);
            }
        });
        return seen;
    }

    private static <T> T done(java.util.concurrent.CompletableFuture<T> f) throws Exception {
        return f.get(10, TimeUnit.SECONDS);
    }

    @Test
    void aJoinIsSeenByEveryViewWithTheMembersInfo() throws Exception {
        Registry a = view();
        Registry b = view();
        List<MembershipChange> seenByB = recorder(b);
        NodeInfo info = node("a", 7001).withLoad(3).withAttribute("gateway", "9001");
        Membership m = done(a.join(info));
        assertThat(m.self()).isEqualTo(info);
        await().atMost(propagation()).untilAsserted(() -> {
            assertThat(b.members()).containsEntry(info.id(), info);
            assertThat(seenByB).extracting(MembershipChange::type).contains(Type.JOINED);
        });
        assertThat(seenByB.get(0).node()).isEqualTo(info);
        assertThat(a.members()).containsEntry(info.id(), info);
    }

    @Test
    void anUpdateReplacesTheInfoEverywhere() throws Exception {
        Registry a = view();
        Registry b = view();
        List<MembershipChange> seenByB = recorder(b);
        Membership m = done(a.join(node("a", 7001)));
        NodeInfo busier = m.self().withLoad(42).withServices(Set.of("chat", "store"));
        done(m.update(busier));
        assertThat(m.self()).isEqualTo(busier);
        await().atMost(propagation()).untilAsserted(() -> {
            assertThat(b.members().get(busier.id())).isEqualTo(busier);
            assertThat(seenByB).anySatisfy(c -> {
                assertThat(c.type()).isEqualTo(Type.UPDATED);
                assertThat(c.node()).isEqualTo(busier);
            });
        });
    }

    @Test
    void anUpdateCannotChangeTheId() throws Exception {
        Membership m = done(view().join(node("a", 7001)));
        assertThatThrownBy(() -> done(m.update(node("b", 7001))))
                .isInstanceOf(ExecutionException.class).hasCauseInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aLeaveIsSeenEverywhereWithItsLastInfo() throws Exception {
        Registry a = view();
        Registry b = view();
        List<MembershipChange> seenByB = recorder(b);
        Membership m = done(a.join(node("a", 7001)));
        await().atMost(propagation()).until(() -> b.members().containsKey(id("a")));
        done(m.leave());
        done(m.leave()); // twice is fine
        await().atMost(propagation()).untilAsserted(() -> {
            assertThat(b.members()).doesNotContainKey(id("a"));
            assertThat(seenByB).anySatisfy(c -> {
                assertThat(c.type()).isEqualTo(Type.LEFT);
                assertThat(c.node().port()).isEqualTo(7001);
                assertThat(c.reason()).isNotBlank();
            });
        });
        assertThat(a.members()).doesNotContainKey(id("a"));
        assertThatThrownBy(() -> done(m.update(m.self().withLoad(1))))
                .isInstanceOf(ExecutionException.class).hasCauseInstanceOf(RegistryException.class);
    }

    @Test
    void aLiveIdCannotJoinTwiceButCanAfterLeaving() throws Exception {
        Registry a = view();
        Registry b = view();
        Membership m = done(a.join(node("a", 7001)));
        await().atMost(propagation()).until(() -> b.members().containsKey(id("a")));
        assertThatThrownBy(() -> done(b.join(node("a", 7002))))
                .isInstanceOf(ExecutionException.class).hasCauseInstanceOf(RegistryException.class)
                .hasMessageContaining(id("a"));
        assertThat(a.members().get(id("a")).port()).isEqualTo(7001);
        done(m.leave());
        Membership again = done(b.join(node("a", 7002)));
        assertThat(again.self().port()).isEqualTo(7002);
        await().atMost(propagation()).untilAsserted(() -> assertThat(a.members().get(id("a"))).isNotNull()
                .extracting(NodeInfo::port).isEqualTo(7002));
    }

    @Test
    void closingAViewMakesItsMembersLeave() throws Exception {
        Registry a = view();
        Registry b = view();
        List<MembershipChange> seenByB = recorder(b);
        done(a.join(node("a1", 7001)));
        done(a.join(node("a2", 7002)));
        await().atMost(propagation()).until(() -> b.members().keySet().containsAll(List.of(id("a1"), id("a2"))));
        a.close();
        a.close();
        await().atMost(propagation()).untilAsserted(() -> {
            assertThat(b.members()).doesNotContainKeys(id("a1"), id("a2"));
            assertThat(seenByB).filteredOn(c -> c.type() == Type.LEFT).extracting(c -> c.node().id())
                    .contains(id("a1"), id("a2"));
        });
        assertThatThrownBy(() -> done(a.join(node("a3", 7003))))
                .isInstanceOf(ExecutionException.class).hasCauseInstanceOf(RegistryException.class);
    }

    @Test
    void changesOfOneMemberArriveInOrderAndAFailingListenerHarmsNoOther() throws Exception {
        Registry a = view();
        Registry b = view();
        b.watch(c -> {
            throw new IllegalStateException("listener fails on purpose");
        });
        List<MembershipChange> seenByB = recorder(b);
        Membership m = done(a.join(node("a", 7001)));
        for (int load = 1; load <= 20; load++) {
            done(m.update(m.self().withLoad(load)));
        }
        done(m.leave());
        await().atMost(propagation()).untilAsserted(() ->
                assertThat(seenByB).last().extracting(MembershipChange::type).isEqualTo(Type.LEFT));
        // Updates may be merged by a home that only keeps the latest info, never reordered.
        long previous = -1;
        for (MembershipChange c : seenByB) {
            if (c.type() == Type.UPDATED) {
                assertThat(c.node().load()).isGreaterThan(previous);
                previous = c.node().load();
            }
        }
        assertThat(seenByB.get(0).type()).isEqualTo(Type.JOINED);
    }

    @Test
    void aClosedSubscriptionHearsNothingMore() throws Exception {
        Registry a = view();
        Registry b = view();
        List<MembershipChange> seen = new CopyOnWriteArrayList<>();
        Registry.Subscription s = b.watch(c -> {
            if (c.node().id().startsWith(prefix)) {
                seen.add(c);
            }
        });
        List<MembershipChange> witness = recorder(b);
        Membership m = done(a.join(node("a", 7001)));
        await().atMost(propagation()).until(() -> !seen.isEmpty());
        s.close();
        done(m.leave());
        await().atMost(propagation()).until(() -> witness.stream().anyMatch(c -> c.type() == Type.LEFT));
        assertThat(seen).extracting(MembershipChange::type).doesNotContain(Type.LEFT);
    }
}
