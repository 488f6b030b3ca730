package io.paguma.testing;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.UnpooledByteBufAllocator;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Registered for every test class (service loader + autodetection): after a class has run, forces
 * garbage collection, makes Netty poll for collected-but-unreleased buffers, and fails if any leak
 * was reported.
 */
public final class LeakCheckExtension implements AfterAllCallback {
    @Override
    public void afterAll(ExtensionContext context) {
        for (int round = 0; round < 3; round++) {
            System.gc();
            // Leak reports are made when new buffers are tracked: allocate some to trigger them.
            for (ByteBufAllocator alloc : List.of(ByteBufAllocator.DEFAULT, PooledByteBufAllocator.DEFAULT,
                    UnpooledByteBufAllocator.DEFAULT)) {
                for (int i = 0; i < 64; i++) {
                    ByteBuf b = alloc.directBuffer(16);
                    b.release();
                    ByteBuf h = alloc.heapBuffer(16);
                    h.release();
                }
            }
        }
        List<String> leaks = new ArrayList<>(LeakDetection.LEAKS);
        LeakDetection.LEAKS.clear();
        assertThat(leaks).as("Netty buffer leaks reported after " + context.getDisplayName()).isEmpty();
    }
}
