package patchsites.model;

/**
 * The Power ISA's branches, for ppc32 and ppc64: I-form {@code b}/{@code bl} (LI, ±32 MiB),
 * B-form {@code bc} (BD, ±32 KiB). Linux's {@code patch_instruction()} writes one aligned 32-bit
 * word and then {@code dcbst; sync; icbi; sync; isync}; static calls, jump labels and ftrace all
 * use it, without stop_machine.
 */
abstract class PowerRules extends RiscRules {
    private final boolean littleEndian;

    PowerRules(boolean littleEndian) {
        this.littleEndian = littleEndian;
    }

    int word(byte[] b, int at) {
        return littleEndian ? le32(b, at) : be32(b, at);
    }

    void putWord(byte[] b, int at, int v) {
        if (littleEndian) {
            putLe32(b, at, v);
        } else {
            putBe32(b, at, v);
        }
    }

    /** The branch word alone (4 bytes) or, for a call followed by the TOC-restore nop, 8. */
    int lengthOf(byte[] b, SiteKind kind) {
        return 4;
    }

    @Override
    Form decode(byte[] b) {
        if (b.length < 4) {
            return null;
        }
        int i = word(b, 0);
        int op = i >>> 26;
        if ((i & 2) != 0) {
            return null; // absolute
        }
        boolean link = (i & 1) != 0;
        if (op == 18) {
            SiteKind k = link ? SiteKind.CALL : SiteKind.TAIL;
            return new Form(k, lengthOf(b, k), sext(i & 0x03fffffc, 26));
        }
        if (op == 16) {
            boolean always = (((i >>> 21) & 0x1f) & 0x14) == 0x14;
            SiteKind k = link ? SiteKind.CALL : always ? SiteKind.TAIL : SiteKind.COND_TAIL;
            return new Form(k, lengthOf(b, k), sext(i & 0xfffc, 16));
        }
        return null;
    }

    @Override
    byte[] encode(byte[] insn, long d) {
        int i = word(insn, 0);
        boolean iForm = (i >>> 26) == 18;
        if ((d & 3) != 0 || !fits(d, iForm ? 26 : 16)) {
            return null;
        }
        int out = iForm ? (i & 0xfc000003) | ((int) d & 0x03fffffc) : (i & 0xffff0003) | ((int) d & 0xfffc);
        byte[] b = insn.clone();
        putWord(b, 0, out);
        return b;
    }

    @Override
    Assessment concurrency(byte[] insn, byte[] after, Placement where) {
        if (!aligned(where, 0, 4)) {
            return new Assessment(Verdict.STOP_MACHINE, "instruction is not 4-byte aligned", 0, false);
        }
        return new Assessment(Verdict.ATOMIC, "one aligned 32-bit store, then dcbst/sync/icbi/isync (patch_instruction)",
                0, false);
    }

    @Override
    String rangeReason(byte[] insn) {
        boolean iForm = (word(insn, 0) >>> 26) == 18;
        return "target beyond ±" + (iForm ? "32 MiB" : "32 KiB") + ": needs a stub or trampoline";
    }
}
