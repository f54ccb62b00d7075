package patchsites.model;

import java.util.function.LongPredicate;
import patchsites.isa.Branch;
import patchsites.isa.X86Codec;

/**
 * x86-64: {@code E8 rel32} call, {@code E9 rel32} jmp, {@code 0F 80+cc rel32} jcc, possibly
 * behind CS/DS/BND prefixes. Re-targeting changes only the rel32 field.
 *
 * <p>Linux (6.1 and newer) never relies on alignment: {@code text_poke_bp()} writes INT3 over
 * the first byte, then the rest, then the first byte again, with an IPI that runs
 * {@code sync_core()} on every CPU after each step: 3 rounds per site. Intel documents no
 * fetch-side atomicity for unsynchronised cross-modifying code; AMD's APM allows a single
 * store contained in a naturally aligned quadword. Which policy applies is the caller's choice.
 */
public class X86_64Rules extends BranchRules {
    /** text_poke_bp: INT3, then bytes 1..n, then byte 0, each followed by a sync round. */
    public static final int BREAKPOINT_SYNC_ROUNDS = 3;

    private final X86Policy policy;

    public X86_64Rules(X86Policy policy) {
        this(policy, X86Codec.X86_64);
    }

    X86_64Rules(X86Policy policy, X86Codec codec) {
        super(codec, "x86-" + policy.label(), policyText(policy), "a trampoline");
        this.policy = policy;
    }

    /**
     * x86 patches breakpoint sites one at a time ({@code __static_call_update()}) or queued
     * ({@code text_poke_queue()}, {@link Transaction#BATCH} per batch): both costs.
     */
    @Override
    public String syncRounds(Transaction tx) {
        StringBuilder sb = new StringBuilder("sync rounds: ").append(tx.roundsOneByOne())
                .append(" one site at a time (static_call_update), ").append(tx.roundsBatched())
                .append(" batched (text_poke_queue, ").append(Transaction.BATCH).append(" per batch)");
        if (tx.stopMachineRounds() > 0) {
            sb.append(", plus ").append(tx.stopMachineRounds()).append(" stop_machine for the whole transaction");
        }
        return sb.toString();
    }

    private static String policyText(X86Policy policy) {
        switch (policy) {
            case LINUX: return "x86 policy linux: every site through the INT3 protocol, as Linux does";
            case ALIGNED: return "x86 policy aligned: one store when the rel32 field is 4-byte aligned (Lutomirski; AMD aligned-quadword rule)";
            default: return "x86 policy cacheline: one store when the rel32 field does not cross a 64-byte line (P6+ store atomicity)";
        }
    }

    @Override
    String branchForms() {
        return "a call/jmp/jcc rel32";
    }

    @Override
    String rangeReason(Branch b, long displacement) {
        return "new target is " + (displacement - b.length()) + " bytes away, beyond rel32's ±2 GiB: needs a trampoline";
    }

    @Override
    Assessment concurrency(byte[] insn, Branch b, byte[] after, Placement where) {
        int field = b.fieldOffset();
        String breakpoint = "text_poke_bp: INT3, rest, first byte, " + BREAKPOINT_SYNC_ROUNDS + " sync rounds";
        if (policy == X86Policy.LINUX) {
            return new Assessment(Verdict.BREAKPOINT, "Linux patches every x86 site with " + breakpoint,
                    BREAKPOINT_SYNC_ROUNDS, false);
        }
        LongPredicate ok = policy == X86Policy.ALIGNED ? a -> ((a + field) & 3) == 0 : a -> ((a + field) & 63) <= 60;
        String unit = policy == X86Policy.ALIGNED ? "4-byte aligned" : "within one 64-byte line";
        if (where.always(ok)) {
            return new Assessment(Verdict.ATOMIC, "rel32 at +" + field + " is " + unit + ": one store", 0, false);
        }
        if (where.sometimes(ok)) {
            return new Assessment(Verdict.BREAKPOINT, "rel32 at +" + field + " is " + unit
                    + " only for some placements of a section aligned to " + where.sectionAlignment() + "; "
                    + breakpoint, BREAKPOINT_SYNC_ROUNDS, true);
        }
        return new Assessment(Verdict.BREAKPOINT, "rel32 at +" + field + " is not " + unit + "; " + breakpoint,
                BREAKPOINT_SYNC_ROUNDS, false);
    }
}
