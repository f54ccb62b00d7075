package patchsites.model;

import java.util.function.LongPredicate;

/**
 * Where a site is, as far as it is known. In a linked program the address is final; in a
 * relocatable object only the offset in its section is, and the section may be placed at any
 * multiple of its {@code sh_addralign}. A property of the address that depends only on the
 * address modulo 64 (every alignment rule here does) is decided by trying every residue.
 */
public final class Placement {
    /** The largest modulus any rule looks at: a cache line. */
    private static final int MAX_MODULUS = 64;

    private final long address;
    private final long alignment; // 0: the address is final

    private Placement(long address, long alignment) {
        this.address = address;
        this.alignment = alignment;
    }

    /** A final address (ET_EXEC / ET_DYN, or a running kernel). */
    public static Placement exact(long address) {
        return new Placement(address, 0);
    }

    /** Offset in a section that will be placed at a multiple of {@code sectionAlign} (0 or 1: anywhere). */
    public static Placement relocatable(long offset, long sectionAlign) {
        return new Placement(offset, Math.max(1, sectionAlign));
    }

    public boolean isExact() {
        return alignment == 0;
    }

    /** The final address, or the offset in its section when not exact. */
    public long address() {
        return address;
    }

    public long sectionAlignment() {
        return alignment;
    }

    /** Every possible address of the site, modulo 64, satisfies {@code p}: none fails it. */
    public boolean always(LongPredicate p) {
        return !sometimes(p.negate());
    }

    /** Some possible address satisfies {@code p}. */
    public boolean sometimes(LongPredicate p) {
        if (isExact()) {
            return p.test(address);
        }
        for (int k = 0; k < MAX_MODULUS; k++) {
            if (p.test(address + k * alignment)) {
                return true;
            }
        }
        return false;
    }

    @Override
    public String toString() {
        return isExact() ? "0x" + Long.toHexString(address)
                : "offset 0x" + Long.toHexString(address) + " in a section aligned to " + alignment;
    }
}
