package patchsites.collector.arch;

import java.nio.ByteBuffer;
import patchsites.isa.Branch;
import patchsites.isa.SiteKind;
import patchsites.isa.X86Codec;
import patchsites.isa.X86Effects;
import patchsites.model.ModelOptions;
import patchsites.model.PatchRules;
import patchsites.model.X86_64Rules;

/**
 * x86-64 (System V psABI, RELA). Direct branches are {@code E8 rel32} (call), {@code E9 rel32}
 * (jmp: a tail call when it leaves the function) and {@code 0F 80+cc rel32} (a conditional tail
 * call, which clang emits), with R_X86_64_PLT32 (gas since 2.31) or R_X86_64_PC32 on the rel32.
 */
public final class X86_64 extends X86Family {
    public static final int R_X86_64_NONE = 0, R_X86_64_64 = 1, R_X86_64_PC32 = 2, R_X86_64_PLT32 = 4,
            R_X86_64_GOTPCREL = 9, R_X86_64_32 = 10, R_X86_64_32S = 11, R_X86_64_PC64 = 24,
            R_X86_64_GOTPCRELX = 41, R_X86_64_REX_GOTPCRELX = 42;

    public X86_64() {
        super(ArchAbi.of("x86_64", true, R_X86_64_PC32, R_X86_64_64, "R_X86_64_",
                ArchAbi.names(R_X86_64_NONE, "NONE", R_X86_64_64, "64", R_X86_64_PC32, "PC32", R_X86_64_PLT32, "PLT32",
                        R_X86_64_GOTPCREL, "GOTPCREL", R_X86_64_32, "32", R_X86_64_32S, "32S", R_X86_64_PC64, "PC64",
                        R_X86_64_GOTPCRELX, "GOTPCRELX", R_X86_64_REX_GOTPCRELX, "REX_GOTPCRELX"))
                .withTemplateSection(ALTERNATIVES), true, R_X86_64_PC32, R_X86_64_PLT32);
    }

    /**
     * {@code ff 15 disp32} / {@code ff 25 disp32} with a PC-relative relocation on the disp32, which
     * is the instruction's last four bytes: the pointer is at S + A + 4. Only when an instruction
     * starts at the opcode (decoding from the function start), so that an {@code ff 15} inside
     * another instruction's bytes is not taken for one.
     */
    @Override
    public boolean decodeMemoryIndirect(ByteBuffer text, long field, int relocType, CodeContext context,
            DecodedBranch out) {
        if (!isPcRelative32(relocType) || field > Integer.MAX_VALUE) {
            return false;
        }
        SiteKind kind = X86Codec.memoryIndirectBefore(text, (int) field);
        int start = (int) field - 2;
        if (kind == null || !X86Codec.X86_64.startsAt(text, start, context.atOrBefore(start))) {
            return false;
        }
        return out.found(kind, start, X86Codec.MEMORY_INDIRECT_LENGTH, 4);
    }

    /**
     * {@code ff 15}/{@code ff 25} → {@code e8}/{@code e9 rel32} + NOP, relocated like gas's
     * {@code call f}: R_X86_64_PLT32 against the function, addend = -(field to end) = -4.
     */
    @Override
    public DirectRelocation devirtualize(ByteBuffer text, int start) {
        Branch b = X86Codec.directFromMemoryIndirect(text, start);
        return b == null ? null : new DirectRelocation(b.fieldOffset(), R_X86_64_PLT32, -b.targetBias());
    }

    @Override
    public boolean devirtualizes() {
        return true;
    }

    /** gcc's -mindirect-branch=thunk-extern calls {@code *%reg} as {@code call __x86_indirect_thunk_<reg>}. */
    private static final String RETPOLINE_THUNK = "__x86_indirect_thunk_";

    @Override
    public X86Effects registerEffects() {
        return new X86Effects();
    }

    @Override
    public int thunkRegister(String symbol) {
        return symbol.startsWith(RETPOLINE_THUNK) ? X86Effects.registerNamed(symbol.substring(RETPOLINE_THUNK.length())) : -1;
    }

    @Override
    public long referenceBias(ByteBuffer section, long field, int relocType, boolean code, CodeContext context) {
        switch (relocType) {
            case R_X86_64_PC32:
            case R_X86_64_PLT32:
            case R_X86_64_GOTPCREL:
            case R_X86_64_GOTPCRELX:
            case R_X86_64_REX_GOTPCRELX:
                return pcRelativeBias(section, field, code, context);
            default:
                return 0; // absolute: the field holds S + A
        }
    }

    @Override
    public PatchRules patchRules(ModelOptions options) {
        return new X86_64Rules(options.x86Policy());
    }
}
