package patchsites.isa;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * 32-bit ARM, A32 state: {@code B}/{@code BL}/{@code Bcc} (imm24 words from PC = instruction +
 * 8, ±32 MiB) and {@code BLX imm} (a call into Thumb; H, bit 24, adds a halfword). Instructions
 * are little-endian except in legacy BE32 objects, hence the byte order. Also the MOVW/MOVT
 * immediate, which the ELF reader needs for SHT_REL addends.
 */
public final class A32Codec implements BranchCodec {
    private static final int COND_ALWAYS = 0xe, UNCONDITIONAL = 0xf;
    private static final int B_MASK = 0x0e000000, B = 0x0a000000, LINK = 0x01000000, BLX_MASK = 0xfe000000,
            BLX = 0xfa000000;
    /** PC reads as the instruction + 8. */
    public static final int PC_OFFSET = 8;

    private final ByteOrder order;

    /** The codec for instructions in {@code order} (big-endian: BE32). */
    public A32Codec(ByteOrder order) {
        this.order = order;
    }

    @Override
    public Branch decode(ByteBuffer code, int at) {
        if (!Words.fits(code, at, 4)) {
            return null;
        }
        int i = Words.u32(code, at, order);
        int cond = i >>> 28;
        long imm = branchOffset(i);
        if (cond == UNCONDITIONAL && (i & BLX_MASK) == BLX) {
            return branch(SiteKind.CALL, imm + (((i >>> 24) & 1) << 1), true);
        }
        if (cond != UNCONDITIONAL && (i & B_MASK) == B) {
            boolean link = (i & LINK) != 0;
            return branch(link ? SiteKind.CALL : cond == COND_ALWAYS ? SiteKind.TAIL : SiteKind.COND_TAIL, imm, false);
        }
        return null;
    }

    private static Branch branch(SiteKind kind, long offset, boolean exchange) {
        return new Branch(kind, 4, 0, PC_OFFSET, offset + PC_OFFSET, 24, 4, exchange);
    }

    /** The imm24 of a branch word, sign-extended, in bytes: its SHT_REL addend. */
    public static long branchOffset(int insn) {
        return Words.field(insn, 0, 24) << 2;
    }

    /** The imm4:imm12 of a MOVW/MOVT word, sign-extended (AAELF 4.6.1.6). */
    public static long movImmediate(int insn) {
        return (short) (((insn >>> 16) & 0xf) << 12 | (insn & 0xfff));
    }

    @Override
    public boolean encode(ByteBuffer code, int at, Branch b, long d) {
        long v = d - PC_OFFSET;
        if ((v & (b.exchange() ? 1 : 3)) != 0 || !Words.fitsSigned(v >> 2, 24)) {
            return false;
        }
        int out = Words.withField(Words.u32(code, at, order), 0, 24, v >> 2);
        if (b.exchange()) {
            out = (out & ~LINK) | (int) (((v >> 1) & 1) << 24); // H
        }
        Words.put32(code, at, order, out);
        return true;
    }
}
