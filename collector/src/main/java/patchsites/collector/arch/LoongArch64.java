package patchsites.collector.arch;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import patchsites.model.LoongArch64Rules;
import patchsites.model.ModelOptions;
import patchsites.model.PatchRules;
import patchsites.model.SiteKind;

/**
 * LoongArch64 (RELA, little-endian, 4-byte instructions). {@code bl} (0x54000000) and {@code b}
 * (0x50000000) with R_LARCH_B26; {@code beqz/bnez} (R_LARCH_B21) and {@code beq...} (R_LARCH_B16)
 * as conditional tail calls; the medium code model's {@code pcaddu18i}+{@code jirl} pair with
 * R_LARCH_CALL36 (rd of jirl: ra for a call, zero for a tail call). The old stack-machine
 * relocations (binutils before 2.40) are not read.
 */
public final class LoongArch64 implements Arch {
    public static final int R_LARCH_64 = 2, R_LARCH_B16 = 64, R_LARCH_B21 = 65, R_LARCH_B26 = 66,
            R_LARCH_32_PCREL = 99, R_LARCH_CALL36 = 110;

    @Override
    public String name() {
        return "loongarch64";
    }

    @Override
    public boolean decodeBranch(ByteBuffer text, long field, int relocType, CodeContext context, DecodedBranch out) {
        if ((field & 3) != 0 || !Words.fits(text, field, 4)) {
            return false;
        }
        int insn = Words.u32(text, field, ByteOrder.LITTLE_ENDIAN);
        int op6 = insn >>> 26;
        SiteKind kind;
        int length = 4;
        switch (relocType) {
            case R_LARCH_B26:
                kind = op6 == 0x15 ? SiteKind.CALL : op6 == 0x14 ? SiteKind.TAIL : null;
                break;
            case R_LARCH_B21:
                kind = op6 == 0x10 || op6 == 0x11 ? SiteKind.COND_TAIL : null; // beqz, bnez
                break;
            case R_LARCH_B16:
                kind = op6 >= 0x16 && op6 <= 0x1b ? SiteKind.COND_TAIL : null; // beq .. bgeu
                break;
            case R_LARCH_CALL36: {
                if (!Words.fits(text, field, 8)) {
                    return false;
                }
                int jirl = Words.u32(text, field + 4, ByteOrder.LITTLE_ENDIAN);
                boolean pair = (insn & 0xfe000000) == 0x1e000000 && (jirl >>> 26) == 0x13
                        && ((jirl >>> 5) & 0x1f) == (insn & 0x1f);
                kind = !pair ? null : (jirl & 0x1f) == 0 ? SiteKind.TAIL : SiteKind.CALL;
                length = 8;
                break;
            }
            default:
                kind = null;
        }
        if (kind == null) {
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
        return R_LARCH_32_PCREL;
    }

    @Override
    public int tableAbsoluteType() {
        return R_LARCH_64;
    }

    @Override
    public PatchRules patchRules(ModelOptions options) {
        return new LoongArch64Rules();
    }

    @Override
    public String relocationName(int type) {
        switch (type) {
            case R_LARCH_64: return "R_LARCH_64";
            case R_LARCH_B16: return "R_LARCH_B16";
            case R_LARCH_B21: return "R_LARCH_B21";
            case R_LARCH_B26: return "R_LARCH_B26";
            case R_LARCH_32_PCREL: return "R_LARCH_32_PCREL";
            case R_LARCH_CALL36: return "R_LARCH_CALL36";
            default: return "R_LARCH_" + type;
        }
    }
}
