package io.paguma.hostile;

import io.paguma.testing.FrameSocket;
import io.paguma.testing.LogCapture;
import io.paguma.testing.Peer;
import io.paguma.testing.Wire;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Truncated frames (issue 16, item 1), per codec: a header cut short, and a body cut short.
 * Over TCP the peer then ends its side (FIN): the connection is closed with one WARN line naming it
 * and the bytes of the incomplete frame (as {@code TruncatedFrameTest} shows for ltv-le), and a
 * frameRejected event (its last frame is lost). Over WebSocket a message that ends inside a frame
 * can never complete: closed as malformed, one line, a frameRejected event.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class HostileTruncationTest {

    static Stream<Arguments> cuts() {
        List<Arguments> out = new ArrayList<>();
        for (String codec : Hostile.CODECS) {
            for (Wire wire : Wire.values()) {
                out.add(Arguments.of(codec, wire, "header"));
                out.add(Arguments.of(codec, wire, "body"));
            }
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{0} over {1}: {2} cut short")
    @MethodSource("cuts")
    void aFrameCutShortClosesOnlyItsConnectionWithOneLine(String codec, Wire wire, String cut) throws Exception {
        String name = "truncated-" + cut + "/" + codec + "/" + wire;
        byte[] header = HostileLengthTest.header(codec, 10, Hostile.echoId(codec));
        byte[] frame = Hostile.concat(header, HostileLengthTest.payload(10), HostileLengthTest.trailer(codec));
        byte[] sent = Arrays.copyOf(frame, cut.equals("header") ? header.length - 1 : header.length + 5);
        try (Hostile.Target target = new Hostile.Target(codec, wire);
             LogCapture logs = LogCapture.start();
             Bystander bystander = target.bystander();
             Peer offender = target.connect()) {
            int port = Hostile.localPort(offender);
            long id = target.connectionId(port);
            Hostile.underAttack(name, target, bystander, () -> {
                offender.sendRaw(sent);
                if (offender instanceof FrameSocket s) s.socket().shutdownOutput();
                assertThat(offender.closedByPeer()).as(name + ": closed").isTrue();
            });
            String line = Hostile.oneWarnLine(logs, port, id);
            if (wire == Wire.TCP) {
                String reason = "closed by the peer with " + sent.length + " bytes of an incomplete frame";
                assertThat(line).contains(reason);
                Hostile.soon().until(() -> !target.eventsOf(port).isEmpty());
                assertThat(target.eventsOf(port)).singleElement().satisfies(e -> {
                    assertThat(e.kind()).isEqualTo("frameRejected");
                    assertThat(e.connectionId()).isEqualTo(id);
                    assertThat(e.detail()).isEqualTo(reason);
                });
            } else {
                String reason = "a WebSocket message ended inside a frame (" + sent.length + " bytes of an incomplete frame)";
                assertThat(line).contains("closed: " + reason);
                assertThat(target.eventsOf(port)).singleElement().satisfies(e -> {
                    assertThat(e.kind()).isEqualTo("frameRejected");
                    assertThat(e.connectionId()).isEqualTo(id);
                    assertThat(e.detail()).isEqualTo(reason);
                });
            }
            offender.close();   // the WebSocket peer ends its side too, so the server need not linger
            Hostile.soon().until(() -> target.server.connections().count() == 1);
            Hostile.noWarnLine(logs, Hostile.localPort(bystander.peer()));
        }
    }
}
