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

    /** The low {@code bits} bits of {@code v}, sign-extended. */
    public static long signExtend(long v, int bits) {
        return (v << (64 - bits)) >> (64 - bits);
    }
}
