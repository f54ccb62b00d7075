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
    /** Where offs16, the low 16 bits of every offset, sits. */
    private static final int OFFS_LOW = 10;

    private LoongArchCodec() {}

    @Override
    public Branch decode(ByteBuffer code, int at) {
        if (!Words.fits(code, at, 4)) {
            return null;
        }
        int i = Words.u32(code, at, LE), op6 = i >>> 26;
        if (op6 == B || op6 == BL) {
            return branch(op6 == BL ? SiteKind.CALL : SiteKind.TAIL, i, 26);
        }
        if (op6 == BEQZ || op6 == BNEZ) {
            return branch(SiteKind.COND_TAIL, i, 21);
        }
        if (op6 >= BEQ && op6 <= BGEU) {
            return branch(SiteKind.COND_TAIL, i, 16);
        }
        if ((i & PCADDU18I_MASK) == PCADDU18I && Words.fits(code, at, 8)) {
            int j = Words.u32(code, at + 4, LE);
            if ((j >>> 26) == JIRL && ((j >>> 5) & REG) == (i & REG)) {
                long d = (Words.field(i, 5, 20) << 18) + (Words.field(j, OFFS_LOW, 16) << 2);
                return Branch.at0((j & REG) == 0 ? SiteKind.TAIL : SiteKind.CALL, 8, 0, d, 36, 4);
            }
        }
        return null;
    }

    /** offs16 at bit 10, and for offs21/offs26 the high 5/10 bits at bit 0, in words. */
    private static Branch branch(SiteKind kind, int i, int bits) {
        long offs = ((i >>> OFFS_LOW) & 0xffff) | (((long) i & ((1 << (bits - 16)) - 1)) << 16);
        return Branch.at0(kind, 4, 0, Words.signExtend(offs, bits) << 2, bits, 4);
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
            Words.put32(code, at, LE, Words.withField(i, 5, 20, hi));
            Words.put32(code, at + 4, LE, Words.withField(Words.u32(code, at + 4, LE), OFFS_LOW, 16, lo >> 2));
            return true;
        }
        if (!Words.fitsSigned(o, b.fieldBits())) {
            return false;
        }
        Words.put32(code, at, LE, Words.withField(Words.withField(i, OFFS_LOW, 16, o), 0, b.fieldBits() - 16, o >> 16));
        return true;
    }
}
