package patchsites.collector.arch;

import static patchsites.collector.arch.BranchRelocations.form;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import patchsites.collector.arch.BranchRelocations.Form;
import patchsites.isa.A32Codec;
import patchsites.isa.SiteKind;
import patchsites.isa.ThumbCodec;
import patchsites.isa.Words;
import patchsites.model.ArmRules;
import patchsites.model.ModelOptions;
import patchsites.model.PatchRules;

/**
 * 32-bit ARM (AAELF, SHT_REL: the addend lives in the instruction). A32 {@code BL}/{@code BLX}
 * (R_ARM_CALL), {@code B}/{@code Bcc} (R_ARM_JUMP24, legacy R_ARM_PC24); Thumb-2 {@code BL}/{@code
 * BLX} (R_ARM_THM_CALL), {@code B.W} (R_ARM_THM_JUMP24), {@code Bcc.W} (R_ARM_THM_JUMP19). The
 * relocation type says which state the code is in; the mapping symbols ($a/$t/$d) must agree, so
 * data that happens to carry such a relocation is not mistaken for a branch. Thumb function
 * symbols have bit 0 set. Instructions are little-endian except in legacy BE32 objects.
 */
public final class Arm implements Arch {
    public static final int R_ARM_PC24 = 1, R_ARM_ABS32 = 2, R_ARM_REL32 = 3, R_ARM_THM_CALL = 10, R_ARM_CALL = 28,
            R_ARM_JUMP24 = 29, R_ARM_THM_JUMP24 = 30, R_ARM_PREL31 = 42, R_ARM_MOVW_ABS_NC = 43, R_ARM_MOVT_ABS = 44,
            R_ARM_MOVW_PREL_NC = 45, R_ARM_MOVT_PREL = 46, R_ARM_THM_MOVW_ABS_NC = 47, R_ARM_THM_MOVT_ABS = 48,
            R_ARM_THM_MOVW_PREL_NC = 49, R_ARM_THM_MOVT_PREL = 50, R_ARM_THM_JUMP19 = 51;

    private static final ArchAbi ABI = ArchAbi.of("arm", false, R_ARM_REL32, R_ARM_ABS32, "R_ARM_",
            ArchAbi.names(R_ARM_PC24, "PC24", R_ARM_ABS32, "ABS32", R_ARM_REL32, "REL32", R_ARM_THM_CALL, "THM_CALL",
                    R_ARM_CALL, "CALL", R_ARM_JUMP24, "JUMP24", R_ARM_THM_JUMP24, "THM_JUMP24", R_ARM_THM_JUMP19,
                    "THM_JUMP19", R_ARM_PREL31, "PREL31"))
            .withMappingSymbols();

    private final ByteOrder code;
    private final BranchRelocations a32, thumb;

    /** {@code instructionOrder}: little-endian except in legacy BE32 objects. */
    public Arm(ByteOrder instructionOrder) {
        this.code = instructionOrder;
        // R_ARM_CALL: BL or BLX; the jumps: B, Bcc or BL, never BLX. Thumb's call also takes B.W.
        this.a32 = new BranchRelocations(new A32Codec(code), 4, 0, new Form(R_ARM_CALL, 24, SiteKind.CALL, true),
                form(R_ARM_JUMP24, 24), form(R_ARM_PC24, 24));
        this.thumb = new BranchRelocations(new ThumbCodec(code), 2, 0, new Form(R_ARM_THM_CALL, 24, null, true),
                form(R_ARM_THM_JUMP24, 24, SiteKind.TAIL), form(R_ARM_THM_JUMP19, 20));
    }

    @Override
    public ArchAbi abi() {
        return ABI;
    }

    @Override
    public long codeAddress(long symbolValue) {
        return symbolValue & ~1L;
    }

    @Override
    public boolean decodeBranch(ByteBuffer text, long field, int relocType, CodeContext context, DecodedBranch out) {
        boolean arm = a32.formOf(relocType) != null;
        if (!arm && thumb.formOf(relocType) == null) {
            return false;
        }
        // The relocation says the state; the mapping symbols must not say data or the other state.
        char mapping = context.mappingAt(field);
        if (mapping == 'd' || mapping == (arm ? 't' : 'a')) {
            return false;
        }
        return (arm ? a32 : thumb).decode(text, field, relocType, out);
    }

    @Override
    public long implicitAddend(ByteBuffer section, long field, int relocType) {
        if (!Words.fits(section, field, 4)) {
            return 0;
        }
        switch (relocType) {
            case R_ARM_ABS32:
            case R_ARM_REL32:
                return Words.u32(section, field, section.order());
            case R_ARM_PREL31: // .ARM.exidx: 31-bit place-relative, bit 31 kept for the table
                return (Words.u32(section, field, section.order()) << 1) >> 1;
            case R_ARM_MOVW_ABS_NC:
            case R_ARM_MOVT_ABS:
            case R_ARM_MOVW_PREL_NC:
            case R_ARM_MOVT_PREL:
                return A32Codec.movImmediate(Words.u32(section, field, code));
            case R_ARM_THM_MOVW_ABS_NC:
            case R_ARM_THM_MOVT_ABS:
            case R_ARM_THM_MOVW_PREL_NC:
            case R_ARM_THM_MOVT_PREL:
                return ThumbCodec.movImmediate(Words.u16(section, field, code), Words.u16(section, field + 2, code));
            case R_ARM_CALL:
            case R_ARM_JUMP24:
            case R_ARM_PC24:
                return A32Codec.branchOffset(Words.u32(section, field, code));
            case R_ARM_THM_CALL:
            case R_ARM_THM_JUMP24:
                return ThumbCodec.branchOffset(Words.u16(section, field, code), Words.u16(section, field + 2, code));
            case R_ARM_THM_JUMP19:
                return ThumbCodec.conditionalOffset(Words.u16(section, field, code), Words.u16(section, field + 2, code));
            default:
                return 0;
        }
    }

    @Override
    public PatchRules patchRules(ModelOptions options) {
        return new ArmRules(code);
    }
}
