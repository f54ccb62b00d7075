package patchsites.collector.arch;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** Instruction-word reads in a stated byte order, bounds-checked: out of range reads as absent. */
final class Words {
    private Words() {}

    static boolean fits(ByteBuffer b, long at, int n) {
        return at >= 0 && at <= b.limit() - n;
    }

    static int u32(ByteBuffer b, long at, ByteOrder order) {
        int v = b.getInt((int) at);
        return b.order() == order ? v : Integer.reverseBytes(v);
    }

    static int u16(ByteBuffer b, long at, ByteOrder order) {
        short v = b.getShort((int) at);
        return (b.order() == order ? v : Short.reverseBytes(v)) & 0xffff;
    }
}
