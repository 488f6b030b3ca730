package io.paguma;

/**
 * A {@link Router} whose three steps do nothing: extend it and override the steps you need, as in
 * Zinx's {@code znet.BaseRouter}.
 */
public abstract class BaseRouter implements Router {
    @Override
    public void preHandle(Request request) throws Exception {
    }

    @Override
    public void handle(Request request) throws Exception {
    }

    @Override
    public void postHandle(Request request) throws Exception {
    }
}
