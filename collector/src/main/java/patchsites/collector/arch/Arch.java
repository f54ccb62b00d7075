package patchsites.collector.arch;

import java.nio.ByteBuffer;
import patchsites.collector.elf.Relocations;
import patchsites.isa.BranchCodec;
import patchsites.isa.X86Effects;
import patchsites.model.ModelOptions;
import patchsites.model.PatchRules;

/**
 * What the scan needs to know about one architecture beyond its instruction encodings (which its
 * {@code patchsites.isa} codec holds): which relocation types sit on which branch forms, where
 * the instruction starts relative to the relocated field, and the ABI's constant facts ({@link
 * #abi}). One implementation per architecture; see {@link Arches} for the only place that
 * switches on e_machine.
 */
public interface Arch {
    /** The ABI's constant facts: name, REL/RELA, table relocation types, mapping symbols, ... */
    ArchAbi abi();

    /**
     * Decodes the instruction whose relocated field is at {@code field} in {@code text} (an
     * executable section). Returns false when the relocation is not the target of a direct
     * call/jump (an address load, a data word, an indirect call through the GOT, ...).
     * Must not read outside {@code text}. {@code boundary} is consulted only when the bytes are
     * ambiguous without decoding from an earlier instruction.
     */
    boolean decodeBranch(ByteBuffer text, long field, int relocType, CodeContext boundary, DecodedBranch out);

    /**
     * For the decoding pass (calls the assembler resolved itself, so without a relocation, and
     * linked programs that kept none): the codec of this instruction set's direct branches, or
     * null where the scan does not decode.
     * The pass asks the codec for a branch at each instruction boundary that
     * {@link #instructionLength} steps to.
     */
    default BranchCodec decodingCodec() {
        return null;
    }

    /** Length of the instruction at {@code pos}, a known boundary; 0 when it does not decode there. */
    default int instructionLength(ByteBuffer text, int pos) {
        // The fixed-width ISAs the scan decodes (arm64, Power, LoongArch): a 4-byte aligned word.
        return (pos & 3) == 0 && pos >= 0 && pos <= text.limit() - 4 ? 4 : 0;
    }

    /**
     * Decodes a call or jump through a function pointer in memory whose address field is the
     * relocated {@code field} ({@code call *ptr(%rip)}): kind icall or itail, the instruction's
     * start and length, and as target bias what to add to symbol + addend to get the pointer's
     * address. False on architectures without such a form (the default) and for anything else.
     */
    default boolean decodeMemoryIndirect(ByteBuffer text, long field, int relocType, CodeContext context,
            DecodedBranch out) {
        return false;
    }

    /**
     * Rewrites, in {@code text}, the memory-indirect call or jump at {@code start} (one that
     * {@link #decodeMemoryIndirect} found) into a direct branch of the same kind and length, and
     * returns the relocation that makes it reach a function by name (what {@code patchsites
     * devirtualize} writes against the pointer slot's default). Null, with the bytes untouched,
     * where the architecture has no such rewrite (the default) or no such branch starts there.
     */
    default DirectRelocation devirtualize(ByteBuffer text, int start) {
        return null;
    }

    /** Whether {@link #devirtualize} rewrites anything on this architecture. */
    default boolean devirtualizes() {
        return false;
    }

    /**
     * For following a pointer loaded into a register ({@code mov ptr(%rip),%rax} ... {@code call
     * *%rax}): a fresh decoder of what each instruction does to the registers and the flow of
     * control, or null on architectures where the scan does not follow loads (all but x86-64).
     */
    default X86Effects registerEffects() {
        return null;
    }

    /**
     * The register that a call or jump to the function {@code symbol} goes through when it is a
     * retpoline thunk ({@code __x86_indirect_thunk_rax}: rax), in {@link X86Effects}' numbering;
     * -1 for any other symbol.
     */
    default int thunkRegister(String symbol) {
        return -1;
    }

    /**
     * For a relocation that is not a branch: what to add to symbol + addend to get the address
     * it refers to. PC-relative fields count from the end of their instruction on x86, from
     * their own address in data ({@code code} false).
     */
    default long referenceBias(ByteBuffer section, long field, int relocType, boolean code, CodeContext boundary) {
        return 0; // the RISC arches: a PC-relative data field counts from its own address
    }

    /** For SHT_REL objects: the addend stored in the relocated field. RELA-only arches return 0. */
    default long implicitAddend(ByteBuffer section, long field, int relocType) {
        return 0;
    }

    /**
     * Relocation {@code k}'s addend: its r_addend (SHT_RELA), else the one its field at {@code
     * field} of {@code section} holds (SHT_REL; {@code section} may be null for RELA).
     */
    default long addend(Relocations rel, int k, ByteBuffer section, long field) {
        return rel.hasAddends() ? rel.addend(k) : implicitAddend(section, field, rel.type(k));
    }

    /**
     * The code address a symbol value stands for (ARM Thumb functions have bit 0 set).
     */
    default long codeAddress(long symbolValue) {
        return symbolValue;
    }

    /**
     * Where else a call may enter a function than its symbol value: ppc64 ELFv2's local entry
     * point (st_other bits 5-7), which same-TOC calls use. 0 elsewhere.
     */
    default long localEntryOffset(int stOther) {
        return 0;
    }

    /**
     * The length of the patched-out form of a call at the start of {@code bytes} (x86: the 5-byte
     * NOP {@code 0f 1f 44 00 00} that ftrace and objtool {@code --mnop} put where {@code call
     * __fentry__} was), or 0 when the bytes are not one. Such a site is in a table but no longer
     * a branch.
     */
    default int patchedOutCallLength(byte[] bytes) {
        return 0;
    }

    /** The runtime model's rules for this architecture. */
    PatchRules patchRules(ModelOptions options);

}
