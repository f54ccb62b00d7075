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
    /** The immediates' layouts ({@link Words#scattered}): J-type imm[20|10:1|11|19:12], B-type imm[12|10:5], imm[4:1|11]. */
    private static final int[] J_TYPE = {31, 1, 20, 21, 10, 1, 20, 1, 11, 12, 8, 12},
            B_TYPE = {31, 1, 12, 25, 6, 5, 8, 4, 1, 7, 1, 11};
    /** CJ-format imm[11|4|9:8|10|6|7|3:1|5], CB-format imm[8|4:3] and imm[7:6|2:1|5]. */
    private static final int[] CJ = {12, 1, 11, 11, 1, 4, 9, 2, 8, 8, 1, 10, 7, 1, 6, 6, 1, 7, 3, 3, 1, 2, 1, 5},
            CB = {12, 1, 8, 10, 2, 3, 5, 2, 6, 3, 2, 1, 2, 1, 5};

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
                return Branch.at0(SiteKind.TAIL, 2, 0, Words.signExtend(Words.scattered(h, CJ), 12), 11, 2);
            }
            if ((h & C_BRANCH_MASK) == C_BRANCH) {
                return Branch.at0(SiteKind.COND_TAIL, 2, 0, Words.signExtend(Words.scattered(h, CB), 9), 8, 2);
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
                long d = (Words.field(w, 12, 20) << 12) + Words.field(j, 20, 12);
                return Branch.at0(rd(j) == 0 ? SiteKind.TAIL : SiteKind.CALL, 8, 0, d, 32, 1);
            }
            case JAL:
                return Branch.at0(rd(w) == 0 ? SiteKind.TAIL : SiteKind.CALL, 4, 0,
                        Words.signExtend(Words.scattered(w, J_TYPE), 21), 20, 2);
            case BRANCH:
                return Branch.at0(SiteKind.COND_TAIL, 4, 0, Words.signExtend(Words.scattered(w, B_TYPE), 13), 12, 2);
            default:
                return null;
        }
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
            Words.put32(code, at, LE, Words.withField(Words.u32(code, at, LE), 12, 20, hi));
            Words.put32(code, at + 4, LE, Words.withField(Words.u32(code, at + 4, LE), 20, 12, lo));
            return true;
        }
        if (!Words.fitsSigned(d, b.fieldBits() + 1)) { // the field leaves out bit 0
            return false;
        }
        if (b.length() == 4) {
            Words.put32(code, at, LE, Words.withScattered(Words.u32(code, at, LE), b.fieldBits() == 20 ? J_TYPE : B_TYPE, d));
        } else {
            Words.put16(code, at, LE, Words.withScattered(Words.u16(code, at, LE), b.fieldBits() == 11 ? CJ : CB, d));
        }
        return true;
    }
}
