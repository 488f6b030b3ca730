package io.paguma.cli;

import io.paguma.Client;
import io.paguma.PagumaConfig;
import io.paguma.cli.demo.ChatRoom;
import io.paguma.cli.demo.ClusterChat;
import io.paguma.cluster.Daemon;
import io.paguma.cluster.InProcessRegistry;
import io.paguma.cluster.InProcessSharedData;
import io.paguma.cluster.SharedData;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** The demo's chat room on two gateway nodes: people on either node share a room. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ClusterChatTest {
    private final InProcessRegistry registry = new InProcessRegistry();
    private final SharedData data = InProcessSharedData.create("chat-test");
    private final List<Daemon> nodes = new ArrayList<>();
    private final List<Client> clients = new ArrayList<>();

    @AfterEach
    void stop() {
        clients.forEach(Client::close);
        for (int i = nodes.size() - 1; i >= 0; i--) nodes.get(i).stop();
        registry.close();
        data.close();
    }

    private Daemon node(String id) {
        Daemon d = Daemon.builder().nodeId(id).registry(registry).sharedData(data)
                .config(PagumaConfig.builder().port(0).ioThreads(1).workerPoolSize(2).build())
                .service(new ClusterChat()).build().start();
        nodes.add(d);
        return d;
    }

    private record Person(Client client, BlockingQueue<String> lines) {
        String next() throws InterruptedException {
            String s = lines.poll(5, TimeUnit.SECONDS);
            assertThat(s).as("a line within 5 s").isNotNull();
            return s;
        }

        String nextMatching(String part) throws InterruptedException {
            while (true) {
                String s = next();
                if (s.contains(part)) return s;
            }
        }
    }

    private Person person(Daemon d, String name, String room) throws Exception {
        BlockingQueue<String> lines = new LinkedBlockingQueue<>();
        Client c = Client.builder().config(PagumaConfig.builder().port(d.gatewayAddress().getPort()).reconnect(false)
                        .ioThreads(1).workerPoolSize(0).build())
                .route(ChatRoom.EVENT, r -> lines.add(r.text())).build();
        c.connect().get(5, TimeUnit.SECONDS);
        clients.add(c);
        Person p = new Person(c, lines);
        c.send(ChatRoom.NICK, name);
        assertThat(p.next()).startsWith("you are now " + name);
        c.send(ChatRoom.JOIN, room);
        p.nextMatching(name + " joined #" + room);
        return p;
    }

    @Test
    void peopleOnTwoNodesShareARoomAndALateDisconnectDoesNotTakeANewerLoginOut() throws Exception {
        Daemon a = node("a");
        Daemon b = node("b");
        await().atMost(Duration.ofSeconds(10)).until(() -> a.linkedNodes().contains("b") && b.linkedNodes().contains("a"));
        Person alice = person(a, "alice", "lobby");
        Person bob = person(b, "bob", "lobby");
        alice.nextMatching("bob joined #lobby");
        alice.client.send(ChatRoom.SAY, "hi bob");
        assertThat(bob.nextMatching("hi bob")).isEqualTo("[lobby] alice: hi bob");
        assertThat(alice.nextMatching("hi bob")).isEqualTo("[lobby] alice: hi bob");
        // alice comes back on b: the connection on a is displaced; her room stays hers.
        Person alice2 = person(b, "alice", "lobby");
        await().atMost(Duration.ofSeconds(5)).until(() -> !alice.client.isConnected());
        bob.client.send(ChatRoom.SAY, "welcome back");
        assertThat(alice2.nextMatching("welcome back")).isEqualTo("[lobby] bob: welcome back");
        // The old login may be told to have left ("logged in elsewhere", when its end won the race
        // with the new login's join), but its end never took the new login out of the room: she heard bob.
        assertThat(bob.lines).allMatch(l -> !l.contains("alice left") || l.equals("alice left (logged in elsewhere)"));
        // When she goes for good, bob hears that.
        alice2.client.close().get(5, TimeUnit.SECONDS);
        assertThat(bob.nextMatching("alice left (connection")).startsWith("alice left (connection closed");
    }
}
