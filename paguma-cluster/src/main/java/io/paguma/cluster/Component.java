package io.paguma.cluster;

/**
 * A part of a node that the {@link Daemon} starts and stops with it (SPEC H1; seed 003's daemon
 * "composed the way docker composes its daemon"): a task dispatcher, an admin page, a bridge to
 * another system. User components start after the services are mounted and before the gateway
 * opens; they stop after the gateway has closed and the services have heard their clients'
 * disconnects, in reverse order of mounting.
 */
public interface Component {

    /** For logs. */
    String name();

    /** Starts the component; a failure fails the daemon's start (which stops what had started). */
    void start(Daemon daemon) throws Exception;

    /** Stops it; a failure is logged and the stop carries on. */
    void stop() throws Exception;
}
