package io.paguma;

import io.paguma.internal.codec.LengthFieldCodec;

import java.util.Locale;

/**
 * The layout of the {@code length-field} codec ({@code codec: length-field}): a frame is a header
 * holding a length field and optionally a message id, followed by the payload — the usual shape of
 * device protocols, as Netty's {@code LengthFieldBasedFrameDecoder} and Zinx's {@code LengthField}
 * describe them. Its keys are the section {@code lengthField} of the config file:
 *
 * <pre>{@code
 * codec: length-field
 * lengthField:
 *   prefix: aa55          # every frame starts with these bytes (checked, written)
 *   lengthOffset: 2
 *   lengthSize: 2         # bytes: 1, 2, 3 or 4, unsigned
 *   lengthAdjustment: 1   # the length counts the payload only, not the command byte after it
 *   idOffset: 4
 *   idSize: 1
 * }</pre>
 *
 * <p>The frame's length is {@code lengthOffset + lengthSize + <length field> + lengthAdjustment}
 * (Netty's rule); the payload is everything after the header ({@code headerLength} bytes; 0 means
 * "the end of the last field"). Header bytes that are neither prefix, length nor id are written as
 * 0 and ignored when read. Without an id field ({@code idOffset: -1}) every message is id 0.
 * {@code docs/PROTOCOL.md} works two layouts through.
 */
public final class LengthFieldConfig extends ConfigSection {
    /** The byte order of the length and id fields. */
    public enum ByteOrder {
        BIG,
        LITTLE;

        public String configName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    public static final ConfigKey<ByteOrder> BYTE_ORDER = ConfigKey.enumOf("byteOrder", ByteOrder.class, ByteOrder.BIG)
            .doc("big or little: the byte order of the length and id fields.");
    public static final ConfigKey<String> PREFIX = ConfigKey.string("prefix", "")
            .check(v -> v.matches("([0-9a-fA-F]{2})*"), "must be bytes in hex, e.g. aa55")
            .doc("Bytes in hex every frame starts with (a magic number); checked when read, written when sent.");
    public static final ConfigKey<Integer> LENGTH_OFFSET = ConfigKey.integer("lengthOffset", 0)
            .check(v -> v >= 0, "must be >= 0").doc("Where the length field starts, from the start of the frame.");
    public static final ConfigKey<Integer> LENGTH_SIZE = ConfigKey.integer("lengthSize", 4)
            .check(v -> v >= 1 && v <= 4, "must be 1, 2, 3 or 4").doc("The length field's size in bytes (unsigned).");
    public static final ConfigKey<Integer> LENGTH_ADJUSTMENT = ConfigKey.integer("lengthAdjustment", 0)
            .doc("Added to the length field to get the bytes that follow it (Netty's lengthAdjustment).");
    public static final ConfigKey<Integer> ID_OFFSET = ConfigKey.integer("idOffset", -1)
            .check(v -> v >= -1, "must be >= 0, or -1 for no id field").doc("Where the message id starts; -1: no id field, every message is id 0.");
    public static final ConfigKey<Integer> ID_SIZE = ConfigKey.integer("idSize", 4)
            .check(v -> v >= 1 && v <= 4, "must be 1, 2, 3 or 4").doc("The id field's size in bytes (unsigned).");
    public static final ConfigKey<Integer> HEADER_LENGTH = ConfigKey.integer("headerLength", 0)
            .check(v -> v >= 0, "must be >= 0").doc("Bytes before the payload; 0: the end of the last field.");

    /** The section; {@code config.section(LengthFieldConfig.SECTION)} reads it. */
    public static final LengthFieldConfig SECTION = new LengthFieldConfig();

    public LengthFieldConfig() {
        super("lengthField", BYTE_ORDER, PREFIX, LENGTH_OFFSET, LENGTH_SIZE, LENGTH_ADJUSTMENT, ID_OFFSET, ID_SIZE,
                HEADER_LENGTH);
    }

    /**
     * The codec these values describe.
     *
     * @throws ConfigException if the fields overlap each other or the prefix, or lie past headerLength
     */
    public static Codec codec(ConfigSection.Values v) {
        return LengthFieldCodec.of(v.get(BYTE_ORDER) == ByteOrder.LITTLE, v.get(PREFIX), v.get(LENGTH_OFFSET),
                v.get(LENGTH_SIZE), v.get(LENGTH_ADJUSTMENT), v.get(ID_OFFSET), v.get(ID_SIZE), v.get(HEADER_LENGTH));
    }
}
