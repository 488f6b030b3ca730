package io.paguma.cli;

import io.paguma.cli.demo.ChatText;
import io.paguma.hub.HubEvent;
import io.paguma.hub.NetHub;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;

@Command(name = "hub-demo", mixinStandardHelpOptions = true,
        description = {"Two NetHubs exchanging dicts in fixed-rate main loops (paguma-hub).",
                "Each tick a hub takes what arrived (update()), prints it, answers every \"move\"",
                "with an \"ack\" and sends the other hub a \"move\" of its own.",
                "In one process (hubs alpha and beta on free ports of 127.0.0.1):",
                "  ./paguma hub-demo",
                "In two terminals (--ticks 0: until Ctrl+C):",
                "  ./paguma hub-demo --name alpha --listen 7001 --peer 127.0.0.1:7002",
                "  ./paguma hub-demo --name beta --listen 7002 --peer 127.0.0.1:7001",
                "Exit status: 0, or 1 if a hub received nothing, 2 on bad options."})
final class HubDemoCommand implements Callable<Integer> {
    @Option(names = "--rate", paramLabel = "N", defaultValue = "10", description = "Ticks per second (default: ${DEFAULT-VALUE}).")
    int rate;

    @Option(names = "--ticks", paramLabel = "N", defaultValue = "50",
            description = "Ticks to run, 0 for until Ctrl+C (default: ${DEFAULT-VALUE}).")
    int ticks;

    @Option(names = "--listen", paramLabel = "PORT", description = "Run one hub, listening on this port (with --peer).")
    Integer listen;

    @Option(names = "--peer", paramLabel = "HOST:PORT", description = "The other hub, to send to (with --listen).")
    String peer;

    @Option(names = "--name", paramLabel = "NAME", defaultValue = "hub", description = "This hub's name, with --listen (default: ${DEFAULT-VALUE}).")
    String name;

