package io.paguma;

/**
 * A {@link Router} to extend for Zinx's three steps, as in Zinx's {@code znet.BaseRouter}:
 * {@link #handle} must be written, {@link #preHandle} and {@link #postHandle} do nothing unless
 * overridden.
 *
 * <p>{@code handle} is abstract here so that a subclass that forgets it (or misspells it, or gives
 * it another parameter type) does not compile, rather than silently answering nothing.
 */
public abstract class BaseRouter implements Router {
    @Override
    public void preHandle(Request request) throws Exception {
    }

    @Override
    public abstract void handle(Request request) throws Exception;

    @Override
    public void postHandle(Request request) throws Exception {
    }
}
