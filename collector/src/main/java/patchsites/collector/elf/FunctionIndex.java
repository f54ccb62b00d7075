package patchsites.collector.elf;

import java.util.Arrays;
import java.util.function.IntPredicate;

/**
 * The function containing an offset: objtool's find_func_containing. Built from one pass over a
 * symbol table's STT_FUNC symbols, placed by {@link SymbolPlaces} (code addresses, ppc64 ELFv1
 * descriptors followed), sorted by (section, start) so that a lookup is a binary search. Among
 * aliases at one address the one {@link SymbolTable#outranks} the others names the function.
 * The same index over other symbols a caller selects answers "which of them covers an offset"
 * (the pointer scan's objects).
 */
public final class FunctionIndex {
    /** Nested functions (a .cold part inside its parent's range, aliases) are this deep at most. */
    private static final int MAX_NESTING = 32;

    private final SymbolTable symbols;
    /** Row k of the index, sorted by (section, start): its start and its symbol (rows past the last: unused). */
    private final long[] start;
    private final int[] symbol;
    /** Rows of section s are firstRow[s] .. firstRow[s + 1] - 1. */
    private final int[] firstRow;
    /** The last row {@link #name} decoded, and its name: a function's sites are found one after another. */
    private int namedRow = -1;
    private String rowName;

    public FunctionIndex(SymbolPlaces symbolPlaces) {
        this(symbolPlaces, null);
    }

    /** The index over the symbols {@code selected} accepts (null: the STT_FUNC ones). */
    public FunctionIndex(SymbolPlaces symbolPlaces, IntPredicate selected) {
        SymbolPlaces places = symbolPlaces.atCode();
        SymbolTable syms = symbols = places.symbols();
        IntPredicate chosen = selected != null ? selected : i -> syms.type(i) == SymbolTable.STT_FUNC;
        int n = syms.count();
        // Primitive columns and an index sort: a row object per function symbol would make this,
        // not the sites, the bulk of a scan's allocation on a vmlinux.o-sized symbol table.
        int functions = 0;
        for (int i = 1; i < n; i++) {
            if (chosen.test(i)) {
                functions++;
            }
        }
        int[] sec = new int[functions];
        long[] at = new long[functions];
        byte[] rank = new byte[functions];
        int[] sym = new int[functions];
        int count = 0;
        for (int i = 1; i < n; i++) {
            if (!chosen.test(i) || !places.place(i)) {
                continue;
            }
            sec[count] = places.section;
            at[count] = places.offset;
            rank[count] = (byte) syms.rank(i);
            sym[count] = i;
            count++;
        }
        sortRows(sec, at, rank, sym, count);
        start = at;
        symbol = sym;
        int sections = places.elf().sectionCount();
        firstRow = new int[sections + 1];
        for (int k = 0, s = 0; k <= count; k++) {
            int rowSection = k < count ? sec[k] : sections;
            while (s <= rowSection) {
                firstRow[s++] = k;
            }
        }
    }

    /**
     * Sorts rows {@code 0..count-1} of the columns, in place, by (section, start, binding rank,
     * later symbol first): of aliases at one address the one that outranks the others comes last,
     * where the backward walk of {@link #containing} meets it first. {@code sym} ascends (table
     * order) and its values are distinct; {@code rank} is only read.
     */
    static void sortRows(int[] sec, long[] at, byte[] rank, int[] sym, int count) {
        if (!sortPacked(sec, at, rank, sym, count)) {
            sortCompared(sec, at, rank, sym, count);
        }
    }

