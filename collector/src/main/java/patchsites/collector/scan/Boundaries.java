package patchsites.collector.scan;

import java.util.Arrays;
import java.util.TreeSet;

/**
 * Ends of the branches decoded so far in one section: instruction boundaries a later decode may
 * start from. Relocations come in address order in every object a compiler or ld writes, so the
 * ends arrive in order and are appended to an array; the rare one out of order goes to a tree.
 */
final class Boundaries {
    private long[] sorted = new long[64];
    private int size;
    private final TreeSet<Long> outOfOrder = new TreeSet<>();

    void clear() {
        size = 0;
        outOfOrder.clear();
    }

    void add(long end) {
        if (size == 0 || end >= sorted[size - 1]) {
            if (size == sorted.length) {
                sorted = Arrays.copyOf(sorted, size * 2);
            }
            sorted[size++] = end;
        } else {
            outOfOrder.add(end);
        }
    }

    /** The greatest boundary at or before {@code offset}, or -1. */
    long floor(long offset) {
        int lo = 0, hi = size - 1;
        long best = -1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            if (sorted[mid] <= offset) {
                best = sorted[mid];
                lo = mid + 1;
            } else {
                hi = mid - 1;
            }
        }
        if (!outOfOrder.isEmpty()) {
            Long t = outOfOrder.floor(offset);
            if (t != null && t > best) {
                best = t;
            }
        }
        return best;
    }
}
