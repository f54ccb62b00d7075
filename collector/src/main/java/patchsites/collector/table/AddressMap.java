package patchsites.collector.table;

import java.util.HashMap;
import java.util.Map;
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
        String opd = arch.functionDescriptorSection();
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

    /** The SHF_EXECINSTR, SHF_ALLOC section containing {@code address}, or -1. */
    public int sectionOf(long address) {
        for (int i = 1; i < elf.sectionCount(); i++) {
            long f = elf.sectionFlags(i);
            if ((f & ElfFile.SHF_ALLOC) != 0 && (f & ElfFile.SHF_EXECINSTR) != 0
                    && address - elf.sectionAddress(i) >= 0 && address - elf.sectionAddress(i) < elf.sectionSize(i)) {
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
     * entry's TOC setup, which expects r12 to hold the entry address). -1 if there is no such symbol.
     */
    public long callTarget(String name) {
        for (int s = 1; s < elf.sectionCount(); s++) {
            if (elf.sectionType(s) != ElfFile.SHT_SYMTAB) {
                continue;
            }
            SymbolTable syms = elf.symbolTable(s);
            long found = -1;
            for (int i = 1; i < syms.count(); i++) {
                if (syms.definingSection(i) >= 0 && syms.name(i).equals(name)
                        && (found < 0 || syms.binding(i) != SymbolTable.STB_LOCAL)) {
                    found = address(syms, i) + arch.localEntryOffset(syms.other(i));
                }
            }
            return found;
        }
        return -1;
    }

    /** The address of the symbol named {@code name}, or -1. */
    public long addressOf(String name) {
        for (int s = 1; s < elf.sectionCount(); s++) {
            if (elf.sectionType(s) != ElfFile.SHT_SYMTAB) {
                continue;
            }
            SymbolTable syms = elf.symbolTable(s);
            long found = -1;
            for (int i = 1; i < syms.count(); i++) {
                if (syms.definingSection(i) >= 0 && syms.name(i).equals(name)) {
                    if (found < 0 || syms.binding(i) != SymbolTable.STB_LOCAL) {
                        found = address(syms, i);
                    }
                }
            }
            return found;
        }
        return -1;
    }
}
