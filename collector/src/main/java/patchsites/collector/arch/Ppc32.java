package patchsites.collector.arch;

import static patchsites.collector.arch.BranchRelocations.form;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import patchsites.isa.PowerCodec;
import patchsites.model.Ppc32Rules;

/**
 * 32-bit PowerPC (SysV, big-endian, RELA). {@code bl}/{@code b} with R_PPC_REL24 (R_PPC_PLTREL24
 * under secure-PLT PIC, whose addend is the GOT pointer offset, not a branch offset;
 * R_PPC_LOCAL24PC under PIC/PIE for a callee the compiler knows binds locally: a static function
 * or, with -fPIE, one defined in the object), {@code bc} with R_PPC_REL14. No TOC: real tail
 * calls exist. The decoding pass decodes its fixed 4-byte words (b/bl/bc).
 */
public final class Ppc32 extends BranchFormsArch {
    public static final int R_PPC_ADDR32 = 1, R_PPC_REL24 = 10, R_PPC_REL14 = 11, R_PPC_REL14_BRTAKEN = 12,
            R_PPC_REL14_BRNTAKEN = 13, R_PPC_PLTREL24 = 18, R_PPC_LOCAL24PC = 23, R_PPC_REL32 = 26;

    public Ppc32(ByteOrder order) {
        this(new PowerCodec(order, false));
    }

    private Ppc32(PowerCodec codec) {
        super(ArchAbi.of("ppc32", true, R_PPC_REL32, R_PPC_ADDR32, "R_PPC_",
                ArchAbi.names(R_PPC_ADDR32, "ADDR32", R_PPC_REL24, "REL24", R_PPC_REL14, "REL14", R_PPC_PLTREL24,
                        "PLTREL24", R_PPC_LOCAL24PC, "LOCAL24PC", R_PPC_REL32, "REL32")),
                new BranchRelocations(codec, 4, 0, form(R_PPC_REL24, 24), form(R_PPC_PLTREL24, 24),
                        form(R_PPC_LOCAL24PC, 24), form(R_PPC_REL14, 14), form(R_PPC_REL14_BRTAKEN, 14),
                        form(R_PPC_REL14_BRNTAKEN, 14)),
                codec, Ppc32Rules::new);
    }

    @Override
    public boolean decodeBranch(ByteBuffer text, long field, int relocType, CodeContext context, DecodedBranch out) {
        if (!super.decodeBranch(text, field, relocType, context, out)) {
            return false;
        }
        out.addendIsNotOffset = relocType == R_PPC_PLTREL24;
        return true;
    }
}
