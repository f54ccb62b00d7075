package patchsites.model;

import java.nio.ByteOrder;
import patchsites.isa.PowerCodec;

/** 32-bit PowerPC (big-endian): see {@link PowerRules}. No TOC, so any target in reach will do. */
public final class Ppc32Rules extends PowerRules {
    public Ppc32Rules() {
        super(new PowerCodec(ByteOrder.BIG_ENDIAN, false), "ppc32", "ppc32");
    }
}
