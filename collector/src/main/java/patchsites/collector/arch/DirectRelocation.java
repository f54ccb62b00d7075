package patchsites.collector.arch;

/**
 * The relocation a direct branch written over a memory-indirect one needs ({@link Arch#devirtualize}):
 * the same as the compiler would have written for a call to the function by name.
 *
 * @param fieldOffset where the displacement field is, from the instruction's first byte
 * @param type        the relocation type (x86-64: R_X86_64_PLT32, as gas writes for {@code call f})
 * @param addend      the addend against the function's symbol (x86-64: -4, the field counts from the end)
 */
public record DirectRelocation(int fieldOffset, int type, long addend) {
}
