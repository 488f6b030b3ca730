package io.paguma;

import io.paguma.internal.codec.HeaderCodec;

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
     * {@code [len u32 BE][id u32 BE][seq u32 BE][data]}: Paguma's own format, carrying a sequence id
     * so {@link Connection#request} can match replies (T6).
     */
    public static final Codec PAGUMA = HeaderCodec.paguma();
    /**
     * {@code [seq u32 BE][category u32 BE][len u32 BE][data]["\r\n"]}: the TRON packet (seed 001, T2),
     * category = message id; carries a sequence id; a frame not ending in CR LF closes the connection.
     */
    public static final Codec TRON = HeaderCodec.tron();

    private static final List<Codec> BUILT_IN = List.of(LTV_LE, TLV_BE, LENGTH_PREFIX, PAGUMA, TRON);

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

    /** The names of every available codec, built-in ones first. */
    public static List<String> names() {
        List<String> names = new ArrayList<>();
        for (Codec c : BUILT_IN) names.add(c.name());
        for (Codec c : ServiceLoader.load(Codec.class)) names.add(c.name());
        return names;
    }
}
