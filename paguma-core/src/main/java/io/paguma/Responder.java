package io.paguma;

/**
 * A router that answers by returning (seed 004's callback): the bytes it returns go back as the
 * reply, with the request's message id and sequence id, as {@code request.reply(request.id(), bytes)}
 * would send them; {@code null} sends nothing. Registered with
 * {@link EndpointBuilder#respond(int, Responder)}.
 *
 * <pre>{@code
 * Server.builder().respond(7, request -> lookup(request.text()).getBytes(UTF_8))
 * }</pre>
 *
 * <p>It runs where routers run and may throw like them; interceptors apply to it as to any router.
 */
@FunctionalInterface
public interface Responder {
    /** The reply's payload, or {@code null} for no reply. */
    byte[] respond(Request request) throws Exception;
}
