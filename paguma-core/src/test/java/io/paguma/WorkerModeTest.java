package io.paguma;

import io.paguma.testing.FrameSocket;
import io.paguma.testing.Servers;
import org.junit.jupiter.api.Test;

import java.net.Socket;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

class WorkerModeTest {

    private static Server threadEcho(PagumaConfig config) {
        return Server.builder().config(config)
                .route(1, r -> r.reply(1, Thread.currentThread().getName()))
                .build().start();
    }

    @Test
    void hashModePinsByConnectionId() throws Exception {
        Server server = threadEcho(Servers.config().name("hash").workerPoolSize(3).build());
        try {
            for (int i = 0; i < 6; i++) {
                try (FrameSocket s = FrameSocket.connect(server.port())) {
                    s.send(1, "");
                    String thread = s.read().text();
                    long id = server.connections().all().iterator().next().id();
                    assertThat(thread).isEqualTo("paguma-hash-worker-" + (id % 3));
                    for (int k = 0; k < 5; k++) {
                        s.send(1, "");
                        assertThat(s.read().text()).isEqualTo(thread);
                    }
                }
                await().atMost(5, SECONDS).until(() -> server.connections().count() == 0);
            }
        } finally {
            server.stop();
        }
    }

    @Test
    void bindModeSpreadsOpenConnectionsOverTheLeastLoadedWorkers() throws Exception {
        Server server = threadEcho(Servers.config().name("bind").workerPoolSize(2).workerMode(PagumaConfig.WorkerMode.BIND).build());
        try (FrameSocket a = FrameSocket.connect(server.port()); FrameSocket b = FrameSocket.connect(server.port())) {
            a.send(1, "");
            String ta = a.read().text();
            b.send(1, "");
            String tb = b.read().text();
            assertThat(ta).isNotEqualTo(tb);
            a.close();
            await().atMost(5, SECONDS).until(() -> server.connections().count() == 1);
            try (FrameSocket c = FrameSocket.connect(server.port())) {
                c.send(1, "");
                // a's worker is free again, so c gets it rather than sharing b's.
                assertThat(c.read().text()).isEqualTo(ta);
            }
        } finally {
            server.stop();
        }
    }

    @Test
    void aFloodOfConnectionsNeverOvershootsMaxConnAndEveryRefusedOneIsClosed() throws Exception {
        int max = 20;
        AtomicInteger peak = new AtomicInteger();
        AtomicInteger open = new AtomicInteger();
        Server server = Server.builder().config(Servers.config().name("flood").maxConn(max).build())
                .route(1, r -> r.reply(1, r.data()))
                .onConnStart(c -> peak.accumulateAndGet(open.incrementAndGet(), Math::max))
                .onConnStop(c -> open.decrementAndGet())
                .build().start();
        List<Socket> sockets = new ArrayList<>();
        try {
            for (int i = 0; i < 200; i++) {
                Socket s = new Socket(InetAddress.getLoopbackAddress(), server.port());
                s.setSoTimeout(10_000);
                sockets.add(s);
            }
            await().atMost(10, SECONDS).until(() -> open.get() == max);
            int closedByServer = 0;
            for (Socket s : sockets) {
                s.getOutputStream().write(new byte[] {1, 0, 0, 0, 1, 0, 0, 0, 'x'});
                int first = s.getInputStream().read();
                if (first < 0) closedByServer++;
                else assertThat(first).isEqualTo(1);
            }
            assertThat(closedByServer).isEqualTo(200 - max);
            assertThat(peak.get()).isEqualTo(max);
            assertThat(server.connections().count()).isEqualTo(max);
        } finally {
            for (Socket s : sockets) s.close();
            server.stop();
        }
    }
}
