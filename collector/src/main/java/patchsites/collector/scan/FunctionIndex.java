package patchsites.collector.scan;

import java.util.Arrays;
import patchsites.collector.arch.Arch;
import patchsites.collector.elf.ElfFile;
import patchsites.collector.elf.SymbolTable;

/**
 * Finds the STT_FUNC symbol that contains an offset. Built only for objects with sites, from
 * one pass over the symbol table; sorted (section, start) so a lookup is a binary search.
 * Among aliases at one address a global name wins over a weak one over a local one.
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
        for (int i = 1; i < n; i++) {
            if (symbols.type(i) != SymbolTable.STT_FUNC) {
                continue;
            }
            int sec = symbols.definingSection(i);
            if (sec <= 0) {
                continue;
            }
            long at = arch.codeAddress(symbols.value(i)) - TargetIndex.sectionBase(elf, sec);
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
