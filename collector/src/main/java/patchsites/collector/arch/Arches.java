package patchsites.collector.arch;

import patchsites.collector.elf.ElfFile;
import patchsites.collector.elf.ElfFormatException;

/** Picks the {@link Arch} for an object: the one place that switches on the machine type. */
public final class Arches {
    public static final int EM_X86_64 = 62;

    private static final Arch X86_64 = new X86_64();

    private Arches() {}

    public static Arch forObject(ElfFile elf) {
        switch (elf.machine()) {
            case EM_X86_64:
                if (!elf.is64()) {
                    throw new ElfFormatException("x32 (ELF32 x86-64) objects are not supported");
                }
                return X86_64;
            default:
                throw new ElfFormatException("unsupported machine type " + elf.machine() + " (e_machine)");
        }
    }
}
