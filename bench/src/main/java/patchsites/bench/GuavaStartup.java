package patchsites.bench;

import com.google.common.collect.ImmutableRangeMap;
import com.google.common.collect.Range;
import patchsites.collector.elf.Floor;

/**
 * What the first use of a Guava collection costs a fresh JVM, as the CLI would pay it once per run
 * (the launcher's flags: C1 only, serial GC, CDS; bench/guava.sh). {@code floor} or {@code guava}:
 * index 2,000 functions and answer 20,000 lookups, the way a small module's scan would, then print
 * the nanoseconds that took (class loading and initialisation included). {@code none} does no
 * lookup: the JVM's own start and the printing.
 */
public final class GuavaStartup {
    private GuavaStartup() {}

    public static void main(String[] args) {
        String mode = args[0];
        long t0 = System.nanoTime();
        int n = mode.equals("none") ? 0 : 2000;
        long[] start = new long[n], size = new long[n];
        for (int i = 0; i < n; i++) {
            start[i] = i * 64L;
            size[i] = 48;
        }
        long sum = 0;
        if (mode.equals("guava")) {
            ImmutableRangeMap.Builder<Long, Integer> b = ImmutableRangeMap.builder();
            for (int i = 0; i < n; i++) {
                b.put(Range.closedOpen(start[i], start[i] + size[i]), i);
            }
            ImmutableRangeMap<Long, Integer> map = b.build();
            for (long q = 0; q < n * 64L; q += 6) {
                Integer i = map.get(q);
                sum += i == null ? -1 : i;
            }
        } else {
            for (long q = 0; q < n * 64L; q += 6) {
                int i = Floor.index(start, 0, n, q);
                sum += i >= 0 && q - start[i] < size[i] ? i : -1;
            }
        }
        long t1 = System.nanoTime();
        System.out.println(mode + " " + (t1 - t0) + " ns " + sum);
    }
}
