package patchsites.model;

import java.nio.ByteOrder;
import patchsites.isa.Branch;
import patchsites.isa.PowerCodec;
import patchsites.isa.SiteKind;

/**
 * 64-bit PowerPC, ELFv2 and ELFv1: see {@link PowerRules}. A call to another TOC needs the
 * {@code nop} after {@code bl} to become {@code ld r2,24(r1)} (40 on ELFv1) and a stub that saves
 * r2: such a site is the 8-byte pair {@code bl; nop}. A {@code bl} without that slot (a local call
 * the compiler knew shares the TOC, or pcrel code) may only be re-targeted to a function that
 * shares this TOC (or needs no TOC): the verdict says so.
 */
public final class Ppc64Rules extends PowerRules {
    public Ppc64Rules(boolean littleEndian, boolean elfV2) {
        super(new PowerCodec(littleEndian ? ByteOrder.LITTLE_ENDIAN : ByteOrder.BIG_ENDIAN, true), "ppc64",
                "ppc64 " + (elfV2 ? "ELFv2" : "ELFv1"));
    }

    @Override
    Assessment concurrency(byte[] insn, Branch b, byte[] after, Placement where) {
        Assessment a = super.concurrency(insn, b, after, where);
        if (a.verdict() == Verdict.ATOMIC && b.kind() == SiteKind.CALL && b.length() == 4) {
            return new Assessment(a.verdict(), a.reason() + "; no TOC-restore nop after bl: only to a function sharing"
                    + " this TOC", 0, false);
        }
        return a;
    }
}
