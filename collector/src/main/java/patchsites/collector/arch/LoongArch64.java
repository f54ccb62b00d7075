package patchsites.collector.arch;

import static patchsites.collector.arch.BranchRelocations.form;

import patchsites.isa.LoongArchCodec;
import patchsites.model.LoongArch64Rules;

/**
 * LoongArch64 (RELA, little-endian, 4-byte instructions). {@code bl} and {@code b} with
 * R_LARCH_B26; {@code beqz/bnez} (R_LARCH_B21) and {@code beq...} (R_LARCH_B16) as conditional
 * tail calls; the medium code model's {@code pcaddu18i}+{@code jirl} pair with R_LARCH_CALL36.
 * The relocation names the width of the displacement it fills. The old stack-machine
 * relocations (binutils before 2.40) are not read. The decoding pass decodes its fixed 4-byte
 * words (clang resolves a bl to a local function itself).
 */
public final class LoongArch64 extends BranchFormsArch {
    public static final int R_LARCH_64 = 2, R_LARCH_B16 = 64, R_LARCH_B21 = 65, R_LARCH_B26 = 66,
            R_LARCH_32_PCREL = 99, R_LARCH_CALL36 = 110;

    public LoongArch64() {
        super(ArchAbi.of("loongarch64", true, R_LARCH_32_PCREL, R_LARCH_64, "R_LARCH_",
                ArchAbi.names(R_LARCH_64, "64", R_LARCH_B16, "B16", R_LARCH_B21, "B21", R_LARCH_B26, "B26",
                        R_LARCH_32_PCREL, "32_PCREL", R_LARCH_CALL36, "CALL36")),
                new BranchRelocations(LoongArchCodec.INSTANCE, 4, 0, form(R_LARCH_B26, 26), form(R_LARCH_B21, 21),
                        form(R_LARCH_B16, 16), form(R_LARCH_CALL36, 36)),
                LoongArchCodec.INSTANCE, LoongArch64Rules::new);
    }
}
