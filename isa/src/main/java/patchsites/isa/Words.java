package patchsites.isa;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Instruction-word reads and writes at absolute offsets in a stated byte order, whatever the
 * buffer's own order. Reads are bounds-checked by the caller with {@link #fits}.
 */
public final class Words {
    private Words() {}

    public static boolean fits(ByteBuffer b, long at, int n) {
        return at >= 0 && at <= b.limit() - n;
    }

    public static int u32(ByteBuffer b, long at, ByteOrder order) {
        int v = b.getInt((int) at);
        return b.order() == order ? v : Integer.reverseBytes(v);
    }

    public static int u16(ByteBuffer b, long at, ByteOrder order) {
        short v = b.getShort((int) at);
        return (b.order() == order ? v : Short.reverseBytes(v)) & 0xffff;
    }

    public static void put32(ByteBuffer b, int at, ByteOrder order, int v) {
        b.putInt(at, b.order() == order ? v : Integer.reverseBytes(v));
    }

    public static void put16(ByteBuffer b, int at, ByteOrder order, int v) {
        short s = (short) v;
        b.putShort(at, b.order() == order ? s : Short.reverseBytes(s));
    }

    /** Whether {@code v} is representable as a {@code bits}-bit two's-complement number. */
    public static boolean fitsSigned(long v, int bits) {
        return v >= -(1L << (bits - 1)) && v < (1L << (bits - 1));
    }

    /**
     * Whether {@code v} is a multiple of {@code scale} (a power of two) whose quotient is
     * representable in {@code bits} bits: what a displacement field of {@code bits} bits, in units
     * of {@code scale} bytes, holds.
     */
    public static boolean fitsScaled(long v, int scale, int bits) {
        return (v & (scale - 1)) == 0 && fitsSigned(v >> Integer.numberOfTrailingZeros(scale), bits);
    }

    /** The low {@code bits} bits of {@code v}, sign-extended. */
    public static long signExtend(long v, int bits) {
        return (v << (64 - bits)) >> (64 - bits);
    }

    /** The {@code bits}-bit field at bit {@code shift} of an instruction word, sign-extended. */
    public static long field(int word, int shift, int bits) {
        return signExtend(word >>> shift, bits);
    }

    /** {@code word} with its {@code bits}-bit field at bit {@code shift} replaced by the low bits of {@code v}. */
    public static int withField(int word, int shift, int bits, long v) {
        int mask = (int) ((1L << bits) - 1) << shift;
        return (word & ~mask) | ((int) v << shift & mask);
    }

    /**
     * An immediate scattered over an instruction word (RISC-V, Thumb-2), not sign-extended:
     * {@code pieces} are triples of where a piece sits in the word (bit), its width, and which
     * bit of the immediate it holds. The layout is written once for {@link #withScattered} too.
     */
    public static long scattered(int word, int[] pieces) {
        long v = 0;
        for (int k = 0; k < pieces.length; k += 3) {
            v |= (long) ((word >>> pieces[k]) & ((1 << pieces[k + 1]) - 1)) << pieces[k + 2];
        }
        return v;
    }

    /** {@code word} with the immediate that {@link #scattered} reads replaced by {@code v}. */
    public static int withScattered(int word, int[] pieces, long v) {
        for (int k = 0; k < pieces.length; k += 3) {
            word = withField(word, pieces[k], pieces[k + 1], v >> pieces[k + 2]);
        }
        return word;
    }
}
