package io.paguma;

import java.time.Duration;

/**
 * What {@link Server#stop()} did (P1). Every request a peer sent and got no reply for because of
 * the stop is in {@code requestsDropped} (received in time, but not run) or {@code requestsDiscarded}
 * (arrived after the stop began, read and thrown away unrun; the peer sees no reply and then FIN).
 *
 * @param connectionsClosed connections open when the stop began, all now closed
 * @param requestsDropped   received requests still queued when the grace period ran out (0 on a clean stop)
 * @param graceExpired      whether the grace period ran out before everything drained
 * @param took              how long the stop took
 * @param requestsDiscarded whole frames that arrived after the server had stopped reading requests (including on
 *                          connections accepted by the kernel but closed at once because the stop had begun), discarded unrun
 * @param bytesDiscarded    bytes that arrived after the stop began and formed no whole frame (a partial
 *                          frame at the end, input after a bad frame)
 */
public record StopReport(int connectionsClosed, long requestsDropped, boolean graceExpired, Duration took,
                         long requestsDiscarded, long bytesDiscarded) {

    /** A report with nothing discarded: the server's when it stops without having run. */
    StopReport(int connectionsClosed, long requestsDropped, boolean graceExpired, Duration took) {
        this(connectionsClosed, requestsDropped, graceExpired, took, 0, 0);
    }

    /** Requests that got no reply because of the stop: dropped from the queues plus discarded on arrival. */
    public long requestsUnanswered() {
        return requestsDropped + requestsDiscarded;
    }

    @Override
    public String toString() {
        return "closed " + connectionsClosed + " connection(s), dropped " + requestsDropped + " queued request(s)"
                + (graceExpired ? " after the grace period ran out" : "")
                + ", discarded " + requestsDiscarded + " request(s) that arrived after the stop began"
                + (bytesDiscarded > 0 ? " (and " + bytesDiscarded + " byte(s) of incomplete frames)" : "")
                + " in " + took.toMillis() + " ms";
    }
}
