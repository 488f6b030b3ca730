package io.paguma.cli;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code paguma hub-demo}: two NetHubs in fixed-rate main loops, in one process and as two. */
class HubDemoTest {
    private static final Pattern MOVE_TICK = Pattern.compile("\\{\"op\":\"move\",\"tick\":(\\d+),");

    /** Exit code, standard output and standard error of one run. */
    private record Run(int code, String out, String err) {
        List<String> linesOf(String hub) {
            return out.lines().filter(l -> l.startsWith("[" + hub + " tick ")).toList();
        }

        List<String> received(String hub) {
            return linesOf(hub).stream().filter(l -> l.contains("] from ")).toList();
        }
    }

    private static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cli = new CommandLine(new Main());
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        int code = Main.run(cli, args);
        return new Run(code, out.toString(), err.toString());
    }

    private static CompletableFuture<Run> runAsync(CountDownLatch go, String... args) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                go.await();
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
            return run(args);
        });
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private static List<Integer> moveTicks(List<String> lines) {
        return lines.stream().map(MOVE_TICK::matcher).filter(Matcher::find).map(m -> Integer.parseInt(m.group(1))).toList();
    }

    @Test
    void twoHubsInOneProcessExchangeMovesAndAcks() {
        Run r = run("hub-demo", "--ticks", "20", "--rate", "50");
        assertThat(r.err()).as(r.out()).isEmpty();
        assertThat(r.code()).as(r.out()).isZero();

        List<String> beta = r.received("beta");
        assertThat(beta).as(r.out()).anyMatch(l -> l.contains("] from 127.0.0.1:") && l.contains("{\"op\":\"move\",\"tick\":"));
        List<Integer> ticks = moveTicks(beta);
        assertThat(ticks).as("the ticks of the moves beta received").isNotEmpty().isSorted().doesNotHaveDuplicates();
        assertThat(r.received("alpha")).as(r.out()).anyMatch(l -> l.contains("{\"op\":\"ack\",\"tick\":"));
        // The move carries several types: an int, a nested map, a float, a boolean and a list.
        assertThat(beta).anyMatch(l -> l.matches(".*\"pos\":\\{\"x\":-?\\d+,\"y\":\\d+},\"speed\":-?\\d+\\.\\d+,"
                + "\"running\":(true|false),\"keys\":\\[\"\\w+\"(,\"\\w+\")*]}$"));
        assertThat(r.linesOf("alpha")).anyMatch(l -> l.contains("] linked to 127.0.0.1:"));
        assertThat(beta).anyMatch(l -> l.endsWith("{\"op\":\"hello\",\"name\":\"alpha\",\"rate\":50}"));
        assertThat(r.out().lines().filter(l -> l.matches("(alpha|beta): 20 ticks, sent \\d+ dicts \\(\\d+ failed\\), "
                + "received [1-9]\\d* dicts, \\d+ events"))).hasSize(2);
    }

    @Test
    void twoProcessesFindEachOtherWhicheverStartsFirst() throws Exception {
        int alphaPort = freePort();
        int betaPort = freePort();
        CountDownLatch go = new CountDownLatch(1);
        CompletableFuture<Run> alpha = runAsync(go, "hub-demo", "--name", "alpha", "--listen", String.valueOf(alphaPort),
                "--peer", "127.0.0.1:" + betaPort, "--ticks", "100", "--rate", "50");
        CompletableFuture<Run> beta = runAsync(go, "hub-demo", "--name", "beta", "--listen", String.valueOf(betaPort),
                "--peer", "127.0.0.1:" + alphaPort, "--ticks", "100", "--rate", "50");
        go.countDown();
        Run a = alpha.get(30, TimeUnit.SECONDS);
        Run b = beta.get(30, TimeUnit.SECONDS);

        assertThat(a.code()).as(a.out() + a.err()).isZero();
        assertThat(b.code()).as(b.out() + b.err()).isZero();
        assertThat(a.out()).startsWith("alpha listens on 127.0.0.1:" + alphaPort + ", sends to 127.0.0.1:" + betaPort);
        assertThat(moveTicks(a.received("alpha"))).as(a.out()).isNotEmpty().isSorted().doesNotHaveDuplicates();
        assertThat(moveTicks(b.received("beta"))).as(b.out()).isNotEmpty().isSorted().doesNotHaveDuplicates();
        assertThat(a.received("alpha")).allMatch(l -> l.contains("] from 127.0.0.1:" + betaPort + " {"));
        assertThat(b.received("beta")).allMatch(l -> l.contains("] from 127.0.0.1:" + alphaPort + " {"));
        assertThat(a.received("alpha")).anyMatch(l -> l.contains("{\"op\":\"ack\","));
        assertThat(b.received("beta")).anyMatch(l -> l.contains("{\"op\":\"ack\","));
    }

    @Test
    void anUnreachablePeerIsReportedOnceASecondAndExitsNonZero() throws Exception {
        int port = freePort();
        int nobody = freePort();
        // 40 ticks at 50 a second: a dial, its failure and about 40 failed sends, within one second.
        Run r = run("hub-demo", "--name", "lonely", "--listen", String.valueOf(port), "--peer", "127.0.0.1:" + nobody,
                "--ticks", "40", "--rate", "50");
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).contains("paguma hub-demo: lonely received nothing from 127.0.0.1:" + nobody);
        List<String> failures = r.linesOf("lonely").stream().filter(l -> l.contains("] ! ")).toList();
        assertThat(failures).as(r.out()).hasSizeBetween(1, 2).allMatch(l -> l.contains("cannot reach 127.0.0.1:" + nobody));
        assertThat(r.out()).contains("lonely: 40 ticks, sent 0 dicts (");
    }

    @Test
    void listenAndPeerGoTogether() {
        Run r = run("hub-demo", "--listen", "7001");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("--listen and --peer go together");
        r = run("hub-demo", "--rate", "0");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("--rate: must be 1..1000");
    }
}
