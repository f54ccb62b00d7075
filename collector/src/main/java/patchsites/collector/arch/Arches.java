package patchsites.collector.arch;

import java.nio.ByteOrder;
import patchsites.collector.elf.ElfFile;
import patchsites.collector.elf.ElfFormatException;

/** Picks the {@link Arch} for an object: the one place that switches on the machine type. */
public final class Arches {
    public static final int EM_386 = 3, EM_PPC = 20, EM_PPC64 = 21, EM_S390 = 22, EM_ARM = 40, EM_X86_64 = 62,
            EM_AARCH64 = 183, EM_RISCV = 243, EM_LOONGARCH = 258;
    private static final int EF_ARM_BE8 = 0x00800000, EF_PPC64_ABI = 3;

    private static final Arch X86_64 = new X86_64(), I386 = new I386(), ARM64 = new Arm64(), RISCV64 = new Riscv64(),
            S390X = new S390x(), LOONGARCH64 = new LoongArch64();

    private Arches() {}

    public static Arch forObject(ElfFile elf) {
        switch (elf.machine()) {
            case EM_X86_64:
                return require(elf, true, "x32 (ELF32 x86-64)", X86_64);
            case EM_386:
                return require(elf, false, "64-bit i386", I386);
            case EM_AARCH64:
                return require(elf, true, "ILP32 arm64", ARM64);
            case EM_ARM: {
                boolean be32 = elf.isBigEndian() && (elf.flags() & EF_ARM_BE8) == 0;
                return require(elf, false, "64-bit arm", new Arm(be32 ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN));
            }
            case EM_PPC64: {
                int abi = elf.flags() & EF_PPC64_ABI;
                boolean v2 = abi == 2 || (abi == 0 && !elf.isBigEndian());
                return require(elf, true, "32-bit ppc64", new Ppc64(elf.order(), v2));
            }
            case EM_PPC:
                return require(elf, false, "64-bit ppc32", new Ppc32(elf.order()));
            case EM_RISCV:
                return require(elf, true, "riscv32", RISCV64);
            case EM_S390:
                return require(elf, true, "31-bit s390", S390X);
            case EM_LOONGARCH:
                return require(elf, true, "loongarch32", LOONGARCH64);
            default:
                throw new ElfFormatException("unsupported machine type " + elf.machine() + " (e_machine)");
        }
    }

    /** {@code arch}, when the object's class is the one it supports ({@code is64}); else the error names {@code what}. */
    private static Arch require(ElfFile elf, boolean is64, String what, Arch arch) {
        if (elf.is64() != is64) {
            throw new ElfFormatException(what + " objects are not supported");
        }
        return arch;
    }
}
