package patchsites.model;

import java.nio.ByteOrder;
import patchsites.isa.PowerCodec;

/** 32-bit PowerPC (big-endian): see {@link PowerRules}. No TOC, so any target in reach will do. */
public final class Ppc32Rules extends PowerRules {
    public Ppc32Rules() {
        super(new PowerCodec(ByteOrder.BIG_ENDIAN, false));
    }

    @Override
    public String policyId() {
        return "ppc32";
    }

    @Override
    public String policy() {
        return "ppc32: one aligned 32-bit store + cache flush (patch_instruction)";
    }
}
