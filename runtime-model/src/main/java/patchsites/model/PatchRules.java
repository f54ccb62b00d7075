package patchsites.model;

import java.util.OptionalLong;
import patchsites.isa.SiteKind;

/**
 * One architecture's rules for re-targeting a direct call or jump in place. Implementations
 * know the instruction encodings and the concurrent-modification guarantees; they know nothing
 * of object files.
 */
public interface PatchRules {
    /** A one-line description of the policy in force, printed with every report. */
    String policy();

    /**
     * The policy in force as an id for programs (JSON's {@code policy}; {@link #policy} is the
     * same in words): {@code x86-} and the {@code --x86-policy} on x86, where there is a choice,
     * else the one rule of the architecture, named by it ({@code arm64}, {@code ppc64}, ...).
     */
    String policyId();

    /**
     * What re-targeting {@code insn} (the site's bytes, exactly its length) of kind {@code kind}
     * at {@code where} takes. With {@code newTarget} and an exact placement the branch range is
     * checked too.
     */
    Assessment assess(byte[] insn, SiteKind kind, Placement where, OptionalLong newTarget);

    /**
     * Length of the patchable branch that starts at {@code bytes[0]} (prefixes included), or -1
     * when none does; {@code bytes} may run past the instruction.
     */
    int branchLength(byte[] bytes);

    /** The kind the bytes encode, or null when they are not a direct call/jump this arch patches. */
    SiteKind decodeKind(byte[] insn);

    /** The branch target encoded in {@code insn} at final address {@code address}. */
    long target(byte[] insn, long address);

    /** The bytes of {@code insn} at {@code address} re-targeted to {@code newTarget}; same length, same kind. */
    byte[] retarget(byte[] insn, long address, long newTarget);

    /**
     * What a transaction of these sites costs in cross-CPU synchronisation, in this architecture's
     * kernel terms (plan prints it). Without breakpoint patching there is no batching to speak of:
     * the sites' own sync rounds and whether the transaction needs a stop_machine.
     */
    default String syncRounds(Transaction tx) {
        StringBuilder sb = new StringBuilder("sync rounds: ").append(tx.roundsOneByOne());
        if (tx.stopMachineRounds() > 0) {
            sb.append(", plus ").append(tx.stopMachineRounds()).append(" stop_machine for the whole transaction");
        }
        return sb.toString();
    }

    /**
     * The rules for code in the instruction set an ELF mapping symbol names at the site ('a' ARM,
     * 't' Thumb, 0 unknown). Only 32-bit ARM needs it: the same four bytes can be an A32 and a
     * Thumb branch. Everywhere else, this.
     */
    default PatchRules forState(char mapping) {
        return this;
    }
}
