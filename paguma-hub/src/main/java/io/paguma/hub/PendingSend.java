package io.paguma.hub;

import io.paguma.Connection;
import io.paguma.Message;

import java.util.concurrent.CompletableFuture;

/** A dict waiting for its link to come up. */
record PendingSend(Message message, CompletableFuture<Void> future) {

    /** Sends it on {@code link}, completing its future as that send completes. */
    void sendOn(Connection link) {
        CompletableFuture<Void> f = future;
        link.send(message).whenComplete((v, e) -> {
            if (e != null) f.completeExceptionally(e);
            else f.complete(null);
        });
    }
}
