package patchsites.collector.arch;

import java.nio.ByteBuffer;
import java.util.Arrays;
import patchsites.isa.Branch;
import patchsites.isa.BranchCodec;
import patchsites.isa.X86Codec;
import patchsites.isa.X86Length;

/**
 * What x86-64 and i386 share: the same branch forms ({@code E8}/{@code E9}/{@code 0F 8x} rel32
 * behind the same prefixes), the length decoder in their mode, the kernel's alternatives and
 * its 5-byte NOP. Each names its own PC32 and PLT32 relocation types.
 */
abstract class X86Family implements Arch {
    /** Where kernel alternatives keep their replacement code. */
    static final String ALTERNATIVES = ".altinstr_replacement";
    /** The kernel's 5-byte NOP (x86_nops[5], P6 form: nopl 0x0(%rax,%rax,1)), what replaces a 5-byte call. */
    private static final byte[] NOP5 = {0x0f, 0x1f, 0x44, 0x00, 0x00};

    private final ArchAbi abi;
    private final X86Codec codec;
    private final boolean mode64;
    private final int pc32, plt32;

    X86Family(ArchAbi abi, boolean mode64, int pc32, int plt32) {
        this.abi = abi;
        this.codec = mode64 ? X86Codec.X86_64 : X86Codec.I386;
        this.mode64 = mode64;
        this.pc32 = pc32;
        this.plt32 = plt32;
    }

    @Override
    public final ArchAbi abi() {
        return abi;
    }

    /** Whether {@code type} is the PC32 or PLT32 relocation, the ones on a rel32 (or a RIP-relative disp32). */
    final boolean isPcRelative32(int type) {
        return type == pc32 || type == plt32;
    }

    @Override
    public final boolean decodeBranch(ByteBuffer text, long field, int relocType, CodeContext context,
            DecodedBranch out) {
        if (!isPcRelative32(relocType) || field < 1 || field > text.limit() - 4) {
            return false;
        }
        int f = (int) field;
        int start = X86Codec.opcodeBefore(text, f);
        if (start < 0) {
            return false;
        }
        // A segment-override prefix on a branch is padding or a hint (gcc -mindirect-branch-cs-prefix
        // puts CS on r8-r15 thunk calls); objtool's site is the first prefix byte.
        if (X86Codec.prefixMayPrecede(text, start)) {
            start = codec.firstPrefix(text, start, context.atOrBefore(start - 1));
        }
        Branch b = codec.decode(text, start);
        return out.found(b, start, b != null && start + b.fieldOffset() == f);
    }

    /** Distance from a PC-relative field to the end of its instruction (0 in data). */
    final long pcRelativeBias(ByteBuffer section, long field, boolean code, CodeContext context) {
        // In data (.long sym - .) the field's own address is the base; RIP-relative code counts from the end.
        return code ? codec.fieldToEnd(section, field, context.atOrBefore(field)) : 0;
    }

    @Override
    public final int patchedOutCallLength(byte[] bytes) {
        return bytes.length >= NOP5.length && Arrays.equals(bytes, 0, NOP5.length, NOP5, 0, NOP5.length) ? 5 : 0;
    }

    /** Decoded with the length decoder: rel32 call/jmp/jcc (a 2-byte rel8 jump cannot be patched; no site). */
    @Override
    public final BranchCodec decodingCodec() {
        return codec;
    }

    /** The length decoder's answer; 0 where it does not decode. */
    @Override
    public final int instructionLength(ByteBuffer text, int pos) {
        return pos >= 0 && pos < text.limit() ? Math.max(0, X86Length.length(text, pos, mode64)) : 0;
    }
}
