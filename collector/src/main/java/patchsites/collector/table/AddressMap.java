package patchsites.collector.table;

import java.util.OptionalLong;
import patchsites.collector.arch.Arches;
import patchsites.collector.elf.ElfFile;
import patchsites.collector.elf.SymbolPlaces;
import patchsites.collector.elf.SymbolTable;
import patchsites.collector.elf.SymbolsAt;
import patchsites.collector.scan.Scanner;

/**
 * Addresses of a linked program: which executable section holds one, which symbol sits at one,
 * where a named symbol is. Symbols are placed and chosen by the ELF index ({@link SymbolPlaces},
 * {@link SymbolsAt}, {@link SymbolTable#named}): a function's address is its code address (ARM
 * Thumb functions have bit 0 set in st_value; a ppc64 ELFv1 function symbol is a descriptor),
 * and mapping symbols ({@code $a}, {@code $t}, {@code $d}, {@code $x}...) are never answers.
 */
public final class AddressMap {
    private final ElfFile elf;
    private final SymbolPlaces places;
    private SymbolsAt symbolsAt;

    public AddressMap(ElfFile elf) {
        this.elf = elf;
        int symtab = elf.symbolTableSection();
        places = symtab < 0 ? null
                : new SymbolPlaces(elf, elf.symbolTable(symtab), Scanner.symbolConventions(Arches.forObject(elf))).atCode();
    }

    /** The SHF_EXECINSTR, SHF_ALLOC section containing {@code address}, or -1. */
    public int sectionOf(long address) {
        return elf.sectionHolding(address, ElfFile.SHF_ALLOC | ElfFile.SHF_EXECINSTR, 0);
    }

    /** The symbol at {@code address}, or null. */
    public String symbolAt(long address) {
        if (places == null) {
            return null;
        }
        if (symbolsAt == null) {
            symbolsAt = new SymbolsAt(places, s -> true); // built once: it indexes every symbol
        }
        for (int i = elf.sectionHolding(address, ElfFile.SHF_ALLOC, 0); i > 0;
                i = elf.sectionHolding(address, ElfFile.SHF_ALLOC, i)) {
            int s = symbolsAt.at(i, address - elf.sectionAddress(i));
            if (s >= 0) {
                return places.symbols().name(s);
            }
        }
        return null;
    }

    /**
     * Where a direct call to the function {@code name} from this program goes: its code address,
     * plus the local entry offset on ppc64 ELFv2 (a same-TOC {@code bl} must skip the global
     * entry's TOC setup, which expects r12 to hold the entry address). Empty if there is no such
     * symbol (not -1: that is a valid upper-half address).
     */
    public OptionalLong callTarget(String name) {
        int sym = defined(name);
        return sym < 0 ? OptionalLong.empty() : OptionalLong.of(address(sym) + places.localEntryOffset(sym));
    }

    /** The address of the symbol named {@code name}, if there is one. */
    public OptionalLong addressOf(String name) {
        int sym = defined(name);
        return sym < 0 ? OptionalLong.empty() : OptionalLong.of(address(sym));
    }

    private int defined(String name) {
        if (places == null) {
            return -1;
        }
        int sym = places.symbols().named(name);
        return sym >= 0 && places.place(sym) ? sym : -1;
    }

    /** The address of a defined symbol: its place's. */
    private long address(int sym) {
        places.place(sym);
        return elf.sectionAddress(places.section) + places.offset;
    }
}
