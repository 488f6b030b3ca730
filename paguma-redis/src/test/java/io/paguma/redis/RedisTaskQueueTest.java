package io.paguma.redis;

import io.paguma.PagumaConfig;
import io.paguma.cluster.Task;
import io.paguma.cluster.TaskState;
import io.paguma.cluster.TaskStatus;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The task queue on Redis (SPEC X7): streams with a consumer group, an executor's entries taken
 * over ({@code XAUTOCLAIM}) once it stops refreshing them, and kept while it does.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RedisTaskQueueTest {
    private static final Duration TTL = Duration.ofMillis(600);
    private static RedisServerHarness redis;

    @BeforeAll
    static void startRedis() {
        redis = RedisServerHarness.start();
    }

    @AfterAll
    static void stopRedis() {
        redis.close();
    }

    private static RedisTaskQueue queue(String prefix) {
        PagumaConfig c = RedisSharedDataTest.config(redis, "PAGUMA_REDIS_KEY_PREFIX", prefix);
        return new RedisTaskQueue("test", c.section(new RedisConfig()), TTL, null);
    }

    private static Task published(String type, String key, Duration timeout, String publisher) {
        return new Task(UUID.randomUUID().toString(), type, "x".getBytes(), List.of(), key, timeout, publisher);
    }

    @Test
    void aCrashedExecutorsTaskIsTakenOverAndALiveOnesIsNot() throws Exception {
        String prefix = "q" + UUID.randomUUID().toString().substring(0, 8) + ":";
        RedisTaskQueue publisher = queue(prefix);
        RedisTaskQueue onB = queue(prefix);
        RedisTaskQueue onC = queue(prefix);
        RedisTaskQueue onD = queue(prefix);
        try {
            BlockingQueue<Task> toB = new LinkedBlockingQueue<>();
            onB.serve("b", Set.of("job"), 2, toB::add);
            List<TaskStatus> seen = new CopyOnWriteArrayList<>();
            publisher.watchTasks(seen::add);
            Task crashed = published("job", "k1", Duration.ofMinutes(1), "pub");
            Task kept = published("job", "k2", Duration.ofMinutes(1), "pub");
            publisher.publish(crashed).get(5, TimeUnit.SECONDS);
            publisher.publish(kept).get(5, TimeUnit.SECONDS);
            Task first = toB.poll(5, TimeUnit.SECONDS);
            Task second = toB.poll(5, TimeUnit.SECONDS);
            assertThat(List.of(first.id(), second.id())).containsExactlyInAnyOrder(crashed.id(), kept.id());
            onB.report(crashed.id(), "b", TaskState.RUNNING, null).get(5, TimeUnit.SECONDS);
            // d keeps running "kept" on its own: b's copy is handed to d, which refreshes it from now on.
            BlockingQueue<Task> toD = new LinkedBlockingQueue<>();
            // b dies: no goodbye, no requeue, its entries stop being refreshed.
            onB.close();
            BlockingQueue<Task> toC = new LinkedBlockingQueue<>();
            onC.serve("c", Set.of("job"), 1, toC::add);
            Task taken = toC.poll(10, TimeUnit.SECONDS);
            assertThat(taken).as("a task of the dead executor, taken over").isNotNull();
            TaskStatus s = onC.status(taken.id()).get(5, TimeUnit.SECONDS);
            assertThat(s.state()).isEqualTo(TaskState.ASSIGNED);
            assertThat(s.executor()).isEqualTo("c");
            assertThat(s.attempts()).isEqualTo(2);
            assertThat(s.detail()).contains("taken over from b");
            onC.report(taken.id(), "c", TaskState.RUNNING, null).get(5, TimeUnit.SECONDS);
            // The other one goes to d (c has one slot); d runs it long, refreshing: nobody takes it from d.
            onD.serve("d", Set.of("job"), 1, toD::add);
            Task other = toD.poll(10, TimeUnit.SECONDS);
            assertThat(other).isNotNull();
            assertThat(other.id()).isNotEqualTo(taken.id());
            onC.report(taken.id(), "c", TaskState.DONE, null).get(5, TimeUnit.SECONDS);
            // c is free now; d's task stays d's for several TTLs.
            await().pollDelay(TTL.multipliedBy(4)).atMost(TTL.multipliedBy(6)).until(() -> true);
            assertThat(toC).isEmpty();
            TaskStatus onDNow = onD.status(other.id()).get(5, TimeUnit.SECONDS);
            assertThat(onDNow.executor()).isEqualTo("d");
            assertThat(onDNow.attempts()).isEqualTo(2);
            onD.report(other.id(), "d", TaskState.DONE, null).get(5, TimeUnit.SECONDS);
            await().atMost(Duration.ofSeconds(5)).until(() -> seen.stream().filter(x -> x.state() == TaskState.DONE).count() == 2);
            // The key is kept: publishing again answers the ended task.
            TaskStatus again = publisher.publish(published("job", "k1", Duration.ofMinutes(1), "pub")).get(5, TimeUnit.SECONDS);
            assertThat(again.id()).isEqualTo(crashed.id());
            assertThat(again.state()).isEqualTo(TaskState.DONE);
        } finally {
            publisher.close();
            onC.close();
            onD.close();
        }
    }

    @Test
    void aTaskNotDoneInTimeIsTimedOut() throws Exception {
        String prefix = "q" + UUID.randomUUID().toString().substring(0, 8) + ":";
        RedisTaskQueue q = queue(prefix);
        try {
            BlockingQueue<Task> got = new LinkedBlockingQueue<>();
            q.serve("w", Set.of("slow"), 1, got::add);
            Task t = published("slow", "s1", Duration.ofMillis(300), "pub");
            q.publish(t).get(5, TimeUnit.SECONDS);
            assertThat(got.poll(5, TimeUnit.SECONDS)).isNotNull();
            await().atMost(Duration.ofSeconds(5)).until(() -> q.status(t.id()).get().state() == TaskState.TIMED_OUT);
            assertThat(q.status(t.id()).get().detail()).contains("300 ms").contains("w");
            // A late report changes nothing.
            q.report(t.id(), "w", TaskState.DONE, null).get(5, TimeUnit.SECONDS);
            assertThat(q.status(t.id()).get().state()).isEqualTo(TaskState.TIMED_OUT);
        } finally {
            q.close();
        }
    }

    /**
     * The QUEUED line of a publish is heard on the pub/sub connection, the take's answer on
     * another: heard after the take, it made the executor drop a task it was running from its
     * load, so the next went to it beyond its slots (ExecutorTasksOnRedisTest saw loads 4/2 for
     * 3/3). A line no newer than the executor's own assignment is now ignored.
     */
    @Test
    void aStatusLineOlderThanTheTakeHeardLateDoesNotFreeTheExecutorsSlot() throws Exception {
        String prefix = "q" + UUID.randomUUID().toString().substring(0, 8) + ":";
        RedisTaskQueue q = queue(prefix);
        io.lettuce.core.RedisClient raw = io.lettuce.core.RedisClient.create(redis.uri());
        try (var conn = raw.connect()) {
            BlockingQueue<Task> toB = new LinkedBlockingQueue<>();
            q.serve("b", Set.of("job"), 1, toB::add);
            Task t = published("job", "k-stale", Duration.ofMinutes(1), "pub");
            TaskStatus queued = q.publish(t).get(5, TimeUnit.SECONDS);
            assertThat(queued.state()).isEqualTo(TaskState.QUEUED);
            assertThat(toB.poll(5, TimeUnit.SECONDS)).extracting(Task::id).isEqualTo(t.id());
            await().atMost(Duration.ofSeconds(5)).until(() -> q.load().get("b") == 1);
            List<TaskStatus> heard = new CopyOnWriteArrayList<>();
            q.watchTasks(heard::add);
            // The publish's own QUEUED line once more, as a late delivery would bring it.
            String line = String.join("\n", t.id(), "job", "k-stale", "pub", "QUEUED", "", "0", Long.toString(queued.version()), "");
            conn.sync().publish(prefix + "task-changes", line);
            await().atMost(Duration.ofSeconds(5)).until(() -> heard.stream()
                    .anyMatch(s -> s.state() == TaskState.QUEUED && s.version() == queued.version()));
            assertThat(q.load()).as("b's load after a stale line").containsEntry("b", 1);
        } finally {
            raw.shutdown();
            q.close();
        }
    }
}
