package patchsites.collector.arch;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
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

    @Override
    public String name() {
        return "i386";
    }

    @Override
    public boolean decodeBranch(ByteBuffer text, long field, int relocType, CodeContext context, DecodedBranch out) {
        if (relocType != R_386_PC32 && relocType != R_386_PLT32) {
            return false;
        }
        return X86_64.decodeRel32(text, field, context, false, out);
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
        return X86_64.pcRelativeBias(section, field, code, context, false);
    }

    @Override
    public boolean usesRela() {
        return false;
    }

    @Override
    public int tablePcRel32Type() {
        return R_386_PC32;
    }

    @Override
    public int tableAbsoluteType() {
        return R_386_32;
    }

    @Override
    public boolean isTemplateSection(String name) {
        return name.equals(".altinstr_replacement");
    }

    @Override
    public PatchRules patchRules(ModelOptions options) {
        return new I386Rules(options.x86Policy());
    }

    @Override
    public String relocationName(int type) {
        switch (type) {
            case R_386_32: return "R_386_32";
            case R_386_PC32: return "R_386_PC32";
            case R_386_PLT32: return "R_386_PLT32";
            default: return "R_386_" + type;
        }
    }
}
