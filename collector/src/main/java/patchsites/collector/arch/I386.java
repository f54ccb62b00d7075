package patchsites.collector.arch;

import java.nio.ByteBuffer;
import patchsites.isa.BranchCodec;
import java.nio.ByteOrder;
import patchsites.isa.Words;
import patchsites.isa.X86Codec;
import patchsites.model.I386Rules;
import patchsites.model.ModelOptions;
import patchsites.model.PatchRules;

/**
 * i386 (SysV, SHT_REL): the same branch forms as x86-64 ({@code E8}/{@code E9}/{@code 0F 8x}
 * rel32), with R_386_PC32 (the kernel, non-PIC) or R_386_PLT32 (PIC) on the rel32 and the
 * addend ({@code fc ff ff ff} = -4) stored in the field itself.
 */
public final class I386 implements Arch {
    public static final int R_386_32 = 1, R_386_PC32 = 2, R_386_GOT32 = 3, R_386_PLT32 = 4, R_386_GOTPC = 10,
            R_386_GOT32X = 43;

    private static final ArchAbi ABI = ArchAbi.of("i386", false, R_386_PC32, R_386_32, "R_386_",
            ArchAbi.names(R_386_32, "32", R_386_PC32, "PC32", R_386_PLT32, "PLT32"))
            .withTemplateSection(X86_64.ALTERNATIVES);

    @Override
    public ArchAbi abi() {
        return ABI;
    }

    @Override
    public int patchedOutCallLength(byte[] bytes) {
        return X86_64.isNop5(bytes) ? 5 : 0;
    }

    @Override
    public boolean decodeBranch(ByteBuffer text, long field, int relocType, CodeContext context, DecodedBranch out) {
        if (relocType != R_386_PC32 && relocType != R_386_PLT32) {
            return false;
        }
        return X86_64.decodeRel32(X86Codec.I386, text, field, context, out);
    }

    @Override
    public long implicitAddend(ByteBuffer section, long field, int relocType) {
        switch (relocType) {
            case R_386_32:
            case R_386_PC32:
            case R_386_PLT32:
            case R_386_GOTPC:
                return Words.fits(section, field, 4) ? Words.u32(section, field, ByteOrder.LITTLE_ENDIAN) : 0;
            default:
                return 0;
        }
    }

    @Override
    public long referenceBias(ByteBuffer section, long field, int relocType, boolean code, CodeContext context) {
        if (relocType != R_386_PC32 && relocType != R_386_PLT32) {
            return 0; // absolute: the field holds S + A
        }
        return X86_64.pcRelativeBias(X86Codec.I386, section, field, code, context);
    }

    /** As x86-64. */
    @Override
    public BranchCodec decodingCodec() {
        return X86Codec.I386;
    }

    @Override
    public int instructionLength(ByteBuffer text, int pos) {
        return X86_64.instructionLength(text, pos, false);
    }

    @Override
    public PatchRules patchRules(ModelOptions options) {
        return new I386Rules(options.x86Policy());
    }
}
