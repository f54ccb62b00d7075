package patchsites.collector.arch;

import java.nio.ByteBuffer;
import patchsites.model.ModelOptions;
import patchsites.model.PatchRules;

/**
 * Everything the scan needs to know about one instruction set: which relocation types can sit on
 * a direct branch, how to tell a branch from an address load by its bytes, and where the
 * instruction starts relative to the relocated field. One implementation per architecture; see
 * {@link Arches} for the only place that switches on e_machine.
 */
public interface Arch {
    /** The name used in output and on the command line ({@code x86_64}, {@code arm64}, ...). */
    String name();

    /**
     * Decodes the instruction whose relocated field is at {@code field} in {@code text} (an
     * executable section). Returns false when the relocation is not the target of a direct
     * call/jump (an address load, a data word, an indirect call through the GOT, ...).
     * Must not read outside {@code text}. {@code boundary} is consulted only when the bytes are
     * ambiguous without decoding from an earlier instruction.
     */
    boolean decodeBranch(ByteBuffer text, long field, int relocType, CodeContext boundary, DecodedBranch out);

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
     * The code address a symbol value stands for (ARM Thumb functions have bit 0 set).
     */
    default long codeAddress(long symbolValue) {
        return symbolValue;
    }

    /** Whether decoding needs the ELF mapping symbols ($a/$t/$d), see {@link CodeContext#mappingAt}. */
    default boolean usesMappingSymbols() {
        return false;
    }

    /**
     * Where else a call may enter a function than its symbol value: ppc64 ELFv2's local entry
     * point (st_other bits 5-7), which same-TOC calls use. 0 elsewhere.
     */
    default long localEntryOffset(int stOther) {
        return 0;
    }

    /**
     * ppc64 ELFv1: the section of function descriptors ({@code .opd}). A function symbol defined
     * there stands for the code that its descriptor's first doubleword points to (in a relocatable
     * object, an absolute relocation of {@link #tableAbsoluteType()} against the code section).
     * Null where function symbols are code addresses.
     */
    default String functionDescriptorSection() {
        return null;
    }

    /**
     * Sections that hold template code copied elsewhere at run time (x86 alternatives). Branches
     * there are not sites: the kernel patches the copy, not the template, and objtool skips them.
     */
    default boolean isTemplateSection(String name) {
        return false;
    }

    /** Whether the ABI's relocatable objects carry explicit addends (SHT_RELA) or not (SHT_REL). */
    boolean usesRela();

    /** Relocation type for a table field holding {@code S + A - P} in 32 bits (site and key fields). */
    int tablePcRel32Type();

    /** Relocation type for a pointer-sized table field holding {@code S + A} (the {@code abs} layout). */
    int tableAbsoluteType();

    /** The runtime model's rules for this architecture. */
    PatchRules patchRules(ModelOptions options);

    /** A readable relocation type name for diagnostics. */
    String relocationName(int type);
}
