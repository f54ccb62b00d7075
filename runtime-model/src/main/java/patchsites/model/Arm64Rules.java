package patchsites.model;

import patchsites.isa.Arm64Codec;
import patchsites.isa.Branch;

/**
 * AArch64: {@code B}/{@code BL} (imm26, ±128 MiB), {@code B.cond}/{@code CBZ}/{@code CBNZ} (imm19,
 * ±1 MiB), {@code TBZ}/{@code TBNZ} (imm14, ±32 KiB). Arm ARM B2.2.5: concurrently modifying and
 * executing an instruction is old-or-new when both are on its list (B, BL, NOP, BRK, ...; recent
 * revisions add B.cond, CBZ/CBNZ, TBZ/TBNZ), written with one aligned 32-bit store and followed by
 * cache maintenance; Linux's {@code aarch64_insn_patch_text_nosync()} does exactly that. A target
 * out of reach needs a veneer ({@code module_emit_plt_entry}).
 */
public final class Arm64Rules extends BranchRules {
    public Arm64Rules() {
        super(Arm64Codec.INSTANCE, "arm64",
                "arm64: one aligned 32-bit store of B/BL/B.cond/CBZ/TBZ (Arm ARM B2.2.5), then cache maintenance",
                "a veneer (PLT entry)");
    }

    @Override
    Assessment concurrency(byte[] insn, Branch b, byte[] after, Placement where) {
        return alignedWordStore(where, 0, "one aligned 32-bit store (Arm ARM B2.2.5 list), then cache maintenance");
    }
}
