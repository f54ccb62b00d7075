package patchsites.collector.table;

import java.util.HashMap;
import java.util.Map;
import java.util.OptionalLong;
import patchsites.collector.arch.Arch;
import patchsites.collector.arch.Arches;
import patchsites.collector.elf.ElfFile;
import patchsites.collector.elf.SymbolTable;

/**
 * Addresses of a linked program: which executable section holds one, which symbol sits at one.
 * A function's address is its code address (ARM Thumb functions have bit 0 set in st_value);
 * mapping symbols ({@code $a}, {@code $t}, {@code $d}, {@code $x}...) name no function and are
 * never answers.
 */
public final class AddressMap {
    private final ElfFile elf;
    private final Arch arch;
    private Map<Long, String> symbols;

    public AddressMap(ElfFile elf) {
        this.elf = elf;
        this.arch = Arches.forObject(elf);
    }

    private long address(SymbolTable syms, int i) {
        if (syms.type(i) != SymbolTable.STT_FUNC) {
            return syms.value(i);
        }
        int sec = syms.definingSection(i);
        String opd = arch.abi().functionDescriptorSection();
        if (opd != null && sec > 0 && elf.sectionName(sec).equals(opd) && elf.sectionType(sec) != ElfFile.SHT_NOBITS) {
            // ppc64 ELFv1: the symbol is a descriptor; its first doubleword is the code address.
            long at = syms.value(i) - elf.sectionAddress(sec);
            java.nio.ByteBuffer d = elf.data(sec);
            if (at >= 0 && at + 8 <= d.limit()) {
                return d.getLong((int) at);
            }
        }
        return arch.codeAddress(syms.value(i));
    }

    private static boolean isMappingSymbol(SymbolTable syms, int i) {
        return syms.binding(i) == SymbolTable.STB_LOCAL && syms.type(i) == SymbolTable.STT_NOTYPE
                && syms.name(i).startsWith("$");
    }

    /**
     * {@code address} lies in {@code [base, base + size)}. Addresses and sizes are unsigned 64-bit
     * values (an x86-64 kernel lives at 0xffffffff8...): compared as signed longs they would put
     * the kernel below every user-space address.
     */
    public static boolean contains(long base, long size, long address) {
        return Long.compareUnsigned(address - base, size) < 0;
    }

    /** {@code [from, to)} lies within {@code [base, base + size)} (an empty range at the end counts). */
    public static boolean within(long from, long to, long base, long size) {
        return Long.compareUnsigned(from - base, size) <= 0 && Long.compareUnsigned(to - base, size) <= 0
                && Long.compareUnsigned(from, to) <= 0;
    }

    /** The SHF_EXECINSTR, SHF_ALLOC section containing {@code address}, or -1. */
    public int sectionOf(long address) {
        for (int i = 1; i < elf.sectionCount(); i++) {
            long f = elf.sectionFlags(i);
            if ((f & ElfFile.SHF_ALLOC) != 0 && (f & ElfFile.SHF_EXECINSTR) != 0
                    && contains(elf.sectionAddress(i), elf.sectionSize(i), address)) {
                return i;
            }
        }
        return -1;
    }

    /** A symbol defined at {@code address} (a global one if there is one), or null. */
    public String symbolAt(long address) {
        if (symbols == null) {
            symbols = new HashMap<>();
            for (int s = 1; s < elf.sectionCount(); s++) {
                if (elf.sectionType(s) != ElfFile.SHT_SYMTAB) {
                    continue;
                }
                SymbolTable syms = elf.symbolTable(s);
                for (int i = 1; i < syms.count(); i++) {
                    int t = syms.type(i);
                    if (t == SymbolTable.STT_SECTION || t == SymbolTable.STT_FILE || syms.definingSection(i) < 0
                            || isMappingSymbol(syms, i)) {
                        continue;
                    }
                    long at = address(syms, i);
                    String prev = symbols.get(at);
                    if (prev == null || syms.binding(i) != SymbolTable.STB_LOCAL) {
                        symbols.put(at, syms.name(i));
                    }
                }
            }
        }
        return symbols.get(address);
    }

    /**
     * Where a direct call to the function {@code name} from this program goes: its code address,
     * plus the local entry offset on ppc64 ELFv2 (a same-TOC {@code bl} must skip the global
     * entry's TOC setup, which expects r12 to hold the entry address). Empty if there is no such
     * symbol (not -1: that is a valid upper-half address).
     */
    public OptionalLong callTarget(String name) {
        return find(name, true);
    }

    /** The address of the symbol named {@code name}, if there is one. */
    public OptionalLong addressOf(String name) {
        return find(name, false);
    }

    private OptionalLong find(String name, boolean entry) {
        for (int s = 1; s < elf.sectionCount(); s++) {
            if (elf.sectionType(s) != ElfFile.SHT_SYMTAB) {
                continue;
            }
            SymbolTable syms = elf.symbolTable(s);
            OptionalLong found = OptionalLong.empty();
            boolean global = false;
            for (int i = 1; i < syms.count(); i++) {
                if (syms.definingSection(i) < 0 || !syms.name(i).equals(name)) {
                    continue;
                }
                boolean isGlobal = syms.binding(i) != SymbolTable.STB_LOCAL;
                if (found.isEmpty() || (isGlobal && !global)) { // a global one wins over a local one
                    found = OptionalLong.of(address(syms, i) + (entry ? arch.localEntryOffset(syms.other(i)) : 0));
                    global = isGlobal;
                }
            }
            return found;
        }
        return OptionalLong.empty();
    }
}
