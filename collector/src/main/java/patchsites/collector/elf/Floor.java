package patchsites.collector.elf;

/** The one binary search of the project: the last element of a sorted run at or before a value. */
public final class Floor {
    private Floor() {}

    /** The greatest {@code i} in {@code [from, to)} with {@code sorted[i] <= value}, or {@code from - 1}. */
    public static int index(long[] sorted, int from, int to, long value) {
        int lo = from, hi = to - 1, best = from - 1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            if (sorted[mid] <= value) {
                best = mid;
                lo = mid + 1;
            } else {
                hi = mid - 1;
            }
        }
        return best;
    }
}
