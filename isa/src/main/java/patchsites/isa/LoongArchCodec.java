package patchsites.isa;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * LoongArch64 direct branches (little-endian, 4-byte words; offsets in words): {@code b}/{@code
 * bl} (op6 0x14/0x15, offs26, ±128 MiB), {@code beqz}/{@code bnez} (0x10/0x11, offs21, ±4 MiB),
 * {@code beq}..{@code bgeu} (0x16..0x1b, offs16, ±128 KiB), and the medium code model's {@code
 * pcaddu18i}+{@code jirl} pair (hi20 &lt;&lt; 18 + offs16, ±128 GiB; rd of jirl zero: a tail call).
 */
public final class LoongArchCodec implements BranchCodec {
    public static final LoongArchCodec INSTANCE = new LoongArchCodec();
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final int B = 0x14, BL = 0x15, BEQZ = 0x10, BNEZ = 0x11, BEQ = 0x16, BGEU = 0x1b, JIRL = 0x13;
    private static final int PCADDU18I_MASK = 0xfe000000, PCADDU18I = 0x1e000000, REG = 0x1f;

    private LoongArchCodec() {}

    @Override
    public Branch decode(ByteBuffer code, int at) {
        if (!Words.fits(code, at, 4)) {
            return null;
        }
        int i = Words.u32(code, at, LE), op6 = i >>> 26;
        long offs16 = (i >>> 10) & 0xffff;
        if (op6 == B || op6 == BL) {
            long offs = offs16 | (((long) i & 0x3ff) << 16);
            return Branch.at0(op6 == BL ? SiteKind.CALL : SiteKind.TAIL, 4, 0, Words.signExtend(offs, 26) << 2, 26, 4);
        }
        if (op6 == BEQZ || op6 == BNEZ) {
            long offs = offs16 | (((long) i & 0x1f) << 16);
            return Branch.at0(SiteKind.COND_TAIL, 4, 0, Words.signExtend(offs, 21) << 2, 21, 4);
        }
        if (op6 >= BEQ && op6 <= BGEU) {
            return Branch.at0(SiteKind.COND_TAIL, 4, 0, Words.signExtend(offs16, 16) << 2, 16, 4);
        }
        if ((i & PCADDU18I_MASK) == PCADDU18I && Words.fits(code, at, 8)) {
            int j = Words.u32(code, at + 4, LE);
            if ((j >>> 26) == JIRL && ((j >>> 5) & REG) == (i & REG)) {
                long d = (Words.signExtend((i >>> 5) & 0xfffff, 20) << 18) + (Words.signExtend((j >>> 10) & 0xffff, 16) << 2);
                return Branch.at0((j & REG) == 0 ? SiteKind.TAIL : SiteKind.CALL, 8, 0, d, 36, 4);
            }
        }
        return null;
    }

    @Override
    public boolean encode(ByteBuffer code, int at, Branch b, long d) {
        if ((d & 3) != 0) {
            return false;
        }
        int i = Words.u32(code, at, LE);
        long o = d >> 2;
        if (b.length() == 8) {
            long hi = (d + 0x20000) >> 18, lo = d - (hi << 18);
            if (!Words.fitsSigned(hi, 20)) {
                return false;
            }
            Words.put32(code, at, LE, (i & 0xfe00001f) | (int) ((hi & 0xfffff) << 5));
            Words.put32(code, at + 4, LE, (Words.u32(code, at + 4, LE) & 0xfc0003ff) | (int) (((lo >> 2) & 0xffff) << 10));
            return true;
        }
        if (!Words.fitsSigned(o, b.fieldBits())) {
            return false;
        }
        int low16 = (int) ((o & 0xffff) << 10);
        switch (b.fieldBits()) {
            case 26:
                Words.put32(code, at, LE, (i & 0xfc000000) | low16 | (int) ((o >> 16) & 0x3ff));
                break;
            case 21:
                Words.put32(code, at, LE, (i & 0xfc0003e0) | low16 | (int) ((o >> 16) & 0x1f));
                break;
            default:
                Words.put32(code, at, LE, (i & 0xfc0003ff) | low16);
        }
        return true;
    }
}
