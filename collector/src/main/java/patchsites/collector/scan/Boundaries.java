package patchsites.collector.scan;

import java.util.Arrays;
import java.util.TreeSet;
import patchsites.collector.elf.Floor;

/**
 * Ends of the branches decoded so far in one section: instruction boundaries a later decode may
 * start from. Relocations come in address order in every object a compiler or ld writes, so the
 * ends arrive in order and are appended to an array; the rare one out of order goes to a tree.
 */
final class Boundaries {
    private long[] sorted = new long[64];
    private int size;
    /** Made only when needed. */
    private TreeSet<Long> outOfOrder;

    /** Empties it for the next section: one instance serves a whole scan. */
    void clear() {
        size = 0;
        outOfOrder = null;
    }

    void add(long end) {
        if (size == 0 || end >= sorted[size - 1]) {
            if (size == sorted.length) {
                sorted = Arrays.copyOf(sorted, size * 2);
            }
            sorted[size++] = end;
        } else {
            if (outOfOrder == null) {
                outOfOrder = new TreeSet<>();
            }
            outOfOrder.add(end);
        }
    }

    /** The greatest boundary at or before {@code offset}, or -1. */
    long floor(long offset) {
        int i = Floor.index(sorted, 0, size, offset);
        long best = i < 0 ? -1 : sorted[i];
        if (outOfOrder != null) {
            Long t = outOfOrder.floor(offset);
            if (t != null && t > best) {
                best = t;
            }
        }
        return best;
    }
}
