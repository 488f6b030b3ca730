package io.paguma.cluster;

import io.netty.channel.Channel;
import io.paguma.Connection;
import io.paguma.Message;
import io.paguma.Traffic;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;

/**
 * The "connection" of a service request as the serving route sees it: the calling service. Its
 * first reply (or failure) answers the request; later sends fail. One per request.
 */
final class ServiceCaller extends DetachedConnection {
    private final String caller;
    private final Function<Message, CompletableFuture<Void>> answer;
    private final AtomicBoolean answered = new AtomicBoolean();
    private final CompletableFuture<Void> done = new CompletableFuture<>();

    /**
     * @param caller what to call it in logs ("service request from node b")
     * @param answer sends the reply (a message with status 0) or failure (status set) to the caller
     */
    ServiceCaller(String caller, Function<Message, CompletableFuture<Void>> answer) {
        this.caller = caller;
        this.answer = answer;
    }

    @Override
    public long id() {
        return 0;
    }

    @Override
    public InetSocketAddress remoteAddress() {
        return null;
    }

    @Override
    public boolean isOpen() {
        return !answered.get();
    }

    @Override
    public CompletableFuture<Void> send(Message message) {
        if (!answered.compareAndSet(false, true)) {
            return CompletableFuture.failedFuture(new IllegalStateException(caller + " has had its answer already"));
        }
        done.complete(null);
        return answer.apply(message);
    }

    @Override
    public CompletableFuture<Void> close() {
        answered.set(true);
        done.complete(null);
        return done;
    }

    @Override
    public CompletableFuture<Void> closeFuture() {
        return done;
    }

    @Override
    public String toString() {
        return caller;
    }
}
