package io.paguma.cluster;

import io.paguma.Client;
import io.paguma.Message;
import io.paguma.PagumaConfig;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;

/**
 * Test nodes and clients: daemons on port 0 with codec paguma at their gateway, sharing one
 * registry and one shared data unless a test gives others; clients that keep what they hear.
 */
final class Nodes implements AutoCloseable {
    final Registry registry;
    final SharedData data;
    private final List<Daemon> daemons = new ArrayList<>();
    private final List<Client> clients = new ArrayList<>();

    Nodes(Registry registry, SharedData data) {
        this.registry = registry;
        this.data = data;
    }

    Nodes() {
        this(new InProcessRegistry(), InProcessSharedData.create("nodes"));
    }

    static PagumaConfig config() {
        return PagumaConfig.builder().port(0).codec("paguma").ioThreads(1).workerPoolSize(2)
                .requestTimeout(Duration.ofSeconds(5)).build();
    }

    Daemon start(String id, Service... services) {
        Daemon.Builder b = Daemon.builder().config(config()).nodeId(id).registry(registry).sharedData(data);
        for (Service s : services) b.service(s);
        return start(b);
    }

    Daemon start(Daemon.Builder b) {
        Daemon d = b.build().start();
        synchronized (daemons) {
            daemons.add(d);
        }
        return d;
    }

    /** Waits until every running node is linked to every other. */
    void awaitMesh() {
        await().atMost(Duration.ofSeconds(10)).until(() -> {
            synchronized (daemons) {
                for (Daemon d : daemons) {
                    if (!d.isRunning()) continue;
                    for (Daemon o : daemons) {
                        if (o != d && o.isRunning() && !d.linkedNodes().contains(o.id())) return false;
                    }
                }
                return true;
            }
        });
    }

    TestClient client(Daemon d) {
        TestClient t = new TestClient();
        Client c = Client.builder().config(PagumaConfig.builder().port(d.gatewayAddress().getPort()).codec("paguma")
                        .reconnect(false).ioThreads(1).workerPoolSize(0).build())
                .onUnknownMessage(r -> t.heard.add(r.message()))
                .build();
        c.connect().join();
        t.client = c;
        synchronized (clients) {
            clients.add(c);
        }
        return t;
    }

    static final class TestClient {
        Client client;
        final BlockingQueue<Message> heard = new LinkedBlockingQueue<>();

        String ask(int id, String text) {
            return client.request(id, text.getBytes(StandardCharsets.UTF_8)).join().text();
        }

        Message next() throws InterruptedException {
            return heard.poll(5, TimeUnit.SECONDS);
        }
    }

    @Override
    public void close() {
        for (Client c : clients) {
            c.close();
        }
        List<Daemon> copy;
        synchronized (daemons) {
            copy = new ArrayList<>(daemons);
        }
        for (int i = copy.size() - 1; i >= 0; i--) {
            copy.get(i).stop();
        }
        registry.close();
        data.close();
    }
}
