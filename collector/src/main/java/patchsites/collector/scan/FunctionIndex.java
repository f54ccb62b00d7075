package patchsites.collector.scan;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import patchsites.collector.arch.Arch;
import patchsites.collector.elf.ElfFile;
import patchsites.collector.elf.Relocations;
import patchsites.collector.elf.SymbolTable;

/**
 * Finds the STT_FUNC symbol that contains an offset. Built only for objects with sites, from
 * one pass over the symbol table; sorted (section, start) so a lookup is a binary search.
 * Among aliases at one address a global name wins over a weak one over a local one. On ppc64
 * ELFv1 a function symbol is a descriptor in {@code .opd}: it is placed at the code its
 * descriptor points to ({@link Arch#functionDescriptorSection}).
 */
final class FunctionIndex {
    private final int[] section;
    private final long[] start;
    private final long[] size;
    private final int[] symbol;
    private final SymbolTable symbols;

    FunctionIndex(ElfFile elf, SymbolTable symbols, Arch arch) {
        this.symbols = symbols;
        int n = symbols.count();
        int count = 0;
        long[][] rows = new long[n][];
        int opd = descriptorSection(elf, arch);
        Map<Long, long[]> code = opd > 0 ? descriptors(elf, arch, opd) : null;
        for (int i = 1; i < n; i++) {
            if (symbols.type(i) != SymbolTable.STT_FUNC) {
                continue;
            }
            int sec = symbols.definingSection(i);
            if (sec <= 0) {
                continue;
            }
            long at = arch.codeAddress(symbols.value(i)) - TargetIndex.sectionBase(elf, sec);
            if (sec == opd) {
                long[] entry = code.get(at);
                if (entry == null) {
                    continue;
                }
                sec = (int) entry[0];
                at = entry[1];
            }
            int b = symbols.binding(i);
            long rank = b == SymbolTable.STB_GLOBAL ? 2 : b == SymbolTable.STB_WEAK ? 1 : 0;
            rows[count++] = new long[] {sec, at, rank, -i, symbols.size(i)};
        }
        long[][] sorted = Arrays.copyOf(rows, count);
        Arrays.sort(sorted, (x, y) -> {
            for (int k = 0; k < 4; k++) {
                int c = Long.compare(x[k], y[k]);
                if (c != 0) {
                    return c;
                }
            }
            return 0;
        });
        section = new int[count];
        start = new long[count];
        size = new long[count];
        symbol = new int[count];
        for (int k = 0; k < count; k++) {
            section[k] = (int) sorted[k][0];
            start[k] = sorted[k][1];
            symbol[k] = (int) -sorted[k][3];
            size[k] = sorted[k][4];
        }
    }

    /** The descriptor section's index, or 0 when the architecture has none or the object lacks it. */
    private static int descriptorSection(ElfFile elf, Arch arch) {
        String name = arch.functionDescriptorSection();
        if (name == null) {
            return 0;
        }
        for (int i = 1; i < elf.sectionCount(); i++) {
            if (elf.sectionType(i) == ElfFile.SHT_PROGBITS && name.equals(elf.sectionName(i))) {
                return i;
            }
        }
        return 0;
    }

    /**
     * Offset of each descriptor in {@code opd} → (code section, offset in it). In a relocatable
     * object the code pointer is an absolute relocation against the code section (or a symbol in
     * it) plus addend; in a linked file it is the doubleword itself, an address.
     */
    private static Map<Long, long[]> descriptors(ElfFile elf, Arch arch, int opd) {
        Map<Long, long[]> out = new HashMap<>();
        if (elf.type() == ElfFile.ET_REL) {
            for (int r = 1; r < elf.sectionCount(); r++) {
                int t = elf.sectionType(r);
                if ((t != ElfFile.SHT_RELA && t != ElfFile.SHT_REL) || elf.sectionInfo(r) != opd) {
                    continue;
                }
                Relocations rel = elf.relocations(r);
                SymbolTable syms = elf.symbolTable(elf.sectionLink(r));
                for (int k = 0; k < rel.count(); k++) {
                    int sym = rel.symbol(k);
                    if (rel.type(k) != arch.tableAbsoluteType() || sym <= 0 || sym >= syms.count()) {
                        continue;
                    }
                    int sec = syms.definingSection(sym);
                    if (sec > 0 && elf.isExecutable(sec)) {
                        out.put(rel.offset(k), new long[] {sec, syms.value(sym) + (rel.hasAddends() ? rel.addend(k) : 0)});
                    }
                }
            }
            return out;
        }
        if (elf.sectionType(opd) == ElfFile.SHT_NOBITS) {
            return out;
        }
        ByteBuffer data = elf.data(opd).duplicate().order(elf.order());
        for (int at = 0; at + 8 <= data.limit(); at += 8) {
            long address = data.getLong(at);
            for (int s = 1; s < elf.sectionCount(); s++) {
                long base = elf.sectionAddress(s);
                if (elf.isExecutable(s) && address >= base && address - base < elf.sectionSize(s)) {
                    out.put((long) at, new long[] {s, address - base});
                    break;
                }
            }
        }
        return out;
    }

    /** Nested functions (a .cold part inside its parent's range, aliases) are this deep at most. */
    private static final int MAX_NESTING = 32;

    /** Row of the innermost function containing {@code offset} in {@code sec}, or -1. */
    int containing(int sec, long offset) {
        int lo = 0, hi = section.length - 1, best = -1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            if (section[mid] < sec || (section[mid] == sec && start[mid] <= offset)) {
                best = mid;
                lo = mid + 1;
            } else {
                hi = mid - 1;
            }
        }
        for (int k = best; k >= 0 && k > best - MAX_NESTING && section[k] == sec; k--) {
            if (offset - start[k] < size[k]) {
                return k;
            }
        }
        return -1;
    }

    String name(int row) {
        return symbols.name(symbol[row]);
    }

    /** The function's start as an offset in its section. */
    long start(int row) {
        return start[row];
    }
}
