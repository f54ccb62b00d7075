package patchsites.collector.arch;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import patchsites.model.ModelOptions;
import patchsites.model.PatchRules;
import patchsites.model.Ppc32Rules;
import patchsites.model.SiteKind;

/**
 * 32-bit PowerPC (SysV, big-endian, RELA). {@code bl}/{@code b} with R_PPC_REL24 (R_PPC_PLTREL24
 * under secure-PLT PIC, whose addend is the GOT pointer offset, not a branch offset;
 * R_PPC_LOCAL24PC under PIC/PIE for a callee the compiler knows binds locally: a static function
 * or, with -fPIE, one defined in the object), {@code bc} with R_PPC_REL14. No TOC: real tail
 * calls exist.
 */
public final class Ppc32 implements Arch {
    public static final int R_PPC_ADDR32 = 1, R_PPC_REL24 = 10, R_PPC_REL14 = 11, R_PPC_REL14_BRTAKEN = 12,
            R_PPC_REL14_BRNTAKEN = 13, R_PPC_PLTREL24 = 18, R_PPC_LOCAL24PC = 23, R_PPC_REL32 = 26;

    private final ByteOrder order;

    public Ppc32(ByteOrder order) {
        this.order = order;
    }

    @Override
    public String name() {
        return "ppc32";
    }

    @Override
    public boolean decodeBranch(ByteBuffer text, long field, int relocType, CodeContext context, DecodedBranch out) {
        boolean iForm;
        switch (relocType) {
            case R_PPC_REL24:
            case R_PPC_PLTREL24:
            case R_PPC_LOCAL24PC:
                iForm = true;
                break;
            case R_PPC_REL14:
            case R_PPC_REL14_BRTAKEN:
            case R_PPC_REL14_BRNTAKEN:
                iForm = false;
                break;
            default:
                return false;
        }
        SiteKind kind = PowerBranch.decode(text, field, order, iForm);
        if (kind == null) {
            return false;
        }
        out.addendIsNotOffset = relocType == R_PPC_PLTREL24;
        return out.found(kind, field, 4, 0);
    }

    @Override
    public boolean usesRela() {
        return true;
    }

    @Override
    public int tablePcRel32Type() {
        return R_PPC_REL32;
    }

    @Override
    public int tableAbsoluteType() {
        return R_PPC_ADDR32;
    }

    @Override
    public PatchRules patchRules(ModelOptions options) {
        return new Ppc32Rules();
    }

    @Override
    public String relocationName(int type) {
        switch (type) {
            case R_PPC_ADDR32: return "R_PPC_ADDR32";
            case R_PPC_REL24: return "R_PPC_REL24";
            case R_PPC_REL14: return "R_PPC_REL14";
            case R_PPC_PLTREL24: return "R_PPC_PLTREL24";
            case R_PPC_LOCAL24PC: return "R_PPC_LOCAL24PC";
            case R_PPC_REL32: return "R_PPC_REL32";
            default: return "R_PPC_" + type;
        }
    }
}
