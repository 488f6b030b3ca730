package io.paguma.bench.server;

/** A server under test: the raw-Netty baseline or Paguma. */
public interface BenchTarget extends AutoCloseable {
    int port();

    int connections();

    String describe();

    @Override
    void close();
}
