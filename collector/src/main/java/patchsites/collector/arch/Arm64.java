package patchsites.collector.arch;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import patchsites.model.Arm64Rules;
import patchsites.model.ModelOptions;
import patchsites.model.PatchRules;
import patchsites.model.SiteKind;

/**
 * AArch64 (RELA; instructions are little-endian even in big-endian objects). {@code BL}
 * (R_AARCH64_CALL26), {@code B} (JUMP26), and {@code B.cond}/{@code CBZ}/{@code CBNZ}
 * (CONDBR19), {@code TBZ}/{@code TBNZ} (TSTBR14) as conditional tail calls. The relocation sits
 * on the instruction itself and the addend is the target's offset from the symbol.
 */
public final class Arm64 implements Arch {
    public static final int R_AARCH64_ABS64 = 257, R_AARCH64_PREL32 = 261, R_AARCH64_TSTBR14 = 279,
            R_AARCH64_CONDBR19 = 280, R_AARCH64_JUMP26 = 282, R_AARCH64_CALL26 = 283;

    @Override
    public String name() {
        return "arm64";
    }

    @Override
    public boolean decodeBranch(ByteBuffer text, long field, int relocType, CodeContext context, DecodedBranch out) {
        if ((field & 3) != 0 || !Words.fits(text, field, 4)) {
            return false;
        }
        int insn = Words.u32(text, field, ByteOrder.LITTLE_ENDIAN);
        SiteKind kind;
        switch (relocType) {
            case R_AARCH64_CALL26:
                kind = (insn & 0xfc000000) == 0x94000000 ? SiteKind.CALL : null;
                break;
            case R_AARCH64_JUMP26:
                kind = (insn & 0xfc000000) == 0x14000000 ? SiteKind.TAIL : null;
                break;
            case R_AARCH64_CONDBR19:
                kind = (insn & 0xff000010) == 0x54000000 || (insn & 0x7e000000) == 0x34000000 ? SiteKind.COND_TAIL : null;
                break;
            case R_AARCH64_TSTBR14:
                kind = (insn & 0x7e000000) == 0x36000000 ? SiteKind.COND_TAIL : null;
                break;
            default:
                kind = null;
        }
        if (kind == null) {
            return false;
        }
        return out.found(kind, field, 4, 0);
    }

    @Override
    public boolean usesRela() {
        return true;
    }

    @Override
    public int tablePcRel32Type() {
        return R_AARCH64_PREL32;
    }

    @Override
    public int tableAbsoluteType() {
        return R_AARCH64_ABS64;
    }

    @Override
    public PatchRules patchRules(ModelOptions options) {
        return new Arm64Rules();
    }

    @Override
    public String relocationName(int type) {
        switch (type) {
            case R_AARCH64_ABS64: return "R_AARCH64_ABS64";
            case R_AARCH64_PREL32: return "R_AARCH64_PREL32";
            case R_AARCH64_TSTBR14: return "R_AARCH64_TSTBR14";
            case R_AARCH64_CONDBR19: return "R_AARCH64_CONDBR19";
            case R_AARCH64_JUMP26: return "R_AARCH64_JUMP26";
            case R_AARCH64_CALL26: return "R_AARCH64_CALL26";
            default: return "R_AARCH64_" + type;
        }
    }
}
