package patchsites.model;

import java.util.OptionalLong;

/**
 * The common shape of the fixed-width ISAs' rules: decode a direct branch, read and rewrite its
 * displacement, and let the architecture say what changing it takes. Subclasses describe the
 * encodings; {@link #concurrency} holds the architecture's cross-modification rule.
 */
abstract class RiscRules implements PatchRules {
    /** The decoded site: kind, length and displacement (target - address). */
    record Form(SiteKind kind, int length, long displacement) {}

    /** Decodes the branch at the start of {@code bytes}, or null. */
    abstract Form decode(byte[] bytes);

    /** {@code insn} with its displacement replaced, or null when {@code displacement} is out of reach. */
    abstract byte[] encode(byte[] insn, long displacement);

    /** Verdict for changing {@code insn} at {@code where}; {@code newInsn} is known when the new target is. */
    abstract Assessment concurrency(byte[] insn, byte[] newInsn, Placement where);

    /** A one-line reason for an out-of-range target. */
    abstract String rangeReason(byte[] insn);

    @Override
    public int branchLength(byte[] bytes) {
        Form f = decode(bytes);
        return f == null ? -1 : f.length();
    }

    @Override
    public SiteKind decodeKind(byte[] insn) {
        Form f = decode(insn);
        return f == null || f.length() != insn.length ? null : f.kind();
    }

    @Override
    public Assessment assess(byte[] insn, SiteKind kind, Placement where, OptionalLong newTarget) {
        Form f = decode(insn);
        if (f == null || f.length() != insn.length) {
            return Assessment.invalid("bytes " + hex(insn) + " are not a direct branch this architecture patches");
        }
        if (kind != null && f.kind().isTail() != kind.isTail()) {
            return Assessment.invalid("bytes " + hex(insn) + " are a " + f.kind().label() + " but the site is recorded as "
                    + kind.label());
        }
        byte[] after = null;
        if (newTarget.isPresent() && where.isExact()) {
            after = encodeAt(insn, where.address(), newTarget.getAsLong());
            if (after == null) {
                return new Assessment(Verdict.OUT_OF_RANGE, rangeReason(insn), 0, false);
            }
        }
        return concurrency(insn, after, where);
    }

    @Override
    public long target(byte[] insn, long address) {
        Form f = decode(insn);
        if (f == null) {
            throw new IllegalArgumentException("not a direct branch: " + hex(insn));
        }
        return destination(insn, f, address);
    }

    /** Where the decoded branch at {@code address} goes: address + displacement, unless the form says otherwise. */
    long destination(byte[] insn, Form f, long address) {
        return address + f.displacement();
    }

    /** {@code insn} at {@code address} re-targeted to {@code newTarget}, or null when out of reach. */
    byte[] encodeAt(byte[] insn, long address, long newTarget) {
        return encode(insn, newTarget - address);
    }

    @Override
    public byte[] retarget(byte[] insn, long address, long newTarget) {
        byte[] out = encodeAt(insn, address, newTarget);
        if (out == null) {
            throw new IllegalArgumentException(rangeReason(insn));
        }
        return out;
    }

    static boolean fits(long v, int bits) {
        return v >= -(1L << (bits - 1)) && v < (1L << (bits - 1));
    }

    static long sext(long v, int bits) {
        return (v << (64 - bits)) >> (64 - bits);
    }

    static int le32(byte[] b, int at) {
        return (b[at] & 0xff) | (b[at + 1] & 0xff) << 8 | (b[at + 2] & 0xff) << 16 | (b[at + 3] & 0xff) << 24;
    }

    static int be32(byte[] b, int at) {
        return (b[at] & 0xff) << 24 | (b[at + 1] & 0xff) << 16 | (b[at + 2] & 0xff) << 8 | (b[at + 3] & 0xff);
    }

    static int le16(byte[] b, int at) {
        return (b[at] & 0xff) | (b[at + 1] & 0xff) << 8;
    }

    static void putLe32(byte[] b, int at, int v) {
        for (int i = 0; i < 4; i++) {
            b[at + i] = (byte) (v >>> (8 * i));
        }
    }

    static void putBe32(byte[] b, int at, int v) {
        for (int i = 0; i < 4; i++) {
            b[at + i] = (byte) (v >>> (24 - 8 * i));
        }
    }

    static void putLe16(byte[] b, int at, int v) {
        b[at] = (byte) v;
        b[at + 1] = (byte) (v >>> 8);
    }

    /** One naturally aligned store of {@code size} bytes at {@code offset} into the site, for every placement. */
    static boolean aligned(Placement where, int offset, int size) {
        return where.always(a -> ((a + offset) & (size - 1)) == 0);
    }

    static String hex(byte[] b) {
        return X86_64Rules.hex(b);
    }
}
