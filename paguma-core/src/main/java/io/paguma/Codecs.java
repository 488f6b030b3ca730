package io.paguma;

import io.paguma.internal.codec.HeaderCodec;
import io.paguma.internal.codec.PagumaCodec;
import io.paguma.internal.codec.TronCodec;

import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;

/**
 * The built-in wire formats and lookup by name. Every format is described byte by byte in
 * {@code docs/PROTOCOL.md}.
 */
public final class Codecs {
    /** {@code [len u32 LE][id u32 LE][data]}: the seed's order and Zinx's {@code zinx_pack_ltv_little_endian}. The default. */
    public static final Codec LTV_LE = HeaderCodec.ltvLe();
    /** {@code [id u32 BE][len u32 BE][data]}: Zinx's current default, {@code zinx_pack_tlv_big_endian}. */
    public static final Codec TLV_BE = HeaderCodec.tlvBe();
    /** {@code [len u32 BE][data]} (seed 004). Carries no message id: every frame is message id 0. */
    public static final Codec LENGTH_PREFIX = HeaderCodec.lengthPrefix();

    /**
     * {@code [len u32][0xB7][flags u8][status u16][id u32][seq u32][timeout u32?][data]}, big-endian:
     * Paguma's own format (0.2), carrying a sequence id so {@link Connection#request} can match
     * replies (T6), a status so a request that fails remotely fails its caller at once with a
     * {@link RemoteException}, and a request's time limit (B12).
     */
    public static final Codec PAGUMA = new PagumaCodec();
    /**
     * {@code [seq i32 BE][category u8][len u32 BE][data]["\r\n"]}: the TRON packet of seed 001, as
     * TRON v0.1 writes it (T2). Category = message id, 0-255; carries a sequence id (TRON's -1, "no
     * sequence", is Paguma's 0); an empty packet, or one not ending in CR LF, closes the connection.
     */
    public static final Codec TRON = TronCodec.v01();
    /**
     * {@code [packLen i32 BE = 8 + len][seq i32 BE][len i32 BE][data]}: TRON's later default codec.
     * Carries a sequence id and no message id: every message is id 0.
     */
    public static final Codec TRON_V2 = TronCodec.v2();
    /**
     * The {@code length-field} codec with its default layout ({@code [len u32 BE][data]}); a server or
     * client with {@code codec: length-field} uses the layout of its config's {@code lengthField}
     * section ({@link LengthFieldConfig}).
     */
    public static final Codec LENGTH_FIELD = LengthFieldConfig.codec(LengthFieldConfig.SECTION.defaults());

    private static final List<Codec> BUILT_IN = List.of(LTV_LE, TLV_BE, LENGTH_PREFIX, PAGUMA, TRON, TRON_V2, LENGTH_FIELD);

    private Codecs() {
    }

    /**
     * The codec named {@code name}: a built-in one, or one registered through
     * {@code META-INF/services/io.paguma.Codec}. Names are compared ignoring case.
     *
     * @throws IllegalArgumentException naming the known codecs if there is none by that name
     */
    public static Codec byName(String name) {
        for (Codec c : BUILT_IN) {
            if (c.name().equalsIgnoreCase(name)) return c;
        }
        for (Codec c : ServiceLoader.load(Codec.class)) {
            if (c.name().equalsIgnoreCase(name)) return c;
        }
        throw new IllegalArgumentException("unknown codec '" + name + "'; known codecs: " + names());
    }

    /**
     * The codec {@code config} names, with its settings: for {@code length-field}, the layout of
     * the config's {@code lengthField} section; otherwise {@link #byName}.
     *
     * @throws ConfigException if the codec is unknown or its layout is inconsistent
     */
    public static Codec forConfig(PagumaConfig config) {
        if (config.codec().equalsIgnoreCase(LENGTH_FIELD.name())) {
            return LengthFieldConfig.codec(config.section(LengthFieldConfig.SECTION));
        }
        try {
            return byName(config.codec());
        } catch (IllegalArgumentException e) {
            throw new ConfigException("codec", "codec: " + e.getMessage());
        }
    }

    /** The names of every available codec, built-in ones first. */
    public static List<String> names() {
        List<String> names = new ArrayList<>();
        for (Codec c : BUILT_IN) names.add(c.name());
        for (Codec c : ServiceLoader.load(Codec.class)) names.add(c.name());
        return names;
    }
}
