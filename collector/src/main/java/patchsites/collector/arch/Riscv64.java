package patchsites.collector.arch;

import static patchsites.collector.arch.BranchRelocations.form;

import patchsites.isa.RiscvCodec;
import patchsites.model.Riscv64Rules;

/**
 * RISC-V 64 (RELA, little-endian; with the C extension instructions are only 2-byte aligned).
 * {@code call}/{@code tail} are {@code auipc}+{@code jalr} pairs with R_RISCV_CALL_PLT (old:
 * R_RISCV_CALL) on the auipc; {@code jal}/{@code j} carry R_RISCV_JAL, compressed {@code c.j}
 * R_RISCV_RVC_JUMP, conditional branches R_RISCV_BRANCH / R_RISCV_RVC_BRANCH. R_RISCV_RELAX at
 * the same offset names no symbol and is skipped like any relocation of a non-target. Offsets
 * in relocatable objects are before linker relaxation.
 */
public final class Riscv64 extends BranchFormsArch {
    public static final int R_RISCV_64 = 2, R_RISCV_BRANCH = 16, R_RISCV_JAL = 17, R_RISCV_CALL = 18,
            R_RISCV_CALL_PLT = 19, R_RISCV_ALIGN = 43, R_RISCV_RVC_BRANCH = 44, R_RISCV_RVC_JUMP = 45,
            R_RISCV_RELAX = 51, R_RISCV_32_PCREL = 57;

    public Riscv64() {
        super(ArchAbi.of("riscv64", true, R_RISCV_32_PCREL, R_RISCV_64, "R_RISCV_",
                ArchAbi.names(R_RISCV_64, "64", R_RISCV_BRANCH, "BRANCH", R_RISCV_JAL, "JAL", R_RISCV_CALL, "CALL",
                        R_RISCV_CALL_PLT, "CALL_PLT", R_RISCV_ALIGN, "ALIGN", R_RISCV_RVC_BRANCH, "RVC_BRANCH",
                        R_RISCV_RVC_JUMP, "RVC_JUMP", R_RISCV_RELAX, "RELAX", R_RISCV_32_PCREL, "32_PCREL")),
                // The auipc+jalr pair fills hi20 + lo12: 32 bits.
                new BranchRelocations(RiscvCodec.INSTANCE, 2, 0, form(R_RISCV_CALL, 32), form(R_RISCV_CALL_PLT, 32),
                        form(R_RISCV_JAL, 20), form(R_RISCV_BRANCH, 12), form(R_RISCV_RVC_JUMP, 11),
                        form(R_RISCV_RVC_BRANCH, 8)),
                null, Riscv64Rules::new);
    }
}
