package io.paguma.cluster;

import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/**
 * Who is in the cluster (SPEC X6, B8; seed 002 §3.1.1): members join with their {@link NodeInfo},
 * keep it current, and leave; every member sees the others come, change and go. Three homes: this
 * process ({@link InProcessRegistry}, for nodes in one JVM), the seed's registry node
 * ({@code ./paguma registry}), and Redis.
 *
 * <p>A registry object is one process's view of the cluster. Any number of members may join
 * through one view (several nodes in one JVM); each gets its own {@link Membership}. A member
 * that stops refreshing itself — its process died, its link to the registry broke for longer than
 * the registry's time to live — is dropped and seen to leave, with a reason saying so.
 *
 * <p>Nothing here blocks: operations return futures; {@link #members()} is the view's latest
 * knowledge. Listeners are called one at a time, in the order the view learnt the changes, never
 * on the caller's thread; a listener must not block for long.
 */
public interface Registry extends AutoCloseable {

    /**
     * Makes {@code self} a member and keeps it one (refreshing it as the implementation needs)
     * until {@link Membership#leave()} or {@link #close()}. Fails with
     * {@link RegistryException} when the registry cannot be reached or a live member has the id.
     */
    CompletableFuture<Membership> join(NodeInfo self);

    /**
     * Completes once this view has read the membership (a remote view: connected and read it);
     * until then {@link #members()} may be empty. A view that cannot reach its registry does not
     * complete it. Already complete for an in-process registry.
     */
    default CompletableFuture<Void> ready() {
        return CompletableFuture.completedFuture(null);
    }

    /**
     * Where this registry's cluster queues tasks for executors (SPEC X7), or null if it has no
     * such place: the registry node and Redis hold one, an in-process registry one for its JVM.
     */
    default TaskQueue tasks() {
        return null;
    }

    /** The members this view knows, by id, including those joined through it. */
    Map<String, NodeInfo> members();

    /**
     * Calls {@code listener} for every later change of membership this view learns. The
     * subscription ends with {@link Subscription#close()} or when the view closes.
     */
    Subscription watch(Consumer<MembershipChange> listener);

    /**
     * Leaves for every member joined through this view (as gracefully as the home allows) and
     * releases its threads and connections. Safe to call twice.
     */
    @Override
    void close();

    /** One member's place in the cluster. */
    interface Membership {
        /** The info the cluster has for this member now. */
        NodeInfo self();

        /** Replaces the member's info (same id): its load, services or attributes changed. */
        CompletableFuture<Void> update(NodeInfo info);

        /** Leaves the cluster now; the others see {@link MembershipChange.Type#LEFT}. Safe to call twice. */
        CompletableFuture<Void> leave();
    }

    /**
     * A member came, changed or went. For {@code LEFT}, {@code node} is its last known info and
     * {@code reason} says why ("left", or that it stopped refreshing, its link closed, ...).
     */
    record MembershipChange(Type type, NodeInfo node, String reason) {
        public enum Type { JOINED, UPDATED, LEFT }

        @Override
        public String toString() {
            return type + " " + node.id() + (reason == null ? "" : " (" + reason + ")");
        }
    }

    /** A listener's registration. */
    interface Subscription extends AutoCloseable {
        @Override
        void close();
    }
}
