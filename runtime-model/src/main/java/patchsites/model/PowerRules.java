package patchsites.model;

import patchsites.isa.Branch;
import patchsites.isa.PowerCodec;

/**
 * The Power ISA's branches, for ppc32 and ppc64: I-form {@code b}/{@code bl} (LI, ±32 MiB),
 * B-form {@code bc} (BD, ±32 KiB). Linux's {@code patch_instruction()} writes one aligned 32-bit
 * word and then {@code dcbst; sync; icbi; sync; isync}; static calls, jump labels and ftrace all
 * use it, without stop_machine.
 */
abstract class PowerRules extends BranchRules {
    /** {@code name}: what the policy line starts with ("ppc64 ELFv2"). */
    PowerRules(PowerCodec codec, String policyId, String name) {
        super(codec, policyId, name + ": one aligned 32-bit store + cache flush (patch_instruction)", "a stub or trampoline");
    }

    @Override
    Assessment concurrency(byte[] insn, Branch b, byte[] after, Placement where) {
        return alignedWordStore(where, 0, "one aligned 32-bit store, then dcbst/sync/icbi/isync (patch_instruction)");
    }
}
