package io.paguma.hostile;

import io.paguma.Message;
import io.paguma.testing.Peer;

import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

/**
 * An honest client of the server under attack: on its own connection it runs echo round trips in
 * a loop, on a thread of its own, and counts them. A reply that does not match, a closed
 * connection or a timeout (the peer's reads give up after 10 s) is a failure. {@link #close}
 * stops it after the round trip under way.
 */
public final class Bystander implements AutoCloseable {
    private final Peer peer;
    private final int echoId;
    private final AtomicLong roundTrips = new AtomicLong();
    private final List<Throwable> failures = new CopyOnWriteArrayList<>();
    private final Thread thread;
    private volatile boolean stopping;

    public Bystander(Peer peer, int echoId, String name) {
        this.peer = peer;
        this.echoId = echoId;
        this.thread = new Thread(this::loop, "bystander-" + name);
        this.thread.setDaemon(true);
    }

    public Bystander start() {
        thread.start();
        return this;
    }

    private void loop() {
        long n = 0;
        while (!stopping) {
            byte[] payload = ("bystander " + n++).getBytes(java.nio.charset.StandardCharsets.US_ASCII);
            try {
                peer.sendRaw(peer.encode(new Message(echoId, payload)));
                Message reply = peer.read();
                if (reply.id() != echoId || !Arrays.equals(reply.data(), payload)) {
                    failures.add(new AssertionError("bystander got " + reply + " for round trip " + (n - 1)));
                    return;
                }
                roundTrips.incrementAndGet();
            } catch (Throwable e) {
                if (!stopping) failures.add(e);
                return;
            }
        }
    }

    /** Round trips completed so far. */
    public long roundTrips() {
        return roundTrips.get();
    }

    public List<Throwable> failures() {
        return failures;
    }

    /** The peer's port on this side (its address as the server sees it: 127.0.0.1:port). */
    public Peer peer() {
        return peer;
    }

    @Override
    public void close() throws Exception {
        stopping = true;
        thread.join(15_000);
        peer.close();
    }
}
