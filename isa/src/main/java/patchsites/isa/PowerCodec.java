package patchsites.isa;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The Power ISA's relative branches, for ppc32 and ppc64: I-form {@code b}/{@code bl} (opcode
 * 18, LI: 24 bits of words, ±32 MiB) and B-form {@code bc} (opcode 16, BD: 14 bits of words,
 * ±32 KiB); absolute (AA) forms are not relative branches. On ppc64 a {@code bl} followed by a
 * {@code nop} is one 8-byte unit: the linker turns the nop into the TOC restore when the callee
 * has another TOC.
 */
public final class PowerCodec implements BranchCodec {
    public static final int NOP = 0x60000000;
    private static final int I_FORM = 18, B_FORM = 16, LINK = 1, ABSOLUTE = 2;
    /** LI and BD are fields of words at bit 2 (the low two bits are AA and LK). */
    private static final int FIELD_SHIFT = 2;
    /** BO bits 0 and 2 set: branch always. */
    private static final int BO_ALWAYS = 0x14;

    private final ByteOrder order;
    private final boolean tocSlot;

    /** {@code tocSlot}: a {@code bl; nop} pair is one 8-byte unit (ppc64). */
    public PowerCodec(ByteOrder order, boolean tocSlot) {
        this.order = order;
        this.tocSlot = tocSlot;
    }

    @Override
    public Branch decode(ByteBuffer code, int at) {
        if (!Words.fits(code, at, 4)) {
            return null;
        }
        int i = Words.u32(code, at, order);
        int op = i >>> 26;
        if ((i & ABSOLUTE) != 0) {
            return null;
        }
        boolean link = (i & LINK) != 0;
        if (op == I_FORM) {
            SiteKind k = link ? SiteKind.CALL : SiteKind.TAIL;
            boolean pair = link && tocSlot && Words.fits(code, at + 4, 4) && Words.u32(code, at + 4, order) == NOP;
            return Branch.at0(k, pair ? 8 : 4, 0, Words.field(i, FIELD_SHIFT, 24) << 2, 24, 4);
        }
        if (op == B_FORM) {
            boolean always = (((i >>> 21) & 0x1f) & BO_ALWAYS) == BO_ALWAYS;
            SiteKind k = link ? SiteKind.CALL : always ? SiteKind.TAIL : SiteKind.COND_TAIL;
            return Branch.at0(k, 4, 0, Words.field(i, FIELD_SHIFT, 14) << 2, 14, 4);
        }
        return null;
    }

    @Override
    public boolean encode(ByteBuffer code, int at, Branch b, long d) {
        if (!Words.fitsScaled(d, 4, b.fieldBits())) {
            return false;
        }
        Words.put32(code, at, order, Words.withField(Words.u32(code, at, order), FIELD_SHIFT, b.fieldBits(), d >> 2));
        return true;
    }
}
