package patchsites.isa;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * 32-bit ARM, Thumb-2 state: two halfwords, {@code BL}/{@code BLX imm} and {@code B.W} (T4,
 * S:I1:I2:imm10:imm11, ±16 MiB) and {@code Bcc.W} (T3, S:J2:J1:imm6:imm11, ±1 MiB), from PC =
 * instruction + 4. {@code BLX imm} (a call into ARM code) counts from Align(PC, 4), so its
 * destination depends on the address. Halfwords are little-endian except in BE32 objects. Also
 * the MOVW/MOVT immediate, which the ELF reader needs for SHT_REL addends.
 */
public final class ThumbCodec implements BranchCodec {
    private static final int PREFIX_MASK = 0xf800, PREFIX = 0xf000, FORM_MASK = 0xd000, BL = 0xd000, BLX = 0xc000,
            B_W = 0x9000, BCC_W = 0x8000;
    /**
     * The offsets' layouts in the two halfwords read as one word, first halfword high ({@link
     * Words#scattered}): T4 S:J1:J2:imm10:imm11 (J1 and J2 stand for I1 and I2, see {@link #flipJ}),
     * T3 S:J2:J1:imm6:imm11.
     */
    private static final int[] T4 = {26, 1, 24, 13, 1, 23, 11, 1, 22, 16, 10, 12, 0, 11, 1},
            T3 = {26, 1, 20, 11, 1, 19, 13, 1, 18, 16, 6, 12, 0, 11, 1};
    /** Conditions 14 and 15 in a T3 word are other encodings. */
    private static final int FIRST_NON_CONDITION = 14;
    /** PC reads as the instruction + 4. */
    public static final int PC_OFFSET = 4;

    private final ByteOrder order;

    /** The codec for halfwords in {@code order} (big-endian: BE32). */
    public ThumbCodec(ByteOrder order) {
        this.order = order;
    }

    @Override
    public Branch decode(ByteBuffer code, int at) {
        if (!Words.fits(code, at, 4)) {
            return null;
        }
        int hw1 = Words.u16(code, at, order), hw2 = Words.u16(code, at + 2, order);
        if ((hw1 & PREFIX_MASK) != PREFIX) {
            return null;
        }
        switch (hw2 & FORM_MASK) {
            case BLX:
                if ((hw2 & 1) != 0) { // H must be 0
                    return null;
                }
                return branch(SiteKind.CALL, branchOffset(hw1, hw2), 24, true);
            case BL:
                return branch(SiteKind.CALL, branchOffset(hw1, hw2), 24, false);
            case B_W:
                return branch(SiteKind.TAIL, branchOffset(hw1, hw2), 24, false);
            case BCC_W:
                if (((hw1 >> 6) & 0xf) >= FIRST_NON_CONDITION) {
                    return null;
                }
                return branch(SiteKind.COND_TAIL, conditionalOffset(hw1, hw2), 20, false);
            default:
                return null;
        }
    }

    private static Branch branch(SiteKind kind, long offset, int bits, boolean exchange) {
        return new Branch(kind, 4, 0, PC_OFFSET, offset + PC_OFFSET, bits, 2, exchange);
    }

    /** S:I1:I2:imm10:imm11 of BL/BLX/B.W in bytes, sign-extended (I = NOT(J xor S)): the SHT_REL addend. */
    public static long branchOffset(int hw1, int hw2) {
        return Words.signExtend(flipJ(Words.scattered(hw1 << 16 | hw2, T4)), 25);
    }

    /** S:J2:J1:imm6:imm11 of Bcc.W in bytes, sign-extended: the SHT_REL addend. */
    public static long conditionalOffset(int hw1, int hw2) {
        return Words.signExtend(Words.scattered(hw1 << 16 | hw2, T3), 21);
    }

    /** T4 stores J = NOT(I xor S) where the offset has I: with S clear the two bits read inverted. Its own inverse. */
    private static long flipJ(long offset) {
        return (offset & (1L << 24)) != 0 ? offset : offset ^ (3L << 22);
    }

    /** imm4:i:imm3:imm8 of a Thumb MOVW/MOVT, sign-extended. */
    public static long movImmediate(int hw1, int hw2) {
        return (short) ((hw1 & 0xf) << 12 | ((hw1 >> 10) & 1) << 11 | ((hw2 >> 12) & 7) << 8 | (hw2 & 0xff));
    }

    @Override
    public long destination(Branch b, long address) {
        // BLX: PC is Align(address + 4, 4), i.e. address + 4 - (address & 2).
        return b.exchange() ? address + b.displacement() - (address & 2) : address + b.displacement();
    }

    @Override
    public boolean retarget(ByteBuffer code, int at, long address, long target) {
        Branch b = decode(code, at);
        if (b == null) {
            return false;
        }
        if (!b.exchange()) {
            return encode(code, at, b, target - address);
        }
        long d = target - address + (address & 2); // as if from a 4-aligned address
        return (d & 3) == 0 && encode(code, at, b, d);
    }

    @Override
    public boolean encode(ByteBuffer code, int at, Branch b, long d) {
        long v = d - PC_OFFSET;
        if ((v & 1) != 0 || !Words.fitsSigned(v, b.fieldBits() + 1)) {
            return false;
        }
        int w = Words.u16(code, at, order) << 16 | Words.u16(code, at + 2, order);
        w = b.kind() == SiteKind.COND_TAIL ? Words.withScattered(w, T3, v) : Words.withScattered(w, T4, flipJ(v));
        Words.put16(code, at, order, w >>> 16);
        Words.put16(code, at + 2, order, w);
        return true;
    }
}
