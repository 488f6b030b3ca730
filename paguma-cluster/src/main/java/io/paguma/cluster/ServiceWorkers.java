package io.paguma.cluster;

import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * Where a node runs the service work that arrives over node links (forwarded client messages,
 * service requests): lanes of one thread each, so that a handler that blocks (a {@code call} to
 * another service, a slow database) holds up only the clients of its lane — never the link, its
 * events and its other clients. A key picks the lane: one client's messages keep their order.
 * Each lane holds at most {@code maxQueued} tasks; beyond that the work is refused (the node is
 * overloaded), never queued without bound.
 */
final class ServiceWorkers {
    private final ThreadPoolExecutor[] lanes;

    ServiceWorkers(String prefix, int count, int maxQueued) {
        lanes = new ThreadPoolExecutor[count];
        for (int i = 0; i < count; i++) {
            String name = prefix + "-" + (i + 1);
            ThreadPoolExecutor lane = new ThreadPoolExecutor(1, 1, 10, TimeUnit.SECONDS, new LinkedBlockingQueue<>(maxQueued), r -> {
                Thread t = new Thread(r, name);
                t.setDaemon(true);
                return t;
            });
            lane.allowCoreThreadTimeOut(true);
            lanes[i] = lane;
        }
    }

    /** Whether there are lanes at all (none: the work runs where it arrives). */
    boolean inline() {
        return lanes.length == 0;
    }

    /** Runs {@code task} on the lane of {@code key}, after what waits there; false when that lane is full or stopped. */
    boolean execute(long key, Runnable task) {
        if (lanes.length == 0) {
            task.run();
            return true;
        }
        try {
            lanes[(int) Math.floorMod(key, (long) lanes.length)].execute(task);
            return true;
        } catch (RejectedExecutionException full) {
            return false;
        }
    }

    void shutdown() {
        for (ThreadPoolExecutor lane : lanes) {
            lane.shutdown();
        }
    }
}
