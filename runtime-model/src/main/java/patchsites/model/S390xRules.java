package patchsites.model;

import patchsites.isa.Branch;
import patchsites.isa.S390xCodec;

/**
 * s390x: {@code brasl}/{@code brcl} (6 bytes, halfword displacement at +2, ±4 GiB) and {@code
 * bras}/{@code brc} (4 bytes, ±64 KiB). Linux never rewrites a live branch target: it writes the
 * displacement of {@code brcl 0} (a nop) and then flips the mask byte, followed by a sync on every
 * CPU. The model allows a single store where the displacement is a naturally aligned 32-bit word
 * (instruction ≡ 2 mod 4); the z/Architecture wording on concurrent instruction fetch is not
 * confirmed here.
 */
public final class S390xRules extends BranchRules {
    public S390xRules() {
        super(S390xCodec.INSTANCE, "s390x", "s390x: one store when the 32-bit displacement is 4-byte aligned;"
                + " else stop_machine (Linux flips a brcl mask byte instead)", "a PLT entry");
    }

    @Override
    Assessment concurrency(byte[] insn, Branch b, byte[] after, Placement where) {
        int size = b.fieldBits() / 8, at = b.fieldOffset();
        if (aligned(where, at, size)) {
            return new Assessment(Verdict.ATOMIC, "displacement at +" + at + " is one naturally aligned " + size * 8
                    + "-bit word: one store, then a serialising sync", 0, false);
        }
        return new Assessment(Verdict.STOP_MACHINE, "displacement at +" + at + " is not naturally aligned", 0,
                where.sometimes(a -> ((a + at) & (size - 1)) == 0));
    }
}
