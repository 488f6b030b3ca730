/**
 * Seed 002's network layer for programs that own a main loop: {@link io.paguma.hub.NetHub} (the
 * queue facade, X1, X2, X5), typed connections (X3) and dict payloads (X4), all on one
 * {@link io.paguma.PagumaRuntime}. See {@code docs/HUB.md}.
 */
package io.paguma.hub;
