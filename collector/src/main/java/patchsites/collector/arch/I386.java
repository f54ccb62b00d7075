package patchsites.collector.arch;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import patchsites.isa.Words;
import patchsites.model.I386Rules;
import patchsites.model.ModelOptions;
import patchsites.model.PatchRules;

/**
 * i386 (SysV, SHT_REL): the same branch forms as x86-64 ({@code E8}/{@code E9}/{@code 0F 8x}
 * rel32), with R_386_PC32 (the kernel, non-PIC) or R_386_PLT32 (PIC) on the rel32 and the
 * addend ({@code fc ff ff ff} = -4) stored in the field itself.
 */
public final class I386 extends X86Family {
    public static final int R_386_32 = 1, R_386_PC32 = 2, R_386_GOT32 = 3, R_386_PLT32 = 4, R_386_GOTPC = 10,
            R_386_GOT32X = 43;

    public I386() {
        super(ArchAbi.of("i386", false, R_386_PC32, R_386_32, "R_386_",
                ArchAbi.names(R_386_32, "32", R_386_PC32, "PC32", R_386_PLT32, "PLT32")).withTemplateSection(ALTERNATIVES),
                false, R_386_PC32, R_386_PLT32);
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
        // any other type is absolute: the field holds S + A
        return isPcRelative32(relocType) ? pcRelativeBias(section, field, code, context) : 0;
    }

    @Override
    public PatchRules patchRules(ModelOptions options) {
        return new I386Rules(options.x86Policy());
    }
}
