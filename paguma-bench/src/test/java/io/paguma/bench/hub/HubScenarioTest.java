package io.paguma.bench.hub;

import io.paguma.hub.DictCodec;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class HubScenarioTest {
    private final DictCodec codec = new DictCodec();

    @Test
    void theBenchDictIsExactlyItsSizeWhateverTheTick() {
        LinkedHashMap<String, Object> d = HubScenario.dict(64);
        assertThat(d.get("who")).isEqualTo("paguma");
        assertThat(codec.size(d)).isEqualTo(64);
        for (long tick : new long[] {0, 1, 1_000_000, 4_000_000_000L}) {
            d.put("tick", HubScenario.TICK_BASE + tick);
            assertThat(codec.size(d)).as("tick %d", tick).isEqualTo(64);
        }
        assertThat(codec.size(HubScenario.dict(200))).isEqualTo(200);
        assertThatThrownBy(() -> HubScenario.dict(10)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void sequenceNumbersRoundTrip() {
        byte[] b = new byte[64];
        HubScenario.putLong(b, 0x0102030405060708L);
        assertThat(HubScenario.getLong(b)).isEqualTo(0x0102030405060708L);
    }
}
