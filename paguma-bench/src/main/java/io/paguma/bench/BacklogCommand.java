package io.paguma.bench;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.Writer;
import java.io.OutputStreamWriter;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.util.Arrays;
import java.util.Iterator;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

/**
 * {@code ./paguma bench backlog}: how an echo server drains a backlog. The server (another process,
 * its pid given) is stopped with SIGSTOP, one request is written on each of {@code -c} connections,
 * and the server is continued (SIGCONT): every connection is then readable at once, as after a
 * stall of the machine. Prints when the replies arrive, counted from the SIGCONT: the first, the
 * percentiles, the last, and the mean of the oldest tenth (the requests sent first), which is
 * what a tail percentile of a stalled run is made of. Linux or macOS ({@code kill}).
 */
@Command(name = "backlog", mixinStandardHelpOptions = true,
        description = {"Stop an ltv-le echo server (SIGSTOP), queue one request on each connection, continue it (SIGCONT),",
                "and time its replies: how it drains a backlog."})
final class BacklogCommand implements Callable<Integer> {
    @Option(names = "--port", required = true) int port;
    @Option(names = "--host", defaultValue = "127.0.0.1") String host;
    @Option(names = "--pid", required = true, description = "the server's process id (it is stopped and continued)") long pid;
    @Option(names = {"-c", "--connections"}, defaultValue = "2000", description = "connections, one request each per round (default ${DEFAULT-VALUE})") int connections;
    @Option(names = {"-s", "--size"}, defaultValue = "64", description = "payload bytes (default ${DEFAULT-VALUE})") int size;
    @Option(names = "--rounds", defaultValue = "5", description = "stopped rounds measured (default ${DEFAULT-VALUE})") int rounds;
    @Option(names = "--warmup-rounds", defaultValue = "300", description = "rounds without a stop first, to warm the server (default ${DEFAULT-VALUE})") int warmupRounds;
    @Option(names = "--stop-ms", defaultValue = "30", description = "how long the server stays stopped after the requests were written (default ${DEFAULT-VALUE})") int stopMs;
    @Option(names = "--id", defaultValue = "1", description = "message id of the requests") int id;

    @Override
    public Integer call() throws Exception {
        // One shell for the signals: starting a process per signal would add milliseconds to the clock.
        Process shell = new ProcessBuilder("sh").redirectErrorStream(true).start();
        Writer toShell = new OutputStreamWriter(shell.getOutputStream());
        BufferedReader fromShell = new BufferedReader(new InputStreamReader(shell.getInputStream()));
        Selector selector = Selector.open();
        SocketChannel[] channels = new SocketChannel[connections];
        try {
            for (int i = 0; i < connections; i++) {
                channels[i] = SocketChannel.open(new InetSocketAddress(host, port));
                channels[i].setOption(StandardSocketOptions.TCP_NODELAY, true);
                channels[i].configureBlocking(false);
                channels[i].register(selector, SelectionKey.OP_READ, i);
            }
            ByteBuffer frame = ByteBuffer.allocate(8 + size).order(ByteOrder.LITTLE_ENDIAN);
            frame.putInt(size).putInt(id);
            for (int i = 0; i < size; i++) frame.put((byte) (i * 31 + 7));
            frame.flip();
            byte[] expected = Arrays.copyOf(frame.array(), frame.limit());
            byte[][] got = new byte[connections][8 + size];
            int[] have = new int[connections];
            long[] at = new long[connections];
            ByteBuffer in = ByteBuffer.allocate(64 * 1024);
            long mismatches = 0;
            for (int round = 1 - warmupRounds; round <= rounds; round++) {
                boolean measured = round > 0;
                if (measured) signal(toShell, fromShell, "STOP", true);
                for (SocketChannel c : channels) {
                    frame.rewind();
                    while (frame.hasRemaining()) c.write(frame);
                }
                if (measured) TimeUnit.MILLISECONDS.sleep(stopMs); // let every request reach the stopped server's sockets
                Arrays.fill(have, 0);
                Arrays.fill(at, 0);
                long t0 = System.nanoTime();
                if (measured) signal(toShell, fromShell, "CONT", false);
                int done = 0;
                while (done < connections) {
                    if (selector.select(1000) == 0 && System.nanoTime() - t0 > TimeUnit.SECONDS.toNanos(30)) {
                        System.out.printf("round %d: only %d of %d replies after 30 s%n", round, done, connections);
                        return 1;
                    }
                    Iterator<SelectionKey> it = selector.selectedKeys().iterator();
                    while (it.hasNext()) {
                        SelectionKey k = it.next();
                        it.remove();
                        int i = (Integer) k.attachment();
                        in.clear();
                        int n = ((SocketChannel) k.channel()).read(in);
                        if (n < 0) {
                            System.out.printf("connection %d closed by the server%n", i);
                            return 1;
                        }
                        in.flip();
                        int take = Math.min(n, got[i].length - have[i]);
                        in.get(got[i], have[i], take);
                        have[i] += take;
                        if (n > take) mismatches++; // more than one reply to one request
                        if (have[i] == got[i].length && at[i] == 0) {
                            at[i] = System.nanoTime() - t0;
                            if (!Arrays.equals(got[i], expected)) mismatches++;
                            done++;
                        }
                    }
                }
                if (!measured) continue;
                long[] sorted = at.clone();
                Arrays.sort(sorted);
                int n = connections;
                System.out.printf("round %d: first %.2f  p10 %.2f  p50 %.2f  p90 %.2f  p99 %.2f  last %.2f ms;"
                                + "  oldest tenth: mean %.2f ms;  mismatches %d%n", round,
                        ms(sorted[0]), ms(sorted[n / 10]), ms(sorted[n / 2]), ms(sorted[n * 9 / 10]), ms(sorted[n * 99 / 100]),
                        ms(sorted[n - 1]), ms((long) Arrays.stream(at, 0, Math.max(1, n / 10)).average().orElse(0)), mismatches);
                TimeUnit.MILLISECONDS.sleep(300);
            }
            return mismatches == 0 ? 0 : 1;
        } finally {
            signal(toShell, fromShell, "CONT", false);
            for (SocketChannel c : channels) {
                if (c != null) c.close();
            }
            selector.close();
            shell.destroy();
        }
    }

    /** Sends the signal through the shell; {@code await}: returns once it was delivered. */
    private void signal(Writer toShell, BufferedReader fromShell, String signal, boolean await) throws Exception {
        toShell.write("kill -" + signal + " " + pid + (await ? "; echo sent\n" : "\n"));
        toShell.flush();
        if (await) fromShell.readLine();
    }

    private static double ms(long nanos) {
        return nanos / 1e6;
    }
}
