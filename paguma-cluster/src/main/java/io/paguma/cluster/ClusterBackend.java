package io.paguma.cluster;

import io.paguma.PagumaConfig;
import io.paguma.PagumaRuntime;

/**
 * A home for a cluster's registry and shared data other than this process, found with
 * {@link java.util.ServiceLoader} when {@code cluster.registry} or {@code cluster.sharedData}
 * names it ({@code node}, {@code redis}, {@code service}). paguma-redis provides {@code redis}.
 */
public interface ClusterBackend {

    /** The name the config uses: {@code redis}. */
    String name();

    /** A registry view for a node of this process, configured from {@code config}. */
    Registry registry(PagumaConfig config, PagumaRuntime runtime);

    /** Shared data for a node of this process, configured from {@code config}. */
    SharedData sharedData(PagumaConfig config, PagumaRuntime runtime);
}
