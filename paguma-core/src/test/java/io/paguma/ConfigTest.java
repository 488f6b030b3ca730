package io.paguma;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ConfigTest {
    @TempDir
    Path dir;

    private Path write(String name, String text) throws IOException {
        Path p = dir.resolve(name);
        Files.createDirectories(p.getParent());
        Files.writeString(p, text);
        return p;
    }

    @Test
    void everythingHasADefaultLikeZinx() {
        PagumaConfig c = PagumaConfig.load(null, Map.of(), Map.of());
        assertThat(c.port()).isEqualTo(8999);
        assertThat(c.host()).isEqualTo("0.0.0.0");
        assertThat(c.maxConn()).isEqualTo(12000);
        assertThat(c.maxPacketSize()).isEqualTo(4096);
        assertThat(c.workerPoolSize()).isEqualTo(Runtime.getRuntime().availableProcessors());
        assertThat(c.maxWorkerTaskLen()).isEqualTo(4096);
        assertThat(c.codec()).isEqualTo("ltv-le");
        assertThat(c.transport()).isEqualTo(PagumaConfig.Transport.AUTO);
        assertThat(c.keepAlive()).isTrue();
        assertThat(c.keepAlivePeriod()).isEqualTo(Duration.ofSeconds(15));
    }

    @Test
    void jsonFileIsRead() throws IOException {
        Path f = write("application.json", """
                {"name": "game", "port": 9100, "maxConn": 50, "codec": "tlv-be", "workerMode": "bind",
                 "stopGracePeriod": "500ms", "keepAlive": false, "transport": "nio"}
                """);
        PagumaConfig c = PagumaConfig.load(f, Map.of(), Map.of());
        assertThat(c.name()).isEqualTo("game");
        assertThat(c.port()).isEqualTo(9100);
        assertThat(c.maxConn()).isEqualTo(50);
        assertThat(c.codec()).isEqualTo("tlv-be");
        assertThat(c.workerMode()).isEqualTo(PagumaConfig.WorkerMode.BIND);
        assertThat(c.stopGracePeriod()).isEqualTo(Duration.ofMillis(500));
        assertThat(c.keepAlive()).isFalse();
        assertThat(c.transport()).isEqualTo(PagumaConfig.Transport.NIO);
    }

    @Test
    void yamlFileIsRead() throws IOException {
        Path f = write("application.yaml", """
                name: chat
                port: 7000
                workerPoolSize: 0
                transport: io_uring
                serverFullMsgId: 4294967295
                serverFullMessage: "full, try later"
                """);
        PagumaConfig c = PagumaConfig.load(f, Map.of(), Map.of());
        assertThat(c.name()).isEqualTo("chat");
        assertThat(c.port()).isEqualTo(7000);
        assertThat(c.workerPoolSize()).isZero();
        assertThat(c.transport()).isEqualTo(PagumaConfig.Transport.IO_URING);
        assertThat(c.serverFullMsgId()).isEqualTo(-1);
        assertThat(c.serverFullMessage()).isEqualTo("full, try later");
    }

    @Test
    void zinxKeyNamesAreAccepted() throws IOException {
        Path f = write("zinx.json", """
                {"Name": "zinx server", "Host": "127.0.0.1", "TcpPort": 8888, "MaxConn": 3,
                 "WorkerPoolSize": 10, "MaxWorkerTaskLen": 100, "MaxPacketSize": 512}
                """);
        PagumaConfig c = PagumaConfig.load(f, Map.of(), Map.of());
        assertThat(c.name()).isEqualTo("zinx server");
        assertThat(c.host()).isEqualTo("127.0.0.1");
        assertThat(c.port()).isEqualTo(8888);
        assertThat(c.maxConn()).isEqualTo(3);
        assertThat(c.workerPoolSize()).isEqualTo(10);
        assertThat(c.maxWorkerTaskLen()).isEqualTo(100);
        assertThat(c.maxPacketSize()).isEqualTo(512);
    }

    @Test
    void environmentOverridesTheFileAndSystemPropertiesOverrideBoth() throws IOException {
        Path f = write("application.json", "{\"port\": 1000, \"codec\": \"ltv-le\", \"maxConn\": 5}");
        PagumaConfig c = PagumaConfig.load(f,
                Map.of("PAGUMA_PORT", "9000", "PAGUMA_CODEC", "tlv-be", "PAGUMA_MAX_CONN", "6", "HOME", "/root"),
                Map.of("paguma.maxConn", "7", "java.version", "17"));
        assertThat(c.port()).isEqualTo(9000);
        assertThat(c.codec()).isEqualTo("tlv-be");
        assertThat(c.maxConn()).isEqualTo(7);
    }

    @Test
    void theFileIsFoundInTheWorkingDirectoryThenInConf() throws IOException {
        write("conf/application.yml", "port: 7001\n");
        assertThat(ConfigLoader.load(null, Map.of(), Map.of(), dir).port()).isEqualTo(7001);
        write("application.json", "{\"port\": 7002}");
        assertThat(ConfigLoader.load(null, Map.of(), Map.of(), dir).port()).isEqualTo(7002);
        Path named = write("elsewhere/server.yaml", "port: 7003\n");
        assertThat(ConfigLoader.load(null, Map.of("PAGUMA_CONFIG", named.toString()), Map.of(), dir).port()).isEqualTo(7003);
        assertThat(ConfigLoader.load(null, Map.of(), Map.of("paguma.config", named.toString()), dir).port()).isEqualTo(7003);
    }

    @Test
    void anUnknownKeyFailsNamingIt() throws IOException {
        Path f = write("application.json", "{\"prot\": 9000}");
        assertThatThrownBy(() -> PagumaConfig.load(f, Map.of(), Map.of()))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("unknown configuration key 'prot'")
                .hasMessageContaining("port");
        assertThatThrownBy(() -> PagumaConfig.load(null, Map.of("PAGUMA_PROT", "1"), Map.of()))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("PAGUMA_PROT");
        assertThatThrownBy(() -> PagumaConfig.load(null, Map.of(), Map.of("paguma.prot", "1")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("paguma.prot");
    }

    @Test
    void theClientHeartbeatRequestAndTlsKeysAreReadAndChecked() {
        PagumaConfig c = PagumaConfig.load(null, Map.of("PAGUMA_HEARTBEAT_MAX", "30s", "PAGUMA_HEARTBEAT_INTERVAL", "10s",
                "PAGUMA_HEARTBEAT_MSG_ID", "4294967295", "PAGUMA_RECONNECT_JITTER", "0.5", "PAGUMA_OFFLINE_QUEUE_SIZE", "7"),
                Map.of("paguma.requestTimeout", "250ms", "paguma.tls", "true", "paguma.tlsTrust", "/ca.pem"));
        assertThat(c.heartbeatMax()).isEqualTo(Duration.ofSeconds(30));
        assertThat(c.heartbeatInterval()).isEqualTo(Duration.ofSeconds(10));
        assertThat(c.heartbeatMsgId()).isEqualTo(-1);
        assertThat(c.reconnectJitter()).isEqualTo(0.5);
        assertThat(c.offlineQueueSize()).isEqualTo(7);
        assertThat(c.requestTimeout()).isEqualTo(Duration.ofMillis(250));
        assertThat(c.tls()).isTrue();
        assertThat(c.tlsTrust()).isEqualTo("/ca.pem");
        PagumaConfig d = PagumaConfig.defaults();
        assertThat(d.heartbeatMax()).isZero();
        assertThat(d.reconnectBase()).isEqualTo(Duration.ofSeconds(3));
        assertThat(d.offlineQueueSize()).isZero();
        assertThatThrownBy(() -> PagumaConfig.load(null, Map.of("PAGUMA_RECONNECT_JITTER", "2"), Map.of()))
                .isInstanceOf(ConfigException.class)
                .hasMessage("reconnectJitter must be between 0 and 1, got 2.0 (from environment variable PAGUMA_RECONNECT_JITTER)");
        assertThatThrownBy(() -> PagumaConfig.builder().reconnectBase(Duration.ofSeconds(10)).reconnectMaxDelay(Duration.ofSeconds(5)).build())
                .isInstanceOf(ConfigException.class)
                .hasMessage("reconnectMaxDelay must be at least reconnectBase (10s), got 5s");
        assertThatThrownBy(() -> PagumaConfig.builder().tlsCert("/cert.pem").build())
                .isInstanceOf(ConfigException.class)
                .hasMessage("tlsKey must be set together with tlsCert (PEM files of one certificate and its key)");
        assertThatThrownBy(() -> PagumaConfig.builder().requestTimeout(Duration.ZERO).build())
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("requestTimeout must be > 0");
    }

    @Test
    void aBadValueFailsNamingTheKeyAndWhereItCameFrom() throws IOException {
        assertThatThrownBy(() -> PagumaConfig.load(null, Map.of("PAGUMA_PORT", "ninety"), Map.of()))
                .isInstanceOf(ConfigException.class)
                .hasMessage("port (from environment variable PAGUMA_PORT): expected an integer, got 'ninety'");
        assertThatThrownBy(() -> PagumaConfig.load(null, Map.of("PAGUMA_PORT", "70000"), Map.of()))
                .isInstanceOf(ConfigException.class)
                .hasMessage("port must be between 0 and 65535, got 70000 (from environment variable PAGUMA_PORT)");
        assertThatThrownBy(() -> PagumaConfig.load(null, Map.of(), Map.of("paguma.maxPacketSize", "-1")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("maxPacketSize must be > 0, got -1");
        assertThatThrownBy(() -> PagumaConfig.load(null, Map.of("PAGUMA_CODEC", "zip"), Map.of()))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("codec: unknown codec 'zip'");
        assertThatThrownBy(() -> PagumaConfig.load(null, Map.of("PAGUMA_STOP_GRACE_PERIOD", "10"), Map.of()))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("stopGracePeriod")
                .hasMessageContaining("expected a duration such as 500ms");
        assertThatThrownBy(() -> PagumaConfig.load(null, Map.of("PAGUMA_KEEP_ALIVE", "yes"), Map.of()))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("keepAlive")
                .hasMessageContaining("expected true or false");
        Path nested = write("nested.json", "{\"port\": {\"value\": 1}}");
        assertThatThrownBy(() -> PagumaConfig.load(nested, Map.of(), Map.of()))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("port")
                .hasMessageContaining("expected a single value");
        Path broken = write("broken.json", "{\"port\": ");
        assertThatThrownBy(() -> PagumaConfig.load(broken, Map.of(), Map.of()))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("is not valid JSON");
    }

    @Test
    void aKeyGivenTwiceUnderItsZinxNameIsAnError() throws IOException {
        Path f = write("twice.json", "{\"port\": 9000, \"TcpPort\": 9001}");
        assertThatThrownBy(() -> PagumaConfig.load(f, Map.of(), Map.of()))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("port is given twice")
                .hasMessageContaining("'port' and as 'TcpPort'");
    }

    @Test
    void everyUnknownKeyIsReportedAtOnce() throws IOException {
        Path f = write("zinx-extra.json", "{\"LogDir\": \"/tmp\", \"prot\": 1, \"port\": 2}");
        assertThatThrownBy(() -> PagumaConfig.load(f, Map.of(), Map.of()))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("unknown configuration keys 'LogDir', 'prot'")
                .hasMessageContaining("TcpPort");
    }

    @Test
    void rulesBetweenKeysNameTheKeyThatWasSet() {
        assertThatThrownBy(() -> PagumaConfig.load(null, Map.of("PAGUMA_WRITE_BUFFER_LOW_WATER_MARK", "100000"), Map.of()))
                .isInstanceOf(ConfigException.class)
                .hasMessage("writeBufferLowWaterMark must not exceed writeBufferHighWaterMark (65536), got 100000"
                        + " (from environment variable PAGUMA_WRITE_BUFFER_LOW_WATER_MARK)");
        assertThatThrownBy(() -> PagumaConfig.load(null, Map.of("PAGUMA_KEEP_ALIVE_PERIOD", "500ms"), Map.of()))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("keepAlivePeriod must be at least 1s, got 500ms");
    }

    @Test
    void namedValuesIgnoreCase() {
        PagumaConfig c = PagumaConfig.load(null, Map.of("PAGUMA_CODEC", "TLV-BE", "PAGUMA_WORKER_MODE", "Bind",
                "PAGUMA_TRANSPORT", "NIO"), Map.of());
        assertThat(Codecs.byName(c.codec())).isSameAs(Codecs.TLV_BE);
        assertThat(c.workerMode()).isEqualTo(PagumaConfig.WorkerMode.BIND);
        assertThat(c.transport()).isEqualTo(PagumaConfig.Transport.NIO);
    }

    @Test
    void builderChecksValuesAtTheBoundary() {
        assertThatThrownBy(() -> PagumaConfig.builder().maxConn(0).build())
                .isInstanceOf(ConfigException.class)
                .hasMessage("maxConn must be > 0, got 0");
        PagumaConfig c = PagumaConfig.builder().port(1234).build();
        assertThat(c.toBuilder().name("other").build().port()).isEqualTo(1234);
    }

    @Test
    void everyKeyHasAnEnvironmentNameAndIsDocumentedWithItsDefault() throws IOException {
        assertThat(ConfigLoader.envName("maxPacketSize")).isEqualTo("PAGUMA_MAX_PACKET_SIZE");
        Path doc = Path.of("..", "docs", "CONFIG.md");
        assertThat(doc).exists();
        String text = Files.readString(doc);
        // The root section and every section on the test classpath, ExampleSection among them.
        for (ConfigSection section : ConfigLoader.sections(List.of()).values()) {
            for (ConfigKey<?> key : section.keys()) {
                Pattern row = Pattern.compile("^\\| `" + Pattern.quote(section.qualifiedName(key)) + "` \\| `"
                        + section.environmentName(key) + "` \\| ([^|]+) \\|", Pattern.MULTILINE);
                Matcher m = row.matcher(text);
                assertThat(m.find()).as("docs/CONFIG.md has a row for " + section.qualifiedName(key)).isTrue();
            }
        }
    }
}
