package io.paguma.bench.server;

import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufAllocatorMetricProvider;
import io.netty.util.internal.PlatformDependent;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * What the server process holds, after garbage collection: heap in use, direct memory (Netty's
 * own counter for its cleaner-less buffers plus the JDK's direct buffer pool), the default
 * allocator's view, and the resident set size for reference.
 */
public record MemoryReport(int connections, long heapUsed, long directUsed, long allocatorDirectUsed,
                           long allocatorHeapUsed, long rss) {

    /** Collects garbage until the used heap stops shrinking, then measures. */
    public static MemoryReport measure(int connections) {
        MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
        long previous = Long.MAX_VALUE;
        for (int i = 0; i < 10; i++) {
            memory.gc();
            long used = memory.getHeapMemoryUsage().getUsed();
            if (used >= previous - 64 * 1024) break;
            previous = used;
        }
        long heap = memory.getHeapMemoryUsage().getUsed();
        long netty = Math.max(0, PlatformDependent.usedDirectMemory());
        long jdk = 0;
        for (BufferPoolMXBean pool : ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class)) {
            if (pool.getName().equals("direct")) jdk = pool.getMemoryUsed();
        }
        long allocDirect = -1;
        long allocHeap = -1;
        if (ByteBufAllocator.DEFAULT instanceof ByteBufAllocatorMetricProvider p) {
            allocDirect = p.metric().usedDirectMemory();
            allocHeap = p.metric().usedHeapMemory();
        }
        return new MemoryReport(connections, heap, netty + jdk, allocDirect, allocHeap, readRss());
    }

    private static long readRss() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        } catch (Exception e) {
            // Not Linux: no RSS figure.
        }
        return -1;
    }
}
