package patchsites.collector.arch;

import java.nio.ByteBuffer;
import patchsites.isa.Branch;
import patchsites.isa.RiscvCodec;
import patchsites.model.ModelOptions;
import patchsites.model.PatchRules;
import patchsites.model.Riscv64Rules;

/**
 * RISC-V 64 (RELA, little-endian; with the C extension instructions are only 2-byte aligned).
 * {@code call}/{@code tail} are {@code auipc}+{@code jalr} pairs with R_RISCV_CALL_PLT (old:
 * R_RISCV_CALL) on the auipc; {@code jal}/{@code j} carry R_RISCV_JAL, compressed {@code c.j}
 * R_RISCV_RVC_JUMP, conditional branches R_RISCV_BRANCH / R_RISCV_RVC_BRANCH. R_RISCV_RELAX at
 * the same offset names no symbol and is skipped like any relocation of a non-target. Offsets
 * in relocatable objects are before linker relaxation.
 */
public final class Riscv64 implements Arch {
    public static final int R_RISCV_64 = 2, R_RISCV_BRANCH = 16, R_RISCV_JAL = 17, R_RISCV_CALL = 18,
            R_RISCV_CALL_PLT = 19, R_RISCV_ALIGN = 43, R_RISCV_RVC_BRANCH = 44, R_RISCV_RVC_JUMP = 45,
            R_RISCV_RELAX = 51, R_RISCV_32_PCREL = 57;

    private static final ArchAbi ABI = ArchAbi.of("riscv64", true, R_RISCV_32_PCREL, R_RISCV_64, "R_RISCV_",
            ArchAbi.names(R_RISCV_64, "64", R_RISCV_BRANCH, "BRANCH", R_RISCV_JAL, "JAL", R_RISCV_CALL, "CALL",
                    R_RISCV_CALL_PLT, "CALL_PLT", R_RISCV_ALIGN, "ALIGN", R_RISCV_RVC_BRANCH, "RVC_BRANCH",
                    R_RISCV_RVC_JUMP, "RVC_JUMP", R_RISCV_RELAX, "RELAX", R_RISCV_32_PCREL, "32_PCREL"));

    @Override
    public ArchAbi abi() {
        return ABI;
    }

    @Override
    public boolean decodeBranch(ByteBuffer text, long field, int relocType, CodeContext context, DecodedBranch out) {
        if ((field & 1) != 0) {
            return false;
        }
        Branch b = RiscvCodec.INSTANCE.decode(text, (int) field);
        return out.found(b, field, b != null && switch (relocType) {
            case R_RISCV_CALL, R_RISCV_CALL_PLT -> b.length() == 8;
            case R_RISCV_JAL -> b.fieldBits() == 20;
            case R_RISCV_BRANCH -> b.fieldBits() == 12;
            case R_RISCV_RVC_JUMP -> b.fieldBits() == 11;
            case R_RISCV_RVC_BRANCH -> b.fieldBits() == 8;
            default -> false;
        });
    }

    @Override
    public PatchRules patchRules(ModelOptions options) {
        return new Riscv64Rules();
    }
}
