package io.paguma.testing;

import io.paguma.Client;
import io.paguma.Codecs;
import io.paguma.PagumaConfig;

/**
 * A client in a process of its own that connects to {@code 127.0.0.1:<args[0]>} with the paguma
 * codec, takes the server's requests of message id 7 and never answers them; prints
 * {@code CONNECTED} once connected, then waits to be killed.
 */
public final class SilentClientMain {
    private SilentClientMain() {
    }

    public static void main(String[] args) throws Exception {
        Client client = Client.builder()
                .config(PagumaConfig.builder().name("silent").host("127.0.0.1").port(Integer.parseInt(args[0]))
                        .codec(Codecs.PAGUMA.name()).reconnect(false).ioThreads(1).workerPoolSize(1).build())
                .route(7, r -> { })
                .build();
        client.connect().join();
        System.out.println("CONNECTED");
        System.out.flush();
        Thread.currentThread().join();
    }
}
