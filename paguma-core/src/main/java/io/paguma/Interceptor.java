package io.paguma;

/**
 * Middleware around routers (Zinx's {@code Use} / {@code Group} / {@code AddInterceptor}):
 * authentication, logging, timing, rate limits. Registered with {@code use(...)} on a server's or
 * client's builder, for every message or for a range of message ids, and run in the order
 * registered; the last one's {@link Chain#proceed} runs the router's {@code preHandle},
 * {@code handle} and {@code postHandle}.
 *
 * <pre>{@code
 * Server.builder()
 *     .use((request, chain) -> {                       // every message
 *         long t = System.nanoTime();
 *         chain.proceed(request);
 *         log.debug("{} took {} ns", request.id(), System.nanoTime() - t);
 *     })
 *     .use(100, 199, (request, chain) -> {             // ids 100..199 only
 *         if (request.connection().property("user") != null) chain.proceed(request);
 *         else request.reply(401, "log in first");     // the chain stops here
 *     })
 * }</pre>
 *
 * <p>An interceptor that does not call {@code proceed} stops the chain: the interceptors after it
 * and the router do not run. One that throws is handled like a router that throws (logged, an
 * event, the connection carries on). Interceptors run on the thread that runs the router and must
 * not keep the request after they return.
 */
@FunctionalInterface
public interface Interceptor {

    /** Handles {@code request}, calling {@code chain.proceed(request)} to go on, or not, to stop it. */
    void intercept(Request request, Chain chain) throws Exception;

    /** The rest of the chain: the next interceptor, or the router. */
    interface Chain {
        /** Runs the next interceptor, or the router when none is left, with {@code request}. */
        void proceed(Request request) throws Exception;
    }
}