    @Option(names = "--bind", paramLabel = "IP", defaultValue = "127.0.0.1",
            description = "The address to listen on, with --listen (default: ${DEFAULT-VALUE}; 0.0.0.0 for other machines).")
    String bind;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws InterruptedException {
        if (rate < 1 || rate > 1000) throw new ParameterException(spec.commandLine(), "--rate: must be 1..1000, got " + rate);
        if (ticks < 0) throw new ParameterException(spec.commandLine(), "--ticks: must be 0 or more, got " + ticks);
        if ((listen == null) != (peer == null)) {
            throw new ParameterException(spec.commandLine(), "--listen and --peer go together (one hub of two processes)");
        }
        quietLogs();
        PrintWriter out = spec.commandLine().getOut();
        List<Player> players = new ArrayList<>();
        try {
            if (listen == null) {
                Player alpha = new Player("alpha", out);
                players.add(alpha);
                Player beta = new Player("beta", out);
                players.add(beta);
                InetSocketAddress a = alpha.hub.listen("127.0.0.1", 0).join();
                InetSocketAddress b = beta.hub.listen("127.0.0.1", 0).join();
                alpha.peer(b.getAddress().getHostAddress(), b.getPort());
                beta.peer(a.getAddress().getHostAddress(), a.getPort());
                // Before the loops start, each says hello and waits until it is out: the link is up from
                // tick 1 (a cold JVM takes a few hundred ms to make the first one).
                CompletableFuture.allOf(alpha.hello(), beta.hello()).get(10, TimeUnit.SECONDS);
            } else {
                String host = peerHost();
                int port = peerPort();
                Player one = new Player(name, out);
                players.add(one);
                one.peer(host, port);
                one.hub.listen(bind, listen).join();
            }
        } catch (CompletionException | ExecutionException | TimeoutException e) {
            players.forEach(p -> p.hub.destroy());
            spec.commandLine().getErr().println("paguma hub-demo: " + (e instanceof TimeoutException
                    ? "alpha and beta did not link within 10 s" : e.getCause().getMessage()));
            return 1;
        }
        for (Player p : players) {
            InetSocketAddress a = p.hub.listenAddresses().get(0);
            out.println(p.name + " listens on " + a.getAddress().getHostAddress() + ":" + a.getPort() + ", sends to " + p.peer());
        }

        // Ctrl+C stops the loops; the hubs are destroyed and the summary printed before the JVM goes.
        CountDownLatch finished = new CountDownLatch(1);
        Thread hook = new Thread(() -> {
            players.forEach(p -> p.running = false);
            try {
                finished.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException ignored) {
                // Exiting anyway.
            }
        }, "hub-demo-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            List<Thread> loops = new ArrayList<>();
            for (Player p : players) loops.add(new Thread(p::run, "hub-demo-" + p.name));
            loops.forEach(Thread::start);
            for (Thread t : loops) t.join();
            players.forEach(p -> p.hub.destroy());
            int code = 0;
            for (Player p : players) {
                out.println(p.summary());
                if (p.received == 0) {
                    spec.commandLine().getErr().println("paguma hub-demo: " + p.name + " received nothing from " + p.peer());
                    code = 1;
                }
            }
            out.flush();
            return code;
        } finally {
            players.forEach(p -> p.hub.destroy());
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // Ctrl+C: the hook waits for this.
            }
            finished.countDown();
        }
    }

    private String peerHost() {
        int colon = peer.lastIndexOf(':');
        if (colon <= 0) throw new ParameterException(spec.commandLine(), "--peer: expected HOST:PORT, got '" + peer + "'");
        String host = peer.substring(0, colon);
        return host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
    }

    private int peerPort() {
        try {
            int port = Integer.parseInt(peer.substring(peer.lastIndexOf(':') + 1));
            if (port >= 1 && port <= 65535) return port;
        } catch (NumberFormatException ignored) {
            // Below.
        }
        throw new ParameterException(spec.commandLine(), "--peer: expected HOST:PORT with a port 1..65535, got '" + peer + "'");
    }

    /** The demo prints links, losses and errors itself: the log shows only what goes wrong beyond that. */
    private static void quietLogs() {
        for (String logger : List.of("io.paguma.Client", "io.paguma.Server", "io.paguma.PagumaRuntime", "io.paguma.hub")) {
            String key = "org.slf4j.simpleLogger.log." + logger;
            if (System.getProperty(key) == null) System.setProperty(key, "warn");
        }
    }

    /** One hub and its main loop. */
    private final class Player {
        final String name;
        final NetHub hub;
        final PrintWriter out;
        volatile boolean running = true;
        String peerHost;
        int peerPort;
        int tick;
        int received;
        int events;
        final AtomicInteger sent = new AtomicInteger();
        final AtomicInteger failed = new AtomicInteger();
        /** Sends that failed (on the hub's thread), for the loop to print. */
        final ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
        final Throttle throttle = new Throttle();

        Player(String name, PrintWriter out) {
            this.name = name;
            this.out = out;
            this.hub = NetHub.builder().name(name).build();
        }

        void peer(String host, int port) {
            peerHost = host;
            peerPort = port;
        }

        String peer() {
            return peerHost + ":" + peerPort;
        }

        /** The main loop: a fixed rate, and each tick update() first, then the sends. */
        void run() {
            long period = TimeUnit.SECONDS.toNanos(1) / rate;
            long next = System.nanoTime();
            for (tick = 1; running && (ticks == 0 || tick <= ticks); tick++) {
                shown = 0;
                List<HubEvent> events = hub.update();
                for (HubEvent e : events) {
                    show(e);
                    if (e.type() == HubEvent.Type.RECEIVED && "move".equals(e.dict().get("op"))) {
                        send(e.ip(), e.port(), dict("op", "ack", "tick", e.dict().get("tick")));
                    }
                }
                if (shown > LINES_PER_TICK) line("... and " + (shown - LINES_PER_TICK) + " more events this tick");
                for (Throwable f; (f = failures.poll()) != null; ) problem(f);
                send(peerHost, peerPort, move(tick));

                next += period;
                long wait = next - System.nanoTime();
                if (wait < -period) next = System.nanoTime(); // fell behind: do not rush to catch up
                try {
                    TimeUnit.NANOSECONDS.sleep(wait);
                } catch (InterruptedException stop) {
                    break;
                }
            }
        }

        /** Says hello to the peer; completes once it is written (the link is up). */
        CompletableFuture<Void> hello() {
            return send(peerHost, peerPort, dict("op", "hello", "name", name, "rate", rate));
        }

        /** This hub's news for its peer: a game-like move with a few types of values. */
        Map<String, Object> move(int tick) {
            int x = tick % 10 - 5;
            int y = tick / 10;
            return dict("op", "move", "tick", tick, "pos", dict("x", x, "y", y), "speed", 1.5f + x / 4f,
                    "running", x > 0, "keys", x > 0 ? List.of("right") : List.of("left", "up"));
        }

        CompletableFuture<Void> send(String ip, int port, Map<String, ?> dict) {
            return hub.send(ip, port, dict).whenComplete((ok, e) -> {
                if (e == null) {
                    sent.incrementAndGet();
                } else {
                    failed.incrementAndGet();
                    failures.add(e);
                }
            });
        }

        void show(HubEvent e) {
            events++;
            switch (e.type()) {
                case RECEIVED -> {
                    received++;
                    eventLine("from " + e.peer() + " " + json(e.dict()));
                }
                case CONNECTED -> eventLine("linked to " + e.peer());
                case DISCONNECTED -> eventLine("link to " + e.peer() + " lost" + (e.error() != null ? ": " + e.error().getMessage() : ""));
                case ERROR -> problem(e.error());
            }
        }

        /** A failure: at most one line per kind a second (an unreachable peer fails every tick). */
        void problem(Throwable t) {
            Throwable top = t instanceof CompletionException && t.getCause() != null ? t.getCause() : t;
            Throwable root = top;
            while (root.getCause() != null) root = root.getCause();
            int more = throttle.allow(root.getClass().getName(), System.nanoTime());
            if (more >= 0) line("! " + top.getMessage() + (more > 0 ? " (and " + more + " more like it)" : ""));
        }

        /** A tick prints at most this many event lines (a peer that floods it is summed up, not echoed). */
        static final int LINES_PER_TICK = 20;
        int shown;

        void line(String text) {
            out.println(ChatText.escapeForTerminal("[" + name + " tick " + tick + "] " + text));
        }

        /** An event's line, unless this tick has printed its share already. */
        void eventLine(String text) {
            if (++shown <= LINES_PER_TICK) line(text);
        }

        String summary() {
            return name + ": " + (tick - 1) + " ticks, sent " + sent + " dicts (" + failed + " failed), received "
                    + received + " dicts, " + events + " events";
        }
    }

    /** Lets one line a second through per kind; counts the rest. */
    private static final class Throttle {
        private final Map<String, long[]> kinds = new HashMap<>();

        /** -1: hold this one back; else print it, saying how many were held back since the last. */
        int allow(String kind, long now) {
            long[] k = kinds.computeIfAbsent(kind, x -> new long[]{now - TimeUnit.SECONDS.toNanos(2), 0});
            if (now - k[0] < TimeUnit.SECONDS.toNanos(1)) {
                k[1]++;
                return -1;
            }
            int held = (int) k[1];
            k[0] = now;
            k[1] = 0;
            return held;
        }
    }

    static Map<String, Object> dict(Object... keysAndValues) {
        Map<String, Object> d = new LinkedHashMap<>();
        for (int i = 0; i < keysAndValues.length; i += 2) d.put((String) keysAndValues[i], keysAndValues[i + 1]);
        return d;
    }

    /** A dict as one line of JSON (byte strings as hex). */
    static String json(Object v) {
        if (v instanceof Map<?, ?> m) {
            return m.entrySet().stream().map(e -> json(e.getKey()) + ":" + json(e.getValue())).collect(Collectors.joining(",", "{", "}"));
        }
        if (v instanceof List<?> l) return l.stream().map(HubDemoCommand::json).collect(Collectors.joining(",", "[", "]"));
        if (v instanceof String s) return '"' + s.replace("\\", "\\\\").replace("\"", "\\\"") + '"';
        if (v instanceof byte[] b) return '"' + java.util.HexFormat.of().formatHex(b) + '"';
        return String.valueOf(v);
    }
}
