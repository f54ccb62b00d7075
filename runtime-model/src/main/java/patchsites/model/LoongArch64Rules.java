package patchsites.model;

import patchsites.isa.Branch;
import patchsites.isa.LoongArchCodec;

/**
 * LoongArch64: {@code b}/{@code bl} (offs26, ±128 MiB), {@code beqz}/{@code bnez} (offs21,
 * ±4 MiB), {@code beq}... (offs16, ±128 KiB), and the medium model's {@code pcaddu18i}+{@code
 * jirl} pair (±128 GiB). Linux's {@code larch_insn_patch_text()} does one aligned 32-bit write and
 * an {@code ibar}: no stop_machine, the same for jump labels and ftrace. A pair is atomic only
 * when the new target keeps the {@code pcaddu18i}.
 */
public final class LoongArch64Rules extends BranchRules {
    public LoongArch64Rules() {
        super(LoongArchCodec.INSTANCE, "loongarch64", "loongarch64: one aligned 32-bit write + ibar (larch_insn_patch_text)",
                "a PLT entry (module_emit_plt_entry)");
    }

    @Override
    Assessment concurrency(byte[] insn, Branch b, byte[] after, Placement where) {
        boolean pair = b.length() == 8;
        if (pair && !samePrefix(insn, after, 4)) {
            return new Assessment(Verdict.STOP_MACHINE, "pcaddu18i and jirl must change together", 0, false);
        }
        return alignedWordStore(where, pair ? 4 : 0, (pair ? "only the jirl changes: " : "") + "one aligned 32-bit write + ibar");
    }
}
