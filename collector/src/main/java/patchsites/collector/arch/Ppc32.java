package patchsites.collector.arch;

import static patchsites.collector.arch.BranchRelocations.form;

import java.nio.ByteBuffer;
import patchsites.isa.BranchCodec;
import java.nio.ByteOrder;
import patchsites.isa.PowerCodec;
import patchsites.model.ModelOptions;
import patchsites.model.PatchRules;
import patchsites.model.Ppc32Rules;

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

    private static final ArchAbi ABI = ArchAbi.of("ppc32", true, R_PPC_REL32, R_PPC_ADDR32, "R_PPC_",
            ArchAbi.names(R_PPC_ADDR32, "ADDR32", R_PPC_REL24, "REL24", R_PPC_REL14, "REL14", R_PPC_PLTREL24, "PLTREL24",
                    R_PPC_LOCAL24PC, "LOCAL24PC", R_PPC_REL32, "REL32"));

    private final BranchRelocations branches;
    private final PowerCodec codec;

    public Ppc32(ByteOrder order) {
        this.branches = new BranchRelocations(codec = new PowerCodec(order, false), 4, 0, form(R_PPC_REL24, 24),
                form(R_PPC_PLTREL24, 24), form(R_PPC_LOCAL24PC, 24), form(R_PPC_REL14, 14),
                form(R_PPC_REL14_BRTAKEN, 14), form(R_PPC_REL14_BRNTAKEN, 14));
    }

    @Override
    public ArchAbi abi() {
        return ABI;
    }

    @Override
    public boolean decodeBranch(ByteBuffer text, long field, int relocType, CodeContext context, DecodedBranch out) {
        if (!branches.decode(text, field, relocType, out)) {
            return false;
        }
        out.addendIsNotOffset = relocType == R_PPC_PLTREL24;
        return true;
    }

    /** Fixed 4-byte words: b/bl/bc. */
    @Override
    public BranchCodec decodingCodec() {
        return codec;
    }

    @Override
    public PatchRules patchRules(ModelOptions options) {
        return new Ppc32Rules();
    }
}
