package patchsites.collector.elf;

import java.util.function.IntToLongFunction;
import java.util.function.LongUnaryOperator;

/**
 * What an architecture's ABI says about symbol values, handed to the ELF index by the
 * architecture (the ELF layer knows no instruction set).
 *
 * @param codeAddress         the code address a value stands for (ARM Thumb functions set bit 0)
 * @param localEntryOffset    from st_other, a second entry point after the symbol's value (ppc64 ELFv2), else 0
 * @param descriptorSection   the section of function descriptors (ppc64 ELFv1 {@code .opd}), or null:
 *                            a function symbol there stands for the code its descriptor points to
 * @param descriptorRelocType in a relocatable object, the relocation type of a descriptor's code pointer
 */
public record SymbolConventions(LongUnaryOperator codeAddress, IntToLongFunction localEntryOffset,
        String descriptorSection, int descriptorRelocType) {
    /** Values are code addresses, one entry point, no descriptors. */
    public static final SymbolConventions PLAIN = new SymbolConventions(v -> v, other -> 0, null, -1);
}
