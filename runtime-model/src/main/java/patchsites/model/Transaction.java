package patchsites.model;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * A set of sites to re-target together, and what it costs in cross-CPU synchronisation.
 *
 * <p>Linux's {@code __static_call_update()} patches its sites one {@code text_poke_bp()} at a
 * time, 3 sync rounds each; jump labels queue sites with {@code text_poke_queue()} and pay 3
 * rounds per batch of up to {@link #BATCH} sites ({@code TP_VEC_MAX}: a page of 16-byte
 * {@code struct text_poke_loc}). Sites that one store may patch cost no round at all: other CPUs
 * see the old or the new instruction, whichever they fetch.
 */
public final class Transaction {
    /** TP_VEC_MAX in 6.1: PAGE_SIZE / sizeof(struct text_poke_loc). */
    public static final int BATCH = 256;

    /** One site of the transaction. */
    public record Step(long address, byte[] before, byte[] after, Assessment assessment) {}

    private final List<Step> steps = new ArrayList<>();

    public void add(Step s) {
        steps.add(s);
    }

    public List<Step> steps() {
        return steps;
    }

    public Map<Verdict, Integer> byVerdict() {
        Map<Verdict, Integer> m = new EnumMap<>(Verdict.class);
        for (Step s : steps) {
            m.merge(s.assessment().verdict(), 1, Integer::sum);
        }
        return m;
    }

    /** Whether every site can be patched at all (none invalid or out of range). */
    public boolean feasible() {
        for (Step s : steps) {
            Verdict v = s.assessment().verdict();
            if (v == Verdict.INVALID || v == Verdict.OUT_OF_RANGE) {
                return false;
            }
        }
        return true;
    }


    /** Sync rounds when every breakpoint site is patched on its own (static_call_update). */
    public long roundsOneByOne() {
        long r = 0;
        for (Step s : steps) {
            r += s.assessment().syncRounds();
        }
        return r;
    }

    /** Sync rounds when breakpoint sites are batched like text_poke_queue/text_poke_finish. */
    public long roundsBatched() {
        int n = 0, perBatch = 0;
        for (Step s : steps) {
            if (s.assessment().verdict() == Verdict.BREAKPOINT) {
                n++;
                perBatch = Math.max(perBatch, s.assessment().syncRounds());
            }
        }
        return (long) perBatch * ((n + BATCH - 1) / BATCH);
    }

    /** Stop-machine rounds: one per transaction when any site needs it. */
    public int stopMachineRounds() {
        return byVerdict().getOrDefault(Verdict.STOP_MACHINE, 0) > 0 ? 1 : 0;
    }
}
