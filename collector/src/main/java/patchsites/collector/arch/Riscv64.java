package patchsites.collector.arch;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import patchsites.model.ModelOptions;
import patchsites.model.PatchRules;
import patchsites.model.Riscv64Rules;
import patchsites.model.SiteKind;

/**
 * RISC-V 64 (RELA, little-endian; with the C extension instructions are only 2-byte aligned).
 * {@code call}/{@code tail} are {@code auipc}+{@code jalr} pairs with R_RISCV_CALL_PLT (old:
 * R_RISCV_CALL) on the auipc, told apart by the jalr's rd (x0: tail); {@code jal}/{@code j} carry
 * R_RISCV_JAL, compressed {@code c.j} R_RISCV_RVC_JUMP, conditional branches R_RISCV_BRANCH /
 * R_RISCV_RVC_BRANCH. R_RISCV_RELAX at the same offset names no symbol and is skipped like any
 * relocation of a non-target. Offsets in relocatable objects are before linker relaxation.
 */
public final class Riscv64 implements Arch {
    public static final int R_RISCV_64 = 2, R_RISCV_BRANCH = 16, R_RISCV_JAL = 17, R_RISCV_CALL = 18,
            R_RISCV_CALL_PLT = 19, R_RISCV_ALIGN = 43, R_RISCV_RVC_BRANCH = 44, R_RISCV_RVC_JUMP = 45,
            R_RISCV_RELAX = 51, R_RISCV_32_PCREL = 57;

    @Override
    public String name() {
        return "riscv64";
    }

    @Override
    public boolean decodeBranch(ByteBuffer text, long field, int relocType, CodeContext context, DecodedBranch out) {
        if ((field & 1) != 0) {
            return false;
        }
        SiteKind kind;
        int length;
        switch (relocType) {
            case R_RISCV_CALL:
            case R_RISCV_CALL_PLT: {
                if (!Words.fits(text, field, 8)) {
                    return false;
                }
                int auipc = Words.u32(text, field, ByteOrder.LITTLE_ENDIAN);
                int jalr = Words.u32(text, field + 4, ByteOrder.LITTLE_ENDIAN);
                int rd = (auipc >>> 7) & 0x1f;
                boolean pair = (auipc & 0x7f) == 0x17 && (jalr & 0x707f) == 0x67 && ((jalr >>> 15) & 0x1f) == rd;
                if (!pair) {
                    return false;
                }
                kind = ((jalr >>> 7) & 0x1f) == 0 ? SiteKind.TAIL : SiteKind.CALL;
                length = 8;
                break;
            }
            case R_RISCV_JAL: {
                if (!Words.fits(text, field, 4)) {
                    return false;
                }
                int jal = Words.u32(text, field, ByteOrder.LITTLE_ENDIAN);
                if ((jal & 0x7f) != 0x6f) {
                    return false;
                }
                kind = ((jal >>> 7) & 0x1f) == 0 ? SiteKind.TAIL : SiteKind.CALL;
                length = 4;
                break;
            }
            case R_RISCV_BRANCH: {
                if (!Words.fits(text, field, 4) || (Words.u32(text, field, ByteOrder.LITTLE_ENDIAN) & 0x7f) != 0x63) {
                    return false;
                }
                kind = SiteKind.COND_TAIL;
                length = 4;
                break;
            }
            case R_RISCV_RVC_JUMP: {
                if (!Words.fits(text, field, 2)) {
                    return false;
                }
                int c = Words.u16(text, field, ByteOrder.LITTLE_ENDIAN);
                if ((c & 0xe003) != 0xa001) { // c.j (c.jal is RV32 only)
                    return false;
                }
                kind = SiteKind.TAIL;
                length = 2;
                break;
            }
            case R_RISCV_RVC_BRANCH: {
                if (!Words.fits(text, field, 2)) {
                    return false;
                }
                int c = Words.u16(text, field, ByteOrder.LITTLE_ENDIAN);
                if ((c & 0xc003) != 0xc001) { // c.beqz / c.bnez
                    return false;
                }
                kind = SiteKind.COND_TAIL;
                length = 2;
                break;
            }
            default:
                return false;
        }
        return out.found(kind, field, length, 0);
    }

    @Override
    public boolean usesRela() {
        return true;
    }

    @Override
    public int tablePcRel32Type() {
        return R_RISCV_32_PCREL;
    }

    @Override
    public int tableAbsoluteType() {
        return R_RISCV_64;
    }

    @Override
    public PatchRules patchRules(ModelOptions options) {
        return new Riscv64Rules();
    }

    @Override
    public String relocationName(int type) {
        switch (type) {
            case R_RISCV_64: return "R_RISCV_64";
            case R_RISCV_BRANCH: return "R_RISCV_BRANCH";
            case R_RISCV_JAL: return "R_RISCV_JAL";
            case R_RISCV_CALL: return "R_RISCV_CALL";
            case R_RISCV_CALL_PLT: return "R_RISCV_CALL_PLT";
            case R_RISCV_ALIGN: return "R_RISCV_ALIGN";
            case R_RISCV_RVC_BRANCH: return "R_RISCV_RVC_BRANCH";
            case R_RISCV_RVC_JUMP: return "R_RISCV_RVC_JUMP";
            case R_RISCV_RELAX: return "R_RISCV_RELAX";
            case R_RISCV_32_PCREL: return "R_RISCV_32_PCREL";
            default: return "R_RISCV_" + type;
        }
    }
}
