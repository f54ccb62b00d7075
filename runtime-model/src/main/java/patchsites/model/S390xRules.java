package patchsites.model;

/**
 * s390x: {@code brasl}/{@code brcl} (6 bytes, halfword displacement at +2, ±4 GiB) and {@code
 * bras}/{@code brc} (4 bytes, ±64 KiB). Linux never rewrites a live branch target: it writes the
 * displacement of {@code brcl 0} (a nop) and then flips the mask byte, followed by a sync on every
 * CPU. The model allows a single store where the displacement is a naturally aligned 32-bit word
 * (instruction ≡ 2 mod 4); the z/Architecture wording on concurrent instruction fetch is not
 * confirmed here.
 */
public final class S390xRules extends RiscRules {
    @Override
    public String arch() {
        return "s390x";
    }

    @Override
    public String policy() {
        return "s390x: one store when the 32-bit displacement is 4-byte aligned; else stop_machine"
                + " (Linux flips a brcl mask byte instead)";
    }

    @Override
    Form decode(byte[] b) {
        if (b.length < 4) {
            return null;
        }
        int op = b[0] & 0xff, op2 = b[1] & 0xff, low = op2 & 0xf, mask = op2 >>> 4;
        boolean wide = op == 0xc0;
        if (!wide && op != 0xa7) {
            return null;
        }
        SiteKind k = low == 5 ? SiteKind.CALL : low == 4 && mask != 0 ? (mask == 15 ? SiteKind.TAIL : SiteKind.COND_TAIL)
                : null;
        if (k == null || (wide && b.length < 6)) {
            return null;
        }
        long halfwords = wide ? be32(b, 2) : (short) (((b[2] & 0xff) << 8) | (b[3] & 0xff));
        return new Form(k, wide ? 6 : 4, halfwords * 2);
    }

    @Override
    byte[] encode(byte[] insn, long d) {
        boolean wide = (insn[0] & 0xff) == 0xc0;
        if ((d & 1) != 0 || !fits(d >> 1, wide ? 32 : 16)) {
            return null;
        }
        byte[] b = insn.clone();
        if (wide) {
            putBe32(b, 2, (int) (d >> 1));
        } else {
            b[2] = (byte) (d >> 9);
            b[3] = (byte) (d >> 1);
        }
        return b;
    }

    @Override
    Assessment concurrency(byte[] insn, byte[] after, Placement where) {
        int size = (insn[0] & 0xff) == 0xc0 ? 4 : 2;
        if (aligned(where, 2, size)) {
            return new Assessment(Verdict.ATOMIC, "displacement at +2 is one naturally aligned " + size * 8
                    + "-bit word: one store, then a serialising sync", 0, false);
        }
        return new Assessment(Verdict.STOP_MACHINE, "displacement at +2 is not naturally aligned", 0,
                where.sometimes(a -> ((a + 2) & (size - 1)) == 0));
    }

    @Override
    String rangeReason(byte[] insn) {
        return "target beyond ±" + ((insn[0] & 0xff) == 0xc0 ? "4 GiB" : "64 KiB") + ": needs a PLT entry";
    }
}
