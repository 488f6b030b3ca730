package io.paguma.testing;

import io.netty.channel.EventLoop;
import io.netty.util.concurrent.AbstractScheduledEventExecutor;

import java.lang.reflect.Field;
import java.util.Collection;
import java.util.concurrent.TimeUnit;

/** What an event loop holds, read on the loop itself (for tests that look for leaked timers). */
public final class EventLoops {
    private EventLoops() {
    }

    /** The tasks scheduled on {@code loop} and not yet run or cancelled. */
    public static int scheduledTasks(EventLoop loop) {
        try {
            Field f = AbstractScheduledEventExecutor.class.getDeclaredField("scheduledTaskQueue");
            f.setAccessible(true);
            return loop.submit(() -> {
                Collection<?> q = (Collection<?>) f.get(loop);
                return q == null ? 0 : q.size();
            }).get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new AssertionError("cannot read the scheduled tasks of " + loop, e);
        }
    }
}
