package patchsites.collector.elf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The function index's two sorts (packed longs, comparator) give the order a plain sort of
 * (section, start, rank, -symbol) tuples gives, ties between aliases included.
 */
class FunctionIndexOrderTest {
    @Test
    void packedAndComparatorSortsAgreeWithATupleSort() {
        Random r = new Random(42);
        int packedRounds = 0;
        for (int round = 0; round < 200; round++) {
            int n = r.nextInt(2000);
            int[] sec = new int[n], sym = new int[n];
            long[] at = new long[n];
            byte[] rank = new byte[n];
            int sections = 1 + r.nextInt(round % 2 == 0 ? 4 : 70_000);
            long span = round % 3 == 0 ? 64 : 1L << (1 + r.nextInt(round % 5 == 0 ? 62 : 40));
            for (int k = 0; k < n; k++) {
                sec[k] = 1 + r.nextInt(sections);
                at[k] = (r.nextLong() & Long.MAX_VALUE) % span; // small spans: many aliases at one address
                rank[k] = (byte) r.nextInt(3);
                sym[k] = k + 1;
            }
            List<Integer> expected = new ArrayList<>();
            for (int k = 0; k < n; k++) {
                expected.add(k);
            }
            expected.sort(Comparator.<Integer>comparingInt(k -> sec[k]).thenComparingLong(k -> at[k])
                    .thenComparingInt(k -> rank[k]).thenComparingInt(k -> -sym[k]));
            int[] want = expected.stream().mapToInt(Integer::intValue).toArray();
            int[] packed = FunctionIndex.packedRows(sec, at, rank, n);
            if (packed != null) {
                packedRounds++;
                assertArrayEquals(want, packed, "packed, round " + round);
            }
            assertArrayEquals(want, FunctionIndex.comparedRows(sec, at, rank, sym, n), "comparator, round " + round);
            assertArrayEquals(want, FunctionIndex.sortedRows(sec, at, rank, sym, n), "chosen, round " + round);
        }
        assertTrue(packedRounds > 100, "packed sort tried in " + packedRounds + " rounds only");
    }
}
