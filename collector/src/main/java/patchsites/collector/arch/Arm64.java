package patchsites.collector.arch;

import static patchsites.collector.arch.BranchRelocations.form;

import patchsites.isa.Arm64Codec;
import patchsites.isa.SiteKind;
import patchsites.model.Arm64Rules;

/**
 * AArch64 (RELA; instructions are little-endian even in big-endian objects). {@code BL}
 * (R_AARCH64_CALL26), {@code B} (JUMP26), and {@code B.cond}/{@code CBZ}/{@code CBNZ}
 * (CONDBR19), {@code TBZ}/{@code TBNZ} (TSTBR14) as conditional tail calls. The relocation sits
 * on the instruction itself and the addend is the target's offset from the symbol. The decoding
 * pass decodes its fixed 4-byte words.
 */
public final class Arm64 extends BranchFormsArch {
    public static final int R_AARCH64_ABS64 = 257, R_AARCH64_PREL32 = 261, R_AARCH64_TSTBR14 = 279,
            R_AARCH64_CONDBR19 = 280, R_AARCH64_JUMP26 = 282, R_AARCH64_CALL26 = 283;

    public Arm64() {
        super(ArchAbi.of("arm64", true, R_AARCH64_PREL32, R_AARCH64_ABS64, "R_AARCH64_",
                ArchAbi.names(R_AARCH64_ABS64, "ABS64", R_AARCH64_PREL32, "PREL32", R_AARCH64_TSTBR14, "TSTBR14",
                        R_AARCH64_CONDBR19, "CONDBR19", R_AARCH64_JUMP26, "JUMP26", R_AARCH64_CALL26, "CALL26")),
                new BranchRelocations(Arm64Codec.INSTANCE, 4, 0, form(R_AARCH64_CALL26, 26, SiteKind.CALL),
                        form(R_AARCH64_JUMP26, 26, SiteKind.TAIL), form(R_AARCH64_CONDBR19, 19), form(R_AARCH64_TSTBR14, 14)),
                Arm64Codec.INSTANCE, Arm64Rules::new);
    }
}
