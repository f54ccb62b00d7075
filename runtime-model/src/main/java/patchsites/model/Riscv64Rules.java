package patchsites.model;

import patchsites.isa.Branch;
import patchsites.isa.RiscvCodec;

/**
 * RISC-V 64. Ziccif (RVA22/RVA23) makes the fetch of a naturally aligned instruction of up to
 * 32 bits atomic; {@code fence.i} is hart-local, so other harts also need an IPI. An {@code
 * auipc}+{@code jalr} pair can never be swapped atomically: only a new target that keeps the
 * {@code auipc} (the newer kernels' scheme of a fixed auipc) changes a single instruction. A 4-byte
 * instruction at a 2-byte aligned address (C extension) is not covered. Linux 6.1 patches code
 * under stop_machine.
 */
public final class Riscv64Rules extends BranchRules {
    public Riscv64Rules() {
        super(RiscvCodec.INSTANCE, "riscv64", "riscv64: one naturally aligned instruction store under Ziccif;"
                + " auipc+jalr pairs need stop_machine unless only the jalr changes", "a longer form or a PLT entry");
    }

    @Override
    Assessment concurrency(byte[] insn, Branch b, byte[] after, Placement where) {
        if (b.length() == 8) {
            boolean auipcKept = samePrefix(insn, after, 4);
            if (auipcKept && aligned(where, 4, 4)) {
                return new Assessment(Verdict.ATOMIC, "only the jalr changes: one naturally aligned 32-bit store (Ziccif)",
                        0, false);
            }
            return new Assessment(Verdict.STOP_MACHINE, after == null
                    ? "auipc+jalr: a new target in general changes both instructions, which no single store does"
                    : auipcKept ? "only the jalr changes, but it is not 4-byte aligned (C extension)"
                            : "auipc and jalr must both change: stop_machine (Linux 6.1)", 0, false);
        }
        if (aligned(where, 0, b.length())) {
            return new Assessment(Verdict.ATOMIC, "one naturally aligned " + b.length() * 8 + "-bit instruction store (Ziccif)",
                    0, false);
        }
        return new Assessment(Verdict.STOP_MACHINE, "a 4-byte instruction at a 2-byte aligned address is not covered"
                + " by Ziccif", 0, where.sometimes(a -> (a & 3) == 0));
    }
}
