package io.paguma.hub;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.paguma.FrameException;
import io.paguma.Message;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The seed's XxDataPack: headerSize | header | data, packed and unpacked. */
class DataPackTest {
    private final DataPack pack = new DataPack();

    private static Map<String, Object> sample() {
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("op", "move");
        d.put("x", 12);
        d.put("tick", 123456789L);
        d.put("speed", 1.5f);
        d.put("path", List.of(1, 2, 3));
        d.put("meta", Map.of("ok", true));
        return d;
    }

    @Test
    void serializePutsTheHeaderInFrontOfTheDictAndUnserializeReadsItBack() {
        Map<String, Object> d = sample();
        byte[] frame = pack.serialize(d);
        byte[] body = pack.dicts().encode(d);
        assertThat(frame).hasSize(DataPack.OVERHEAD + body.length);
        assertThat(frame[0]).isEqualTo((byte) 0);
        assertThat(frame[1]).isEqualTo((byte) DataPack.HEADER_SIZE);
        assertThat(((frame[2] & 0xFF) << 24) | ((frame[3] & 0xFF) << 16) | ((frame[4] & 0xFF) << 8) | (frame[5] & 0xFF))
                .isEqualTo(body.length);
        assertThat(((frame[6] & 0xFF) << 8) | (frame[7] & 0xFF)).isEqualTo(DataPack.DICT);
        assertThat(java.util.Arrays.copyOfRange(frame, DataPack.OVERHEAD, frame.length)).isEqualTo(body);
        assertThat(pack.unserialize(frame)).isEqualTo(d);
        assertThat(pack.unserialize(pack.serialize(Map.of()))).isEmpty();
    }

    @Test
    void unserializeRefusesWhatIsNotExactlyOneDictFrame() {
        byte[] frame = pack.serialize(sample());
        assertThatThrownBy(() -> pack.unserialize(new byte[5])).isInstanceOf(DictFormatException.class)
                .hasMessageContaining("shorter than its header");
        byte[] longer = java.util.Arrays.copyOf(frame, frame.length + 1);
        assertThatThrownBy(() -> pack.unserialize(longer)).isInstanceOf(DictFormatException.class)
                .hasMessageContaining("follow its header");
        byte[] otherKind = frame.clone();
        otherKind[7] = DataPack.HELLO;
        assertThatThrownBy(() -> pack.unserialize(otherKind)).hasMessageContaining("carries no dict");
        byte[] badHeader = frame.clone();
        badHeader[1] = 2;
        assertThatThrownBy(() -> pack.unserialize(badHeader)).hasMessageContaining("header size 2");
    }

    @Test
    void decodeWaitsForTheWholeFrameAndTakesExactlyIt() {
        Message m = new Message(DataPack.DICT, pack.dicts().encode(sample()));
        ByteBuf whole = Unpooled.buffer();
        pack.encode(m, whole);
        pack.encode(m, whole);
        assertThat(whole.readableBytes()).isEqualTo(2 * pack.frameLength(m));
        ByteBuf in = Unpooled.buffer();
        int decoded = 0;
        while (whole.isReadable()) {
            in.writeByte(whole.readByte());
            Message got = pack.decode(in, 4096);
            if (got != null) {
                assertThat(got).isEqualTo(m);
                assertThat(in.readableBytes()).isZero();
                decoded++;
            }
        }
        assertThat(decoded).isEqualTo(2);
    }

    @Test
    void theLargestDataIsAcceptedAndOneByteMoreIsRefusedFromTheHeaderAlone() {
        int max = 1024;
        ByteBuf ok = Unpooled.buffer();
        pack.encode(new Message(DataPack.DICT, new byte[max]), ok);
        assertThat(pack.decode(ok, max).data()).hasSize(max);
        ByteBuf tooBig = Unpooled.buffer();
        tooBig.writeShort(DataPack.HEADER_SIZE).writeInt(max + 1).writeShort(DataPack.DICT);   // no data yet
        assertThatThrownBy(() -> pack.decode(tooBig, max)).isInstanceOf(FrameException.class)
                .hasMessageContaining("announces 1025 data bytes, more than maxPacketSize 1024");
        ByteBuf huge = Unpooled.buffer();
        huge.writeShort(DataPack.HEADER_SIZE).writeInt(-1).writeShort(DataPack.DICT);
        assertThatThrownBy(() -> pack.decode(huge, max)).hasMessageContaining("announces 4294967295 data bytes");
    }

    @Test
    void aHeaderSizeOutOfRangeIsRefusedAsSoonAsItIsReadAndALongerHeaderIsSkipped() {
        for (int size : new int[] {0, 1, 5, 65, 0xFFFF}) {
            ByteBuf in = Unpooled.buffer().writeShort(size);
            assertThatThrownBy(() -> pack.decode(in, 4096)).as("header size %d", size).isInstanceOf(FrameException.class)
                    .hasMessageContaining("header size " + size);
        }
        // A newer peer's header of 10 bytes: the 4 this version does not know are skipped.
        byte[] body = pack.dicts().encode(Map.of("v", 2));
        ByteBuf in = Unpooled.buffer().writeShort(10).writeInt(body.length).writeShort(DataPack.DICT).writeInt(0xCAFEBABE)
                .writeBytes(body);
        Message m = pack.decode(in, 4096);
        assertThat(pack.dicts().decode(m.data())).isEqualTo(Map.of("v", 2));
        assertThat(in.readableBytes()).isZero();
    }

    @Test
    void aKindBeyondTwoBytesFailsItsOwnSend() {
        assertThatThrownBy(() -> pack.encode(new Message(65536, new byte[0]), Unpooled.buffer()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("cannot send message id 65536");
    }

    @Test
    void garbageOnlyEverGivesAFrameExceptionAMessageOrNothingYet() {
        long seed = new Random().nextLong();
        Random r = new Random(seed);
        for (int i = 0; i < 20_000; i++) {
            byte[] junk = new byte[r.nextInt(40)];
            r.nextBytes(junk);
            if (junk.length > 1 && r.nextBoolean()) {
                junk[0] = 0;
                junk[1] = DataPack.HEADER_SIZE;
            }
            ByteBuf in = Unpooled.wrappedBuffer(junk);
            try {
                Message m = pack.decode(in, 64);
                if (m != null) {
                    assertThat(m.length()).as("seed %d", seed).isLessThanOrEqualTo(64);
                    try {
                        pack.dicts().decode(m.data());
                    } catch (DictFormatException expected) {
                        // garbage body
                    }
                }
            } catch (FrameException expected) {
                // refused
            } catch (RuntimeException e) {
                throw new AssertionError("seed " + seed + ": " + e, e);
            }
        }
    }
}
