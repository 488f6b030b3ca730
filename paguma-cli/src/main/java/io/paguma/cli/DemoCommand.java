package io.paguma.cli;

import io.paguma.PagumaConfig;
import io.paguma.PagumaRuntime;
import io.paguma.Server;
import io.paguma.admin.Admin;
import io.paguma.cli.demo.ChatRoom;
import io.paguma.cli.demo.DemoServer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.concurrent.Callable;

@Command(name = "demo", mixinStandardHelpOptions = true,
        description = {"Runs the demo server: echo on message id 1 and a chat room,",
                "on TCP (8999) and WebSocket (9000), with the status page and a browser chat on 8990.",
                "Ports come from the config:",
                "  PAGUMA_PORT=9000 ./paguma demo",
                "or an application.json/yaml (see docs/CONFIG.md).",
                "Ctrl+C stops it cleanly."})
final class DemoCommand implements Callable<Integer> {
    @Option(names = "--config", paramLabel = "FILE", description = "A JSON or YAML config file (default: application.json/yaml here or in conf/, if any).")
    Path config;

    @Override
    public Integer call() {
        PagumaConfig cfg = config != null ? PagumaConfig.load(config) : PagumaConfig.load();
        // Browsers are clients too: TCP on port and WebSocket on wsPort, unless mode says websocket only.
        if (cfg.mode() == PagumaConfig.Mode.TCP) cfg = cfg.toBuilder().mode(PagumaConfig.Mode.BOTH).build();
        PagumaRuntime runtime = PagumaRuntime.create(cfg);
        // Made before the server, so that it times its routers (docs/ADMIN.md).
        Admin admin = Admin.builder().runtime(runtime).config(cfg).build();
        try {
            Server server = DemoServer.build(cfg, runtime).start();
            admin.watch(server);
            String status;
            try {
                admin.start();
                status = "http://127.0.0.1:" + admin.port() + "/";
            } catch (IllegalStateException portTaken) {
                status = null;
                System.out.println("status page not started: " + portTaken.getMessage() + "; set PAGUMA_ADMIN_PORT to another port");
            }
            printHowToConnect(System.out, server, status);
            server.serve();
        } finally {
            admin.close();
            runtime.close();
        }
        return 0;
    }

    static void printHowToConnect(PrintStream out, Server server) {
        printHowToConnect(out, server, null);
    }

    static void printHowToConnect(PrintStream out, Server server, String statusPage) {
        String codec = server.codec().name();
        int port = server.port();
        out.println();
        out.println("Paguma demo server on port " + port + " (codec " + codec + ", transport " + server.transport() + ")");
        out.println("  echo: message id " + DemoServer.ECHO + " -> the same payload back on id " + DemoServer.ECHO);
        out.println("  chat: " + ChatRoom.NICK + " <name>, " + ChatRoom.JOIN + " <room>, " + ChatRoom.SAY + " <text>, "
                + ChatRoom.LEAVE + " (leave); the server sends text lines on id " + ChatRoom.EVENT);
        String snippet = switch (codec) {
            case "ltv-le" -> "struct.pack('<II',len(d),1)+d";
            case "tlv-be" -> "struct.pack('>II',1,len(d))+d";
            case "length-prefix" -> "struct.pack('>I',len(d))+d";
            case "paguma" -> "struct.pack('>IBBHII',len(d),0xb7,0,0,1,0)+d";
            case "tron" -> "struct.pack('>iBI',-1,1,len(d))+d+b'\\r\\n'";
            case "tron-v2" -> "struct.pack('>iiI',8+len(d),-1,len(d))+d";
            default -> null;
        };
        if (snippet != null) {
            out.println("  frames: see docs/PROTOCOL.md (" + codec + "). Try an echo from another terminal:");
            out.println("    python3 -c \"import socket,struct;d=b'hello';s=socket.create_connection(('127.0.0.1'," + port
                    + "));s.sendall(" + snippet + ");print(s.recv(64))\"");
        }
        if (server.config().mode() != PagumaConfig.Mode.TCP) {
            out.println("  WebSocket: " + (server.config().tls() ? "wss" : "ws") + "://127.0.0.1:" + server.wsPort() + server.config().wsPath()
                    + " (one " + codec + " frame per binary message; browsers: paguma.js)");
        }
        if (statusPage != null) {
            out.println("  status page: " + statusPage + "  (Prometheus: " + statusPage + "metrics, JSON: " + statusPage + "api/stats)");
            if (server.config().mode() != PagumaConfig.Mode.TCP) out.println("  chat in a browser: " + statusPage + "chat.html");
        }
        out.println("Press Ctrl+C to stop.");
        out.println();
        out.flush();
    }
}
