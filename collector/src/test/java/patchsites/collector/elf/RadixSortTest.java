package patchsites.collector.elf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The radix sort orders keys as {@link Arrays#sort(long[])} does, for every width up to 63 bits. */
class RadixSortTest {
    @Test
    void sortsAsArraysSortDoes() {
        Random r = new Random(7);
        for (int round = 0; round < 300; round++) {
            int bits = round % 64;
            int n = r.nextInt(round % 3 == 0 ? 100 : 20_000);
            long[] keys = new long[n];
            for (int k = 0; k < n; k++) {
                long key = bits == 0 ? 0 : (r.nextLong() >>> (64 - bits));
                // Runs of shared high digits, shared low digits and duplicates, as packed keys have.
                keys[k] = round % 4 == 1 ? key & ~0x7ffL : round % 4 == 2 && k > 0 && r.nextBoolean() ? keys[k - 1] : key;
            }
            long[] want = keys.clone();
            Arrays.sort(want);
            RadixSort.sort(keys, bits, new long[n + r.nextInt(3)]);
            assertArrayEquals(want, keys, "round " + round + ", " + bits + " bits, " + n + " keys");
        }
    }
}
