package patchsites.collector.elf;

import java.util.Arrays;

/**
 * Sorts non-negative longs of a known bit width: an LSD radix sort, 11 bits a pass, and passes
 * over a digit every key shares are skipped. For the function index's packed keys (240,668 of
 * them in the bench's combined.o, 57 bits wide) {@link Arrays#sort(long[])} was a fifth of the
 * scan: its keys are too shuffled for its run merging and a quicksort pays a compare per level.
 */
final class RadixSort {
    private static final int DIGIT = 11, BINS = 1 << DIGIT;
    /** Below this many keys the histograms cost more than they save. */
    private static final int MIN_KEYS = 1024;

    private RadixSort() {}

    /**
     * Sorts {@code keys} ascending; every key is in {@code [0, 2^bits)}. {@code scratch}, at least
     * as long and overwritten, is the second buffer: the caller's column that the keys were packed
     * from, so that a vmlinux.o-sized sort allocates no copy of them.
     */
    static void sort(long[] keys, int bits, long[] scratch) {
        int n = keys.length;
        int passes = (bits + DIGIT - 1) / DIGIT;
        if (n < MIN_KEYS || passes == 0) {
            Arrays.sort(keys);
            return;
        }
        int[][] counts = new int[passes][BINS];
        for (long key : keys) {
            for (int p = 0; p < passes; p++) {
                counts[p][(int) (key >>> (p * DIGIT)) & (BINS - 1)]++;
            }
        }
        long[] from = keys, to = scratch;
        for (int p = 0; p < passes; p++) {
            int[] count = counts[p];
            int shift = p * DIGIT;
            if (count[(int) (from[0] >>> shift) & (BINS - 1)] == n) {
                continue; // every key has this digit: the order stands
            }
            for (int b = 0, sum = 0; b < BINS; b++) { // counts become each bin's first slot
                int c = count[b];
                count[b] = sum;
                sum += c;
            }
            for (int k = 0; k < n; k++) { // scratch may be longer than keys
                long key = from[k];
                to[count[(int) (key >>> shift) & (BINS - 1)]++] = key;
            }
            long[] t = from;
            from = to;
            to = t;
        }
        if (from != keys) {
            System.arraycopy(from, 0, keys, 0, n);
        }
    }
}
