package io.paguma.internal;

import io.paguma.Traffic;

import java.util.concurrent.atomic.LongAdder;

/** The running totals of one server or client, added to once per read and once per completed write. */
final class TrafficCounter {
    private final LongAdder bytesIn = new LongAdder();
    private final LongAdder bytesOut = new LongAdder();
    private final LongAdder messagesIn = new LongAdder();
    private final LongAdder messagesOut = new LongAdder();

    void received(long bytes, long messages) {
        bytesIn.add(bytes);
        if (messages != 0) messagesIn.add(messages);
    }

    void sent(long bytes, long messages) {
        bytesOut.add(bytes);
        messagesOut.add(messages);
    }

    Traffic snapshot() {
        return new Traffic(bytesIn.sum(), bytesOut.sum(), messagesIn.sum(), messagesOut.sum());
    }
}
