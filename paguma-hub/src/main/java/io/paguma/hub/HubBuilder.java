package io.paguma.hub;

import io.paguma.ConfigSection;
import io.paguma.PagumaConfig;
import io.paguma.PagumaRuntime;

import java.util.Objects;

/**
 * What {@link NetHub.Builder} and {@link ConnectionMgr.Builder} share: the config, the runtime,
 * the name, and the hub's own settings, each overriding section {@code hub} of the config
 * ({@link HubConfig}).
 */
public abstract class HubBuilder<B extends HubBuilder<B>> {
    PagumaConfig config;
    PagumaRuntime runtime;
    String name;
    int maxPending;
    int maxDepth;
    int maxQueued;

    HubBuilder() {
    }

    @SuppressWarnings("unchecked")
    private B self() {
        return (B) this;
    }

    /** Core's keys for the links and the hub's section ({@link HubConfig}); default: {@link PagumaConfig#defaults()}. */
    public B config(PagumaConfig config) {
        this.config = Objects.requireNonNull(config, "config");
        return self();
    }

    /** Runs the links on {@code runtime} (shared with other endpoints); default: a runtime of its own, one IO thread. */
    public B runtime(PagumaRuntime runtime) {
        this.runtime = Objects.requireNonNull(runtime, "runtime");
        return self();
    }

    /** The name in logs and thread names. */
    public B name(String name) {
        this.name = Objects.requireNonNull(name, "name");
        return self();
    }

    /** {@code hub.maxPending}. */
    public B maxPending(int maxPending) {
        if (maxPending < 1) throw new IllegalArgumentException("maxPending must be at least 1");
        this.maxPending = maxPending;
        return self();
    }

    /** {@code hub.maxDepth}. */
    public B maxDepth(int maxDepth) {
        if (maxDepth < 1 || maxDepth > DictCodec.MAX_DEPTH_LIMIT) {
            throw new IllegalArgumentException("maxDepth must be 1.." + DictCodec.MAX_DEPTH_LIMIT);
        }
        this.maxDepth = maxDepth;
        return self();
    }

    /** {@code hub.maxQueued}. */
    public B maxQueued(int maxQueued) {
        if (maxQueued < 1) throw new IllegalArgumentException("maxQueued must be at least 1");
        this.maxQueued = maxQueued;
        return self();
    }

    PagumaConfig effectiveConfig() {
        return config != null ? config : PagumaConfig.defaults();
    }

    ConfigSection.Values section() {
        return effectiveConfig().section(new HubConfig());
    }

    int effectiveMaxPending() {
        return maxPending > 0 ? maxPending : section().get(HubConfig.MAX_PENDING);
    }

    /** The links, with this builder's settings; {@code defaultName} when none was given. */
    Links links(String defaultName) {
        ConfigSection.Values hub = section();
        return new Links(name != null ? name : defaultName, effectiveConfig(), runtime,
                new DictCodec(maxDepth > 0 ? maxDepth : hub.get(HubConfig.MAX_DEPTH)),
                maxQueued > 0 ? maxQueued : hub.get(HubConfig.MAX_QUEUED));
    }
}
