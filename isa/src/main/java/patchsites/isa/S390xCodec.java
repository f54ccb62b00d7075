package patchsites.isa;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * s390x relative branches (big-endian, halfword-aligned): {@code brasl} (C0x5, a call) and
 * {@code brcl} (C0m4: mask 15 is {@code jg}, 1..14 conditional, 0 a nop), 6 bytes with a 32-bit
 * halfword displacement at +2 (±4 GiB); {@code bras}/{@code brc} (A7x5/A7m4), 4 bytes with 16
 * bits at +2 (±64 KiB). The displacement counts from the instruction.
 */
public final class S390xCodec implements BranchCodec {
    public static final S390xCodec INSTANCE = new S390xCodec();
    /** Where the displacement field starts. */
    public static final int FIELD_OFFSET = 2;
    private static final ByteOrder BE = ByteOrder.BIG_ENDIAN;
    private static final int RIL_BRANCH = 0xc0, RI_BRANCH = 0xa7, SAVE = 5, ON_CONDITION = 4, MASK_ALWAYS = 15;

    private S390xCodec() {}

    @Override
    public Branch decode(ByteBuffer code, int at) {
        if (!Words.fits(code, at, 4)) {
            return null;
        }
        int op = code.get(at) & 0xff, op2 = code.get(at + 1) & 0xff, low = op2 & 0xf, mask = op2 >>> 4;
        boolean wide = op == RIL_BRANCH;
        if ((!wide && op != RI_BRANCH) || (wide && !Words.fits(code, at, 6))) {
            return null;
        }
        SiteKind k = low == SAVE ? SiteKind.CALL
                : low == ON_CONDITION && mask != 0 ? (mask == MASK_ALWAYS ? SiteKind.TAIL : SiteKind.COND_TAIL) : null;
        if (k == null) {
            return null;
        }
        long halfwords = wide ? Words.u32(code, at + FIELD_OFFSET, BE) : (short) Words.u16(code, at + FIELD_OFFSET, BE);
        return new Branch(k, wide ? 6 : 4, FIELD_OFFSET, 0, halfwords * 2, wide ? 32 : 16, 2, false);
    }

    @Override
    public boolean encode(ByteBuffer code, int at, Branch b, long d) {
        boolean wide = b.fieldBits() == 32;
        if (!Words.fitsScaled(d, 2, b.fieldBits())) {
            return false;
        }
        if (wide) {
            Words.put32(code, at + FIELD_OFFSET, BE, (int) (d >> 1));
        } else {
            Words.put16(code, at + FIELD_OFFSET, BE, (int) (d >> 1));
        }
        return true;
    }
}
