package patchsites.collector.elf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The function index's two sorts (packed longs, comparator) give the order a plain sort of
 * (section, start, rank, -symbol) tuples gives, ties between aliases included, and carry each
 * row's section and start with its symbol.
 */
class FunctionIndexOrderTest {
    @Test
    void packedAndComparatorSortsAgreeWithATupleSort() {
        Random r = new Random(42);
        int packedRounds = 0;
        for (int round = 0; round < 200; round++) {
            int n = r.nextInt(6000); // past RadixSort.MIN_KEYS as well as below it
            int[] sec = new int[n], sym = new int[n];
            long[] at = new long[n];
            byte[] rank = new byte[n];
            int sections = 1 + r.nextInt(round % 2 == 0 ? 4 : 70_000);
            long span = round % 3 == 0 ? 64 : 1L << (1 + r.nextInt(round % 5 == 0 ? 62 : 40));
            for (int k = 0; k < n; k++) {
                sec[k] = 1 + r.nextInt(sections);
                at[k] = (r.nextLong() & Long.MAX_VALUE) % span; // small spans: many aliases at one address
                rank[k] = (byte) r.nextInt(3);
                sym[k] = (k == 0 ? 0 : sym[k - 1]) + 1 + r.nextInt(3); // ascending, with the gaps of other symbols
            }
            List<Integer> expected = new ArrayList<>();
            for (int k = 0; k < n; k++) {
                expected.add(k);
            }
            expected.sort(Comparator.<Integer>comparingInt(k -> sec[k]).thenComparingLong(k -> at[k])
                    .thenComparingInt(k -> rank[k]).thenComparingInt(k -> -sym[k]));
            int[] want = expected.stream().mapToInt(Integer::intValue).toArray();
            int[] packedSec = sec.clone(), packedSym = sym.clone();
            long[] packedAt = at.clone();
            if (FunctionIndex.sortPacked(packedSec, packedAt, rank, packedSym, n)) {
                packedRounds++;
                assertRows(want, sym, sec, at, packedSec, packedAt, packedSym, "packed, round " + round);
            } else {
                assertArrayEquals(sym, packedSym, "unpackable rows left as they were, round " + round);
            }
            int[] comparedSec = sec.clone(), comparedSym = sym.clone();
            long[] comparedAt = at.clone();
            FunctionIndex.sortCompared(comparedSec, comparedAt, rank, comparedSym, n);
            assertRows(want, sym, sec, at, comparedSec, comparedAt, comparedSym, "comparator, round " + round);
            int[] chosenSec = sec.clone(), chosenSym = sym.clone();
            long[] chosenAt = at.clone();
            FunctionIndex.sortRows(chosenSec, chosenAt, rank, chosenSym, n);
            assertRows(want, sym, sec, at, chosenSec, chosenAt, chosenSym, "chosen, round " + round);
        }
        assertTrue(packedRounds > 100, "packed sort tried in " + packedRounds + " rounds only");
    }

    /** Sorted row k holds the columns of original row want[k]: its symbol, section and start. */
    private static void assertRows(int[] want, int[] sym, int[] sec, long[] at, int[] sortedSec, long[] sortedAt,
            int[] sortedSym, String what) {
        int[] rows = new int[want.length];
        for (int k = 0; k < want.length; k++) {
            rows[k] = Arrays.binarySearch(sym, sortedSym[k]);
        }
        assertArrayEquals(want, rows, what);
        for (int k = 0; k < want.length; k++) {
            assertEquals(sec[want[k]], sortedSec[k], what + ", section of row " + k);
            assertEquals(at[want[k]], sortedAt[k], what + ", start of row " + k);
        }
    }
}
