package io.paguma.testing;

import io.paguma.ClientListener;
import io.paguma.Connection;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.Consumer;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A {@link ClientListener} that records every event and the thread it ran on, and checks that
 * the order is one the client's states allow: {@code connected} is followed by
 * {@code disconnected} (never by another {@code connected}), nothing comes while connected but
 * {@code disconnected}, and {@code closed} is last.
 */
public final class ClientEvents implements ClientListener {
    private final Queue<String> events = new ConcurrentLinkedQueue<>();
    private final Set<String> threads = ConcurrentHashMap.newKeySet();
    private final Queue<Connection> connections = new ConcurrentLinkedQueue<>();
    /** Runs after each event but {@code closed}, with its name: to call back into the client. */
    private final Consumer<String> then;

    public ClientEvents() {
        this(event -> { });
    }

    public ClientEvents(Consumer<String> then) {
        this.then = then;
    }

    @Override
    public void connected(Connection connection) {
        connections.add(connection);
        heard("connected");
    }

    @Override
    public void disconnected(Connection connection) {
        heard("disconnected");
    }

    @Override
    public void reconnecting(int attempt, Duration delay, Throwable cause) {
        heard("reconnecting");
    }

    @Override
    public void gaveUp(int attempts, Throwable lastCause) {
        heard("gaveUp");
    }

    @Override
    public void closed() {
        heard("closed");
    }

    private void heard(String event) {
        events.add(event);
        threads.add(Thread.currentThread().getName());
        if (!event.equals("closed")) then.accept(event);
    }

    public List<String> events() {
        return new ArrayList<>(events);
    }

    public long count(String event) {
        return events.stream().filter(event::equals).count();
    }

    /** Every connection {@code connected} was heard for. */
    public List<Connection> connections() {
        return new ArrayList<>(connections);
    }

    /** After {@code closed}: one thread heard everything, in an order the states allow. */
    public void assertInStateOrder(String context) {
        List<String> heard = events();
        assertThat(threads).as("threads the listener ran on, %s", context).hasSize(1);
        assertThat(heard).as("events, %s", context).isNotEmpty();
        assertThat(heard.get(heard.size() - 1)).as("last of %s, %s", heard, context).isEqualTo("closed");
        boolean up = false;
        for (int i = 0; i < heard.size() - 1; i++) {
            String e = heard.get(i);
            String where = "event " + i + " of " + heard + ", " + context;
            switch (e) {
                case "connected" -> {
                    assertThat(up).as("connected while connected: %s", where).isFalse();
                    up = true;
                }
                case "disconnected" -> {
                    assertThat(up).as("disconnected while not connected: %s", where).isTrue();
                    up = false;
                }
                case "reconnecting", "gaveUp" -> assertThat(up).as("%s while connected: %s", e, where).isFalse();
                default -> throw new AssertionError("unexpected " + where);
            }
        }
    }
}
