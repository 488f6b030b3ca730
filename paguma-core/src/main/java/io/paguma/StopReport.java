package io.paguma;

import java.time.Duration;

/**
 * What {@link Server#stop()} did (P1).
 *
 * @param connectionsClosed connections open when the stop began, all now closed
 * @param requestsDropped   received requests still queued when the grace period ran out (0 on a clean stop)
 * @param graceExpired      whether the grace period ran out before everything drained
 * @param took              how long the stop took
 */
public record StopReport(int connectionsClosed, long requestsDropped, boolean graceExpired, Duration took) {
    @Override
    public String toString() {
        return "closed " + connectionsClosed + " connection(s), dropped " + requestsDropped + " queued request(s)"
                + (graceExpired ? " after the grace period ran out" : "") + " in " + took.toMillis() + " ms";
    }
}
