package patchsites.isa;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * AArch64 (instructions little-endian in every object): {@code B}/{@code BL} imm26, {@code
 * B.cond}/{@code CBZ}/{@code CBNZ} imm19, {@code TBZ}/{@code TBNZ} imm14, all in words.
 */
public final class Arm64Codec implements BranchCodec {
    public static final Arm64Codec INSTANCE = new Arm64Codec();
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final int B_MASK = 0x7c000000, B = 0x14000000, LINK = 0x80000000;
    private static final int BCOND_MASK = 0xff000010, BCOND = 0x54000000, CB_MASK = 0x7e000000, CBZ = 0x34000000,
            TBZ = 0x36000000;

    private Arm64Codec() {}

    @Override
    public Branch decode(ByteBuffer code, int at) {
        if (!Words.fits(code, at, 4)) {
            return null;
        }
        int i = Words.u32(code, at, LE);
        if ((i & B_MASK) == B) {
            return branch((i & LINK) != 0 ? SiteKind.CALL : SiteKind.TAIL, i, 26);
        }
        if ((i & BCOND_MASK) == BCOND || (i & CB_MASK) == CBZ) {
            return branch(SiteKind.COND_TAIL, i, 19);
        }
        if ((i & CB_MASK) == TBZ) {
            return branch(SiteKind.COND_TAIL, i, 14);
        }
        return null;
    }

    private static Branch branch(SiteKind kind, int i, int bits) {
        return Branch.at0(kind, 4, 0, Words.field(i, shift(bits), bits) << 2, bits, 4);
    }

    /** imm26 sits at bit 0, imm19 and imm14 at bit 5. */
    private static int shift(int bits) {
        return bits == 26 ? 0 : 5;
    }

    @Override
    public boolean encode(ByteBuffer code, int at, Branch b, long d) {
        int bits = b.fieldBits();
        if (!Words.fitsScaled(d, 4, bits)) {
            return false;
        }
        Words.put32(code, at, LE, Words.withField(Words.u32(code, at, LE), shift(bits), bits, d >> 2));
        return true;
    }
}
