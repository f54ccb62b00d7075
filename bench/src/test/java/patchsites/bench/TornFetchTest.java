package patchsites.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.OptionalLong;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import patchsites.isa.SiteKind;
import patchsites.model.Placement;
import patchsites.model.Verdict;
import patchsites.model.X86Policy;
import patchsites.model.X86_64Rules;

/**
 * The concurrency check of the model itself: reader threads fetch a call's rel32 while a writer
 * keeps re-targeting it with single stores. At a site the model calls atomic no fetch ever sees
 * a mix of the old and new displacement; at a misaligned site the same writer produces torn
 * values. (A demonstration within the model's memory semantics, {@link TextImage}; see
 * docs/runtime-model.md.)
 */
class TornFetchTest {
    private static final int OLD = 0x11223344, NEW = 0xeeddccbb;
    private static final X86_64Rules ALIGNED = new X86_64Rules(X86Policy.ALIGNED);

    @Test
    void atomicSiteNeverTears() throws Exception {
        int site = 0x103; // E8 at 0x103: rel32 at 0x104, 4-byte aligned
        assertEquals(Verdict.ATOMIC, verdict(site));
        Result r = race(site + 1, 2_000_000, false);
        assertEquals(0, r.torn, "torn fetches at an atomic site");
        assertTrue(r.sawOld && r.sawNew, "the writer must have been observed both ways");
    }

    @Test
    void misalignedSiteTears() throws Exception {
        int site = 0x100; // E8 at 0x100: rel32 at 0x101
        assertEquals(Verdict.BREAKPOINT, verdict(site));
        // Run until a torn value shows up (it does within milliseconds on two cores), or give up.
        Result r = race(site + 1, 200_000_000, true);
        assertTrue(r.torn > 0, "no torn fetch seen in " + r.fetches + " fetches of a misaligned field");
    }

    private static Verdict verdict(int site) {
        byte[] call = {(byte) 0xe8, 0, 0, 0, 0};
        return ALIGNED.assess(call, SiteKind.CALL, Placement.exact(site), OptionalLong.empty()).verdict();
    }

    private record Result(long torn, long fetches, boolean sawOld, boolean sawNew) {}

    private static Result race(int field, long maxFetches, boolean stopAtFirstTear) throws Exception {
        TextImage text = new TextImage(0x200);
        text.write32(field, OLD);
        AtomicBoolean stop = new AtomicBoolean(), started = new AtomicBoolean();
        Thread writer = new Thread(() -> {
            boolean flip = false;
            while (!stop.get()) {
                text.storeField32(field, flip ? OLD : NEW);
                flip = !flip;
                started.lazySet(true);
            }
        });
        AtomicLong torn = new AtomicLong(), fetches = new AtomicLong();
        AtomicBoolean sawOld = new AtomicBoolean(), sawNew = new AtomicBoolean();
        Thread reader = new Thread(() -> {
            long n = 0, t = 0;
            boolean o = false, w = false;
            while (!started.get()) {
                Thread.onSpinWait();
            }
            // On a loaded machine the threads may take turns: keep fetching (within a time bound)
            // until the writer has been seen both ways.
            long deadline = System.nanoTime() + 20_000_000_000L;
            for (; n < maxFetches || ((!o || !w) && System.nanoTime() < deadline); n++) {
                int v = text.fetchField32(field);
                if (v == OLD) {
                    o = true;
                } else if (v == NEW) {
                    w = true;
                } else {
                    t++;
                    if (stopAtFirstTear) {
                        n++;
                        break;
                    }
                }
            }
            torn.set(t);
            fetches.set(n);
            sawOld.set(o);
            sawNew.set(w);
        });
        writer.start();
        reader.start();
        reader.join(60_000);
        stop.set(true);
        writer.join();
        return new Result(torn.get(), fetches.get(), sawOld.get(), sawNew.get());
    }
}
