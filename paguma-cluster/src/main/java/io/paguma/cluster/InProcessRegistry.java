package io.paguma.cluster;

import io.paguma.cluster.Registry.MembershipChange.Type;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * A {@link Registry} held in this process: the cluster is the nodes of one JVM that share this
 * object (tests, a demo, a single-machine deployment). Members are known to everyone at once;
 * one leaves when it calls {@link Membership#leave()} or the registry closes — there is no other
 * process to fail.
 *
 * <p>One daemon thread, {@code paguma-registry-<n>}, calls the listeners, one at a time in the
 * order of the changes; it ends after a second without work and comes back when needed.
 */
public final class InProcessRegistry implements Registry {
    private static final Logger log = LoggerFactory.getLogger(InProcessRegistry.class);
    /** The tasks of this JVM's executors. */
    private final InProcessTaskQueue tasks = new InProcessTaskQueue();
    private static final AtomicInteger NEXT_NUMBER = new AtomicInteger(1);

    private final Map<String, NodeInfo> members = new ConcurrentHashMap<>();
    private final CopyOnWriteArrayList<Watch> watches = new CopyOnWriteArrayList<>();
    private final ExecutorService notifier;
    private final Object lock = new Object();
    /** Guarded by {@link #lock}. */
    private boolean closed;

    public InProcessRegistry() {
        String threadName = "paguma-registry-" + NEXT_NUMBER.getAndIncrement();
        ThreadPoolExecutor executor = new ThreadPoolExecutor(1, 1, 1, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), r -> {
            Thread t = new Thread(r, threadName);
            t.setDaemon(true);
            return t;
        });
        executor.allowCoreThreadTimeOut(true);
        notifier = executor;
    }

    @Override
    public CompletableFuture<Membership> join(NodeInfo self) {
        Objects.requireNonNull(self, "self");
        synchronized (lock) {
            if (closed) {
                return CompletableFuture.failedFuture(new RegistryException("registry is closed"));
            }
            if (members.putIfAbsent(self.id(), self) != null) {
                return CompletableFuture.failedFuture(new RegistryException("a live member has the id " + self.id()));
            }
            publish(new MembershipChange(Type.JOINED, self, null));
        }
        return CompletableFuture.completedFuture(new LocalMembership(self.id()));
    }

    @Override
    public TaskQueue tasks() {
        return tasks;
    }

    @Override
    public Map<String, NodeInfo> members() {
        return Map.copyOf(members);
    }

    @Override
    public Subscription watch(Consumer<MembershipChange> listener) {
        Objects.requireNonNull(listener, "listener");
        Watch w = new Watch(listener);
        watches.add(w);
        return () -> watches.remove(w);
    }

    @Override
    public void close() {
        synchronized (lock) {
            if (closed) {
                return;
            }
            closed = true;
            tasks.close();
            for (NodeInfo n : members.values()) {
                members.remove(n.id());
                publish(new MembershipChange(Type.LEFT, n, "registry closed"));
            }
        }
        notifier.shutdown();
    }

    /** Called under {@link #lock}: the order of the queue is the order of the changes. */
    private void publish(MembershipChange change) {
        log.info("registry: {}", change.type() == Type.LEFT ? change : change.type() + " " + change.node());
        try {
            notifier.execute(() -> {
                for (Watch w : watches) {
                    try {
                        w.listener.accept(change);
                    } catch (RuntimeException e) {
                        log.warn("registry listener failed on {}", change, e);
                    }
                }
            });
        } catch (RejectedExecutionException e) {
            // closing: later changes are not delivered
        }
    }

    private record Watch(Consumer<MembershipChange> listener) {
    }

    private final class LocalMembership implements Membership {
        private final String id;
        private volatile NodeInfo self;
        private boolean left;

        LocalMembership(String id) {
            this.id = id;
            this.self = members.get(id);
        }

        @Override
        public NodeInfo self() {
            return self;
        }

        @Override
        public CompletableFuture<Void> update(NodeInfo info) {
            if (!info.id().equals(id)) {
                return CompletableFuture.failedFuture(new IllegalArgumentException(
                        "member " + id + " cannot change its id to " + info.id()));
            }
            synchronized (lock) {
                if (left || closed) {
                    return CompletableFuture.failedFuture(new RegistryException("member " + id + " has left"));
                }
                members.put(id, info);
                self = info;
                publish(new MembershipChange(Type.UPDATED, info, null));
            }
            return CompletableFuture.completedFuture(null);
        }

        @Override
        public CompletableFuture<Void> leave() {
            synchronized (lock) {
                if (!left && !closed) {
                    left = true;
                    NodeInfo last = members.remove(id);
                    if (last != null) {
                        publish(new MembershipChange(Type.LEFT, last, "left"));
                    }
                }
                left = true;
            }
            return CompletableFuture.completedFuture(null);
        }
    }
}
