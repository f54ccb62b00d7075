package patchsites.collector.table;

import java.util.HashMap;
import java.util.Map;
import patchsites.collector.elf.ElfFile;
import patchsites.collector.elf.SymbolTable;

/** Addresses of a linked program: which executable section holds one, which symbol sits at one. */
public final class AddressMap {
    private final ElfFile elf;
    private Map<Long, String> symbols;

    public AddressMap(ElfFile elf) {
        this.elf = elf;
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
                    if (t == SymbolTable.STT_SECTION || t == SymbolTable.STT_FILE || syms.definingSection(i) < 0) {
                        continue;
                    }
                    String prev = symbols.get(syms.value(i));
                    if (prev == null || syms.binding(i) != SymbolTable.STB_LOCAL) {
                        symbols.put(syms.value(i), syms.name(i));
                    }
                }
            }
        }
        return symbols.get(address);
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
                        found = syms.value(i);
                    }
                }
            }
            return found;
        }
        return -1;
    }
}