    /**
     * {@link #sortRows} by one {@link RadixSort} of the four keys packed into longs, unpacked back
     * into the columns: no index array to permute the columns by (that permutation was 6 % of a
     * scan of the bench's combined.o). False, with the columns untouched, when the keys do not
     * fit in 63 bits (only crafted objects: negative or huge offsets).
     */
    static boolean sortPacked(int[] sec, long[] at, byte[] rank, int[] sym, int count) {
        long maxSec = 0, maxAt = 0, maxSym = 0;
        for (int k = 0; k < count; k++) {
            if (at[k] < 0 || sec[k] < 0 || sym[k] < 0) {
                return false;
            }
            maxSec = Math.max(maxSec, sec[k]);
            maxAt = Math.max(maxAt, at[k]);
            maxSym = Math.max(maxSym, sym[k]);
        }
        int atBits = bits(maxAt), symBits = bits(maxSym);
        if (bits(maxSec) + atBits + 2 + symBits > 63) {
            return false;
        }
        long[] keys = new long[count];
        for (int k = 0; k < count; k++) {
            // maxSym - sym: the later symbol sorts first.
            keys[k] = ((((long) sec[k] << atBits) | at[k]) << 2 | rank[k]) << symBits | (maxSym - sym[k]);
        }
        RadixSort.sort(keys, bits(maxSec) + atBits + 2 + symBits, at); // at is in the keys: free until unpacked
        long symMask = (1L << symBits) - 1, atMask = (1L << atBits) - 1;
        for (int k = 0; k < count; k++) {
            long key = keys[k];
            sym[k] = (int) (maxSym - (key & symMask));
            at[k] = (key >>> (symBits + 2)) & atMask;
            sec[k] = (int) (key >>> (symBits + 2 + atBits));
        }
        return true;
    }

    /** {@link #sortRows} by a comparator over boxed rows and sorted copies: for keys that do not pack. */
    static void sortCompared(int[] sec, long[] at, byte[] rank, int[] sym, int count) {
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
        int[] secCopy = Arrays.copyOf(sec, count), symCopy = Arrays.copyOf(sym, count);
        long[] atCopy = Arrays.copyOf(at, count);
        for (int k = 0; k < count; k++) {
            int from = boxed[k];
            sec[k] = secCopy[from];
            at[k] = atCopy[from];
            sym[k] = symCopy[from];
        }
    }

    private static int bits(long max) {
        return 64 - Long.numberOfLeadingZeros(max);
    }

    /** Row of the innermost function containing {@code offset} in {@code sec}, or -1. */
    public int containing(int sec, long offset) {
        if (sec <= 0 || sec >= firstRow.length - 1) {
            return -1;
        }
        int first = firstRow[sec];
        int best = Floor.index(start, first, firstRow[sec + 1], offset);
        for (int k = best; k >= first && k > best - MAX_NESTING; k--) {
            if (offset - start[k] < symbols.size(symbol[k])) {
                return k;
            }
        }
        return -1;
    }

    /**
     * The first row of section {@code sec}; its rows end where those of {@code sec + 1} begin.
     * Within a section rows ascend by start, and of aliases at one start the one that names the
     * function comes last.
     */
    public int firstRow(int sec) {
        return firstRow[Math.max(0, Math.min(sec, firstRow.length - 1))];
    }

    /** Starts of the functions in section {@code sec}, ascending (aliases repeat a start). */
    public long[] startsIn(int sec) {
        return Arrays.copyOfRange(start, firstRow(sec), firstRow(sec + 1));
    }

    /** st_size of the symbol of row {@code row}. */
    public long size(int row) {
        return symbols.size(symbol[row]);
    }

    /** The symbol of row {@code row}. */
    public int symbol(int row) {
        return symbol[row];
    }

    /**
     * The name of row {@code row}'s function: one string for consecutive asks about one function
     * (an index serves one scan, on one thread).
     */
    public String name(int row) {
        if (row != namedRow) {
            rowName = symbols.name(symbol[row]);
            namedRow = row;
        }
        return rowName;
    }

    /** The function's end (start + st_size) as an offset in its section. */
    public long end(int row) {
        return start[row] + symbols.size(symbol[row]);
    }

    /** The function's start as an offset in its section. */
    public long start(int row) {
        return start[row];
    }
}
