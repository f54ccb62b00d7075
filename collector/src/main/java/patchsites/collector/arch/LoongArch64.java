package patchsites.collector.arch;

import static patchsites.collector.arch.BranchRelocations.form;

import java.nio.ByteBuffer;
import patchsites.isa.BranchCodec;
import patchsites.isa.LoongArchCodec;
import patchsites.model.LoongArch64Rules;
import patchsites.model.ModelOptions;
import patchsites.model.PatchRules;

/**
 * LoongArch64 (RELA, little-endian, 4-byte instructions). {@code bl} and {@code b} with
 * R_LARCH_B26; {@code beqz/bnez} (R_LARCH_B21) and {@code beq...} (R_LARCH_B16) as conditional
 * tail calls; the medium code model's {@code pcaddu18i}+{@code jirl} pair with R_LARCH_CALL36.
 * The relocation names the width of the displacement it fills. The old stack-machine
 * relocations (binutils before 2.40) are not read.
 */
public final class LoongArch64 implements Arch {
    public static final int R_LARCH_64 = 2, R_LARCH_B16 = 64, R_LARCH_B21 = 65, R_LARCH_B26 = 66,
            R_LARCH_32_PCREL = 99, R_LARCH_CALL36 = 110;

    private static final ArchAbi ABI = ArchAbi.of("loongarch64", true, R_LARCH_32_PCREL, R_LARCH_64, "R_LARCH_",
            ArchAbi.names(R_LARCH_64, "64", R_LARCH_B16, "B16", R_LARCH_B21, "B21", R_LARCH_B26, "B26",
                    R_LARCH_32_PCREL, "32_PCREL", R_LARCH_CALL36, "CALL36"));

    @Override
    public ArchAbi abi() {
        return ABI;
    }

    private static final BranchRelocations BRANCHES = new BranchRelocations(LoongArchCodec.INSTANCE, 4, 0,
            form(R_LARCH_B26, 26), form(R_LARCH_B21, 21), form(R_LARCH_B16, 16), form(R_LARCH_CALL36, 36));

    @Override
    public boolean decodeBranch(ByteBuffer text, long field, int relocType, CodeContext context, DecodedBranch out) {
        return BRANCHES.decode(text, field, relocType, out);
    }

    /** Fixed 4-byte words (clang resolves a bl to a local function itself). */
    @Override
    public BranchCodec decodingCodec() {
        return LoongArchCodec.INSTANCE;
    }

    @Override
    public PatchRules patchRules(ModelOptions options) {
        return new LoongArch64Rules();
    }
}
