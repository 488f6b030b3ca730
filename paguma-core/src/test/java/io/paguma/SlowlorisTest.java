package io.paguma;

import io.paguma.testing.FrameSocket;
import io.paguma.testing.Servers;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The slowloris measured before issue 16 (605 connections trickling one byte every 3 s held every
 * maxConn slot: 12 of 12 legitimate clients refused for 36 s), at a smaller scale: attackers
 * trickle a frame's bytes and fill maxConn. frameTimeout frees their slots; maxConnPerIp keeps an
 * attacker's address from taking them in the first place.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class SlowlorisTest {
    private static final int ATTACKERS = 200;

    /** Opens up to {@code n} connections from {@code local} and trickles one byte of a 1,000-byte frame to each every 200 ms. */
    private static List<Socket> trickle(String local, int port, int n, ScheduledExecutorService timer) throws IOException {
        List<Socket> sockets = new CopyOnWriteArrayList<>();
        for (int i = 0; i < n; i++) {
            Socket s = new Socket();
            s.bind(new InetSocketAddress(InetAddress.getByName(local), 0));
            s.connect(new InetSocketAddress("127.0.0.1", port));
            sockets.add(s);
        }
        byte[] header = {(byte) 0xE8, 3, 0, 0, 1, 0, 0, 0};
        int[] sent = {0};
        timer.scheduleAtFixedRate(() -> {
            int at = sent[0]++;
            for (Socket s : sockets) {
                try {
                    s.getOutputStream().write(at < header.length ? header[at] : 'x');
                } catch (IOException cut) {
                    sockets.remove(s);
                }
            }
        }, 0, 200, TimeUnit.MILLISECONDS);
        return sockets;
    }

    /** How long until {@code clients} legitimate clients (from 127.0.0.1) have each made a round trip. */
    private static long legitimateClientsServedAfter(Server server, int clients, Duration atMost) {
        long start = System.nanoTime();
        await().atMost(atMost).pollInterval(Duration.ofMillis(50)).until(() -> {
            for (int i = 0; i < clients; i++) {
                try (FrameSocket s = FrameSocket.connect(server.port())) {
                    s.send(1, "hello");
                    if (!"hello".equals(s.read().text())) return false;
                } catch (IOException refused) {
                    return false;
                }
            }
            return true;
        });
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    }

    @Test
    void frameTimeoutFreesTheSlotsTricklingPeersHold() throws Exception {
        ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
        Server server = Server.builder().config(Servers.config().maxConn(ATTACKERS).frameTimeout(Duration.ofSeconds(2))
                        .warnInterval(Duration.ofSeconds(5)).build())
                .route(1, r -> r.reply(1, r.data())).build().start();
        List<Socket> attackers = List.of();
        try {
            attackers = trickle("127.0.0.7", server.port(), ATTACKERS, timer);
            await().atMost(Duration.ofSeconds(20)).until(() -> server.connections().count() == ATTACKERS);
            long served = legitimateClientsServedAfter(server, 12, Duration.ofSeconds(30));
            assertThat(served).as("ms until 12 legitimate clients were served").isLessThan(15_000);
            await().atMost(Duration.ofSeconds(20)).until(() -> server.stats().framesRejected() >= ATTACKERS);
            System.out.println("SLOWLORIS " + ATTACKERS + " trickling connections filling maxConn " + ATTACKERS
                    + ", frameTimeout 2 s: 12 of 12 legitimate clients served " + served + " ms after the attack had every slot");
        } finally {
            timer.shutdownNow();
            for (Socket s : attackers) s.close();
            server.stop();
        }
    }

    @Test
    void maxConnPerIpKeepsOneAddressFromTakingTheSlotsAtAll() throws Exception {
        ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
        Server server = Server.builder().config(Servers.config().maxConn(ATTACKERS).maxConnPerIp(50).warnInterval(Duration.ofSeconds(5)).build())
                .route(1, r -> r.reply(1, r.data())).build().start();
        List<Socket> attackers = List.of();
        try {
            attackers = trickle("127.0.0.8", server.port(), ATTACKERS, timer);
            await().atMost(Duration.ofSeconds(20)).until(() -> server.stats().perIpRefusals() == ATTACKERS - 50);
            assertThat(server.connections().count()).isEqualTo(50);
            long served = legitimateClientsServedAfter(server, 12, Duration.ofSeconds(10));
            System.out.println("SLOWLORIS " + ATTACKERS + " trickling connections from one address, maxConnPerIp 50: "
                    + (ATTACKERS - 50) + " refused at once; 12 of 12 legitimate clients served in " + served + " ms");
        } finally {
            timer.shutdownNow();
            for (Socket s : attackers) s.close();
            server.stop();
        }
    }
}
