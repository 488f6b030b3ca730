package io.paguma.cluster;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * A member in a process of its own, for {@link RegistryProcessTest}: joins the registry node at
 * {@code args[0]} as {@code args[1]} with memberTtl {@code args[2]} ms, prints {@code JOINED <id>},
 * then heartbeats until it is killed.
 */
public final class RegistryMemberMain {
    private RegistryMemberMain() {
    }

    public static void main(String[] args) throws Exception {
        RegistryClient view = RegistryClient.builder().address(args[0])
                .memberTtl(Duration.ofMillis(Long.parseLong(args[2]))).build();
        view.join(NodeInfo.of(args[1], "127.0.0.1", 0)).get(30, TimeUnit.SECONDS);
        System.out.println("JOINED " + args[1]);
        System.out.flush();
        new CountDownLatch(1).await();
    }
}
