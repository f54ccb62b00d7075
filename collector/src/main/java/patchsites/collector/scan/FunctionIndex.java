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
 * descriptor points to ({@link patchsites.collector.arch.ArchAbi#functionDescriptorSection}).
 */
final class FunctionIndex {
    /** Columns by function, in symbol table order; {@link #rows} lists them sorted. */
    private final int[] section;
    private final long[] start;
    private final int[] symbol;
    /** Row k of the sorted index is function rows[k]. */
    private final int[] rows;
    private final SymbolTable symbols;

    FunctionIndex(ElfFile elf, SymbolTable symbols, Arch arch) {
        this.symbols = symbols;
        int n = symbols.count();
        // Primitive columns and an index sort: a row object per function symbol would make this,
        // not the sites, the bulk of a scan's allocation on a vmlinux.o-sized symbol table.
        int functions = 0;
        for (int i = 1; i < n; i++) {
            if (symbols.type(i) == SymbolTable.STT_FUNC) {
                functions++;
            }
        }
        int[] sec = new int[functions];
        long[] at = new long[functions];
        byte[] rank = new byte[functions];
        int[] sym = new int[functions];
        int opd = descriptorSection(elf, arch);
        Map<Long, long[]> code = opd > 0 ? descriptors(elf, arch, opd) : null;
        int count = 0;
        for (int i = 1; i < n; i++) {
            if (symbols.type(i) != SymbolTable.STT_FUNC) {
                continue;
            }
            int s = symbols.definingSection(i);
            if (s <= 0) {
                continue;
            }
            long a = arch.codeAddress(symbols.value(i)) - TargetIndex.sectionBase(elf, s);
            if (s == opd) {
                long[] entry = code.get(a);
                if (entry == null) {
                    continue;
                }
                s = (int) entry[0];
                a = entry[1];
            }
            int b = symbols.binding(i);
            sec[count] = s;
            at[count] = a;
            rank[count] = (byte) (b == SymbolTable.STB_GLOBAL ? 2 : b == SymbolTable.STB_WEAK ? 1 : 0);
            sym[count] = i;
            count++;
        }
        int[] order = sortedRows(sec, at, rank, sym, count, false);
        section = sec;
        start = at;
        symbol = sym;
        rows = order;
    }

    /**
     * Rows {@code 0..count-1} sorted by (section, start, binding rank, later symbol first): of
     * aliases at one address the strongest binding comes last, where the backward walk of
     * {@link #containing} meets it first. When the four fit in 63 bits, as in any real object,
     * they are packed into longs and sorted by {@link Arrays#sort(long[])}; else by comparator.
     */
    static int[] sortedRows(int[] sec, long[] at, byte[] rank, int[] sym, int count, boolean byComparator) {
        int[] order = new int[count];
        long maxSec = 0, maxAt = 0;
        boolean packable = !byComparator;
        for (int k = 0; k < count && packable; k++) {
            maxSec = Math.max(maxSec, sec[k] & 0xffffffffL);
            maxAt = Math.max(maxAt, at[k]);
            packable = at[k] >= 0 && sec[k] >= 0;
        }
        int atBits = bits(maxAt), rowBits = bits(count);
        if (packable && bits(maxSec) + atBits + 2 + rowBits <= 63) {
            long[] keys = new long[count];
            for (int k = 0; k < count; k++) {
                // Rows are in symbol order, so the later symbol first is the higher row first.
                keys[k] = ((((long) sec[k] << atBits) | at[k]) << 2 | rank[k]) << rowBits | (count - 1 - k);
            }
            Arrays.sort(keys);
            long mask = (1L << rowBits) - 1;
            for (int k = 0; k < count; k++) {
                order[k] = count - 1 - (int) (keys[k] & mask);
            }
            return order;
        }
        // Keys that do not pack (negative or huge offsets): only crafted objects, so boxing is fine.
        Integer[] boxed = new Integer[count];
        for (int k = 0; k < count; k++) {
            boxed[k] = k;
        }
        Arrays.sort(boxed, (x, y) -> {
            int c = Integer.compare(sec[x], sec[y]);
            if (c == 0) {
                c = Long.compare(at[x], at[y]);
            }
            if (c == 0) {
                c = Integer.compare(rank[x], rank[y]);
            }
            return c != 0 ? c : Integer.compare(sym[y], sym[x]);
        });
        for (int k = 0; k < count; k++) {
            order[k] = boxed[k];
        }
        return order;
    }

    private static int bits(long max) {
        return 64 - Long.numberOfLeadingZeros(max);
    }

    /** The descriptor section's index, or 0 when the architecture has none or the object lacks it. */
    private static int descriptorSection(ElfFile elf, Arch arch) {
        String name = arch.abi().functionDescriptorSection();
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
                    if (rel.type(k) != arch.abi().tableAbsoluteType() || sym <= 0 || sym >= syms.count()) {
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
                if (elf.isExecutable(s) && Long.compareUnsigned(address - base, elf.sectionSize(s)) < 0) {
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
        int lo = 0, hi = rows.length - 1, best = -1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            int f = rows[mid];
            if (section[f] < sec || (section[f] == sec && start[f] <= offset)) {
                best = mid;
                lo = mid + 1;
            } else {
                hi = mid - 1;
            }
        }
        for (int k = best; k >= 0 && k > best - MAX_NESTING && section[rows[k]] == sec; k--) {
            int f = rows[k];
            if (offset - start[f] < symbols.size(symbol[f])) {
                return k;
            }
        }
        return -1;
    }

    /** Starts of the functions in section {@code sec}, ascending (aliases repeat a start). */
    long[] startsIn(int sec) {
        int lo = 0, hi = rows.length;
        while (lo < hi) { // first row of the section
            int mid = (lo + hi) >>> 1;
            if (section[rows[mid]] < sec) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        int end = lo;
        while (end < rows.length && section[rows[end]] == sec) {
            end++;
        }
        long[] out = new long[end - lo];
        for (int k = lo; k < end; k++) {
            out[k - lo] = start[rows[k]];
        }
        return out;
    }

    String name(int row) {
        return symbols.name(symbol[rows[row]]);
    }

    /** The function's start as an offset in its section. */
    long start(int row) {
        return start[rows[row]];
    }
}
