package patchsites.collector.arch;

import java.nio.ByteBuffer;
import java.util.function.Supplier;
import patchsites.isa.BranchCodec;
import patchsites.model.ModelOptions;
import patchsites.model.PatchRules;

/**
 * The architectures whose relocation types say which branch form they sit on (arm64, Power,
 * RISC-V, s390x, LoongArch): their {@link #decodeBranch} is their {@link BranchRelocations}, and
 * the rest is data. The subclasses add only what their ABI does differently.
 */
abstract class BranchFormsArch implements Arch {
    private final ArchAbi abi;
    private final BranchRelocations branches;
    private final BranchCodec decodingCodec;
    private final Supplier<PatchRules> rules;

    /** {@code decodingCodec}: see {@link Arch#decodingCodec}, null where the scan does not decode. */
    BranchFormsArch(ArchAbi abi, BranchRelocations branches, BranchCodec decodingCodec, Supplier<PatchRules> rules) {
        this.abi = abi;
        this.branches = branches;
        this.decodingCodec = decodingCodec;
        this.rules = rules;
    }

    @Override
    public final ArchAbi abi() {
        return abi;
    }

    @Override
    public boolean decodeBranch(ByteBuffer text, long field, int relocType, CodeContext context, DecodedBranch out) {
        return branches.decode(text, field, relocType, out);
    }

    /** Whether relocation type {@code type} sits on a branch form. */
    final boolean isBranchRelocation(int type) {
        return branches.formOf(type) != null;
    }

    @Override
    public final BranchCodec decodingCodec() {
        return decodingCodec;
    }

    @Override
    public final PatchRules patchRules(ModelOptions options) {
        return rules.get();
    }
}
