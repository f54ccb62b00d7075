package patchsites.isa;

import java.nio.ByteBuffer;

/**
 * One instruction set's direct branches: decode the one that starts at an offset, and write it
 * again with another destination. Knows bytes and addresses only (no ELF, no patching policy).
 */
public interface BranchCodec {
    /** The direct branch whose first byte is at {@code at}, or null. Reads nothing past the limit. */
    Branch decode(ByteBuffer code, int at);

    /**
     * Writes {@code displacement} into the branch {@code b} decoded at {@code at}; false, and
     * nothing written, when the encoding cannot hold it (out of reach or misaligned).
     */
    boolean encode(ByteBuffer code, int at, Branch b, long displacement);

    /** Where branch {@code b}, placed at {@code address}, goes. */
    default long destination(Branch b, long address) {
        return address + b.displacement();
    }

    /**
     * Makes the branch at {@code at}, placed at {@code address}, go to {@code target}; false when
     * there is no branch there or the encoding cannot reach.
     */
    default boolean retarget(ByteBuffer code, int at, long address, long target) {
        Branch b = decode(code, at);
        return b != null && encode(code, at, b, target - address);
    }
}
