package patchsites.isa;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * RISC-V direct branches (little-endian; with the C extension 2-byte aligned): the {@code
 * auipc}+{@code jalr} pair of {@code call}/{@code tail} (hi20 + lo12, ±2 GiB; a tail call when
 * the jalr's rd is x0), {@code jal}/{@code j} (J-type imm20 of halfwords, ±1 MiB), conditional
 * B-type (imm12, ±4 KiB), and compressed {@code c.j} (imm11, ±2 KiB; {@code c.jal} is RV32 only)
 * and {@code c.beqz}/{@code c.bnez} (imm8, ±256 B).
 */
public final class RiscvCodec implements BranchCodec {
    public static final RiscvCodec INSTANCE = new RiscvCodec();
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final int OPCODE = 0x7f, AUIPC = 0x17, JAL = 0x6f, BRANCH = 0x63, JALR_MASK = 0x707f, JALR = 0x67;
    private static final int C_J_MASK = 0xe003, C_J = 0xa001, C_BRANCH_MASK = 0xc003, C_BRANCH = 0xc001;

    private RiscvCodec() {}

    private static int rd(int w) {
        return (w >>> 7) & 0x1f;
    }

    @Override
    public Branch decode(ByteBuffer code, int at) {
        if (!Words.fits(code, at, 2)) {
            return null;
        }
        int h = Words.u16(code, at, LE);
        if ((h & 3) != 3) {
            if ((h & C_J_MASK) == C_J) {
                return Branch.at0(SiteKind.TAIL, 2, 0, cjOffset(h), 11, 2);
            }
            if ((h & C_BRANCH_MASK) == C_BRANCH) {
                return Branch.at0(SiteKind.COND_TAIL, 2, 0, cbOffset(h), 8, 2);
            }
            return null;
        }
        if (!Words.fits(code, at, 4)) {
            return null;
        }
        int w = Words.u32(code, at, LE);
        switch (w & OPCODE) {
            case AUIPC: {
                if (!Words.fits(code, at, 8)) {
                    return null;
                }
                int j = Words.u32(code, at + 4, LE);
                if ((j & JALR_MASK) != JALR || ((j >>> 15) & 0x1f) != rd(w)) {
                    return null;
                }
                long d = (long) (w & 0xfffff000) + Words.signExtend(j >>> 20, 12);
                return Branch.at0(rd(j) == 0 ? SiteKind.TAIL : SiteKind.CALL, 8, 0, d, 32, 1);
            }
            case JAL: {
                long d = ((long) (w >>> 31) << 20) | (((w >>> 12) & 0xff) << 12) | (((w >>> 20) & 1) << 11)
                        | (((w >>> 21) & 0x3ff) << 1);
                return Branch.at0(rd(w) == 0 ? SiteKind.TAIL : SiteKind.CALL, 4, 0, Words.signExtend(d, 21), 20, 2);
            }
            case BRANCH: {
                long d = ((long) (w >>> 31) << 12) | (((w >>> 7) & 1) << 11) | (((w >>> 25) & 0x3f) << 5)
                        | (((w >>> 8) & 0xf) << 1);
                return Branch.at0(SiteKind.COND_TAIL, 4, 0, Words.signExtend(d, 13), 12, 2);
            }
            default:
                return null;
        }
    }

    private static long cjOffset(int h) {
        long d = (((h >> 12) & 1) << 11) | (((h >> 11) & 1) << 4) | (((h >> 9) & 3) << 8) | (((h >> 8) & 1) << 10)
                | (((h >> 7) & 1) << 6) | (((h >> 6) & 1) << 7) | (((h >> 3) & 7) << 1) | (((h >> 2) & 1) << 5);
        return Words.signExtend(d, 12);
    }

    private static long cbOffset(int h) {
        long d = (((h >> 12) & 1) << 8) | (((h >> 10) & 3) << 3) | (((h >> 5) & 3) << 6) | (((h >> 3) & 3) << 1)
                | (((h >> 2) & 1) << 5);
        return Words.signExtend(d, 9);
    }

    @Override
    public boolean encode(ByteBuffer code, int at, Branch b, long d) {
        if ((d & 1) != 0) {
            return false;
        }
        if (b.length() == 8) { // auipc's hi20 is rounded so that jalr's signed lo12 adds up
            long hi = (d + 0x800) >> 12, lo = d - (hi << 12);
            if (!Words.fitsSigned(hi, 20)) {
                return false;
            }
            Words.put32(code, at, LE, (Words.u32(code, at, LE) & 0xfff) | (int) (hi << 12));
            Words.put32(code, at + 4, LE, (Words.u32(code, at + 4, LE) & 0xfffff) | (int) (lo << 20));
            return true;
        }
        if (!Words.fitsSigned(d, b.fieldBits() + 1)) { // the field leaves out bit 0
            return false;
        }
        if (b.length() == 4) {
            int w = Words.u32(code, at, LE);
            int out = b.fieldBits() == 20
                    ? (w & 0xfff) | (int) (((d >> 20) & 1) << 31) | (int) (((d >> 1) & 0x3ff) << 21)
                            | (int) (((d >> 11) & 1) << 20) | (int) (((d >> 12) & 0xff) << 12)
                    : (w & 0x01fff07f) | (int) (((d >> 12) & 1) << 31) | (int) (((d >> 5) & 0x3f) << 25)
                            | (int) (((d >> 1) & 0xf) << 8) | (int) (((d >> 11) & 1) << 7);
            Words.put32(code, at, LE, out);
        } else {
            int h = Words.u16(code, at, LE);
            int out = b.fieldBits() == 11
                    ? (h & C_J_MASK) | (int) (((d >> 11) & 1) << 12) | (int) (((d >> 4) & 1) << 11)
                            | (int) (((d >> 8) & 3) << 9) | (int) (((d >> 10) & 1) << 8) | (int) (((d >> 6) & 1) << 7)
                            | (int) (((d >> 7) & 1) << 6) | (int) (((d >> 1) & 7) << 3) | (int) (((d >> 5) & 1) << 2)
                    : (h & 0xe383) | (int) (((d >> 8) & 1) << 12) | (int) (((d >> 3) & 3) << 10)
                            | (int) (((d >> 6) & 3) << 5) | (int) (((d >> 1) & 3) << 3) | (int) (((d >> 5) & 1) << 2);
            Words.put16(code, at, LE, out);
        }
        return true;
    }
}
