package patchsites.collector.scan;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/** The branch-end set answers floor() as a TreeSet does, whether the ends arrive in order or not. */
class BoundariesTest {
    @Test
    void floorAgreesWithATreeSetInAnyArrivalOrder() {
        Random r = new Random(3);
        Boundaries b = new Boundaries();
        for (int round = 0; round < 100; round++) {
            b.clear();
            TreeSet<Long> reference = new TreeSet<>();
            long next = 0;
            for (int k = 0; k < 500; k++) {
                // Mostly ascending (relocations in address order), now and then one from before.
                long end = r.nextInt(10) == 0 ? r.nextInt(1000) : (next += 1 + r.nextInt(8));
                b.add(end);
                reference.add(end);
                long q = r.nextInt((int) next + 20);
                Long want = reference.floor(q);
                assertEquals(want == null ? -1 : want, b.floor(q), "floor(" + q + ") after " + k + " ends");
            }
        }
    }
}
