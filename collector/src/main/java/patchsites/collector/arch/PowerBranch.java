package patchsites.collector.arch;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import patchsites.model.SiteKind;

/** The Power ISA's direct branches, shared by ppc32 and ppc64: I-form {@code b/bl}, B-form {@code bc}. */
final class PowerBranch {
    static final int NOP = 0x60000000;

    private PowerBranch() {}

    /**
     * Decodes the word at {@code field}: {@code iForm} for REL24-style relocations (opcode 18),
     * else B-form (opcode 16). Absolute (AA) forms are not sites.
     */
    static SiteKind decode(ByteBuffer text, long field, ByteOrder order, boolean iForm) {
        if ((field & 3) != 0 || !Words.fits(text, field, 4)) {
            return null;
        }
        int insn = Words.u32(text, field, order);
        int op = insn >>> 26;
        boolean link = (insn & 1) != 0, absolute = (insn & 2) != 0;
        if (absolute) {
            return null;
        }
        if (iForm) {
            return op == 18 ? (link ? SiteKind.CALL : SiteKind.TAIL) : null;
        }
        if (op != 16) {
            return null;
        }
        int bo = (insn >>> 21) & 0x1f;
        boolean always = (bo & 0x14) == 0x14;
        return link ? SiteKind.CALL : always ? SiteKind.TAIL : SiteKind.COND_TAIL;
    }

    static boolean nopFollows(ByteBuffer text, long field, ByteOrder order) {
        return Words.fits(text, field + 4, 4) && Words.u32(text, field + 4, order) == NOP;
    }
}
