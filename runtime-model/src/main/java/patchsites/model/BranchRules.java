package patchsites.model;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.OptionalLong;
import patchsites.isa.Branch;
import patchsites.isa.BranchCodec;
import patchsites.isa.SiteKind;

/**
 * The common shape of every architecture's rules: the ISA's {@link BranchCodec} decodes a direct
 * branch and writes it with a new destination; the architecture says what changing it takes
 * while other CPUs run ({@link #concurrency}) and what a target out of reach needs.
 */
abstract class BranchRules implements PatchRules {
    private final BranchCodec codec;
    private final String policyId, policy, farTargetNeeds;

    /**
     * @param policyId       {@link #policyId}
     * @param policy         {@link #policy}
     * @param farTargetNeeds what a target out of reach needs, for the out-of-range reason: "a PLT entry"
     */
    BranchRules(BranchCodec codec, String policyId, String policy, String farTargetNeeds) {
        this.codec = codec;
        this.policyId = policyId;
        this.policy = policy;
        this.farTargetNeeds = farTargetNeeds;
    }

    /** The codec for the site's bytes. */
    BranchCodec codec() {
        return codec;
    }

    @Override
    public final String policyId() {
        return policyId;
    }

    @Override
    public final String policy() {
        return policy;
    }

    /** Verdict for changing {@code insn} (decoded as {@code b}) at {@code where}; {@code newInsn} is known when the new target is. */
    abstract Assessment concurrency(byte[] insn, Branch b, byte[] newInsn, Placement where);

    /** The branch at the start of {@code bytes}, or null. */
    final Branch decode(byte[] bytes) {
        return codec().decode(ByteBuffer.wrap(bytes), 0);
    }

    /** The branch when {@code insn} is exactly one, else null. */
    final Branch decodeExactly(byte[] insn) {
        Branch b = decode(insn);
        return b == null || b.length() != insn.length ? null : b;
    }

    @Override
    public int branchLength(byte[] bytes) {
        Branch b = decode(bytes);
        return b == null ? -1 : b.length();
    }

    @Override
    public SiteKind decodeKind(byte[] insn) {
        Branch b = decodeExactly(insn);
        return b == null ? null : b.kind();
    }

    /** What the bytes of a site must be, for the reason when they are not: "a direct branch this architecture patches". */
    String branchForms() {
        return "a direct branch this architecture patches";
    }

    @Override
    public Assessment assess(byte[] insn, SiteKind kind, Placement where, OptionalLong newTarget) {
        Branch b = decodeExactly(insn);
        if (b == null) {
            return Assessment.invalid("bytes " + hex(insn) + " are not " + branchForms());
        }
        if (kind != null && b.kind().isTail() != kind.isTail()) {
            return Assessment.invalid("bytes " + hex(insn) + " are a " + b.kind().label() + " but the site is recorded as "
                    + kind.label());
        }
        byte[] after = null;
        if (newTarget.isPresent() && where.isExact()) {
            after = encodeAt(insn, where.address(), newTarget.getAsLong());
            if (after == null) {
                return new Assessment(Verdict.OUT_OF_RANGE, rangeReason(b, newTarget.getAsLong() - where.address()), 0,
                        false);
            }
        }
        return concurrency(insn, b, after, where);
    }

    /** Why {@code displacement} (new target - address) is beyond branch {@code b}. */
    String rangeReason(Branch b, long displacement) {
        return "target beyond " + b.reachText() + ": needs " + farTargetNeeds;
    }

    @Override
    public long target(byte[] insn, long address) {
        Branch b = decode(insn);
        if (b == null) {
            throw new IllegalArgumentException("not a direct branch: " + hex(insn));
        }
        return codec().destination(b, address);
    }

    /** {@code insn} at {@code address} re-targeted to {@code newTarget}, or null when out of reach. */
    final byte[] encodeAt(byte[] insn, long address, long newTarget) {
        byte[] out = insn.clone();
        return codec().retarget(ByteBuffer.wrap(out), 0, address, newTarget) ? out : null;
    }

    @Override
    public byte[] retarget(byte[] insn, long address, long newTarget) {
        byte[] out = encodeAt(insn, address, newTarget);
        if (out == null) {
            Branch b = decode(insn);
            throw new IllegalArgumentException(b == null ? "not a direct branch: " + hex(insn)
                    : rangeReason(b, newTarget - address));
        }
        return out;
    }

    /** Whether the first {@code n} bytes are the same before and after: the part a store need not touch. */
    static boolean samePrefix(byte[] before, byte[] after, int n) {
        return after != null && Arrays.equals(before, 0, n, after, 0, n);
    }

    /**
     * The fixed-width rule: the 32-bit word at {@code offset} into the site is one aligned store
     * ({@code how}) for every placement, else every other CPU must be stopped.
     */
    static Assessment alignedWordStore(Placement where, int offset, String how) {
        if (!aligned(where, offset, 4)) {
            return new Assessment(Verdict.STOP_MACHINE, "instruction is not 4-byte aligned", 0, false);
        }
        return new Assessment(Verdict.ATOMIC, how, 0, false);
    }

    /** One naturally aligned store of {@code size} bytes at {@code offset} into the site, for every placement. */
    static boolean aligned(Placement where, int offset, int size) {
        return where.always(a -> ((a + offset) & (size - 1)) == 0);
    }

    static String hex(byte[] b) {
        StringBuilder s = new StringBuilder();
        for (byte x : b) {
            if (s.length() > 0) {
                s.append(' ');
            }
            s.append(String.format("%02x", x & 0xff));
        }
        return s.toString();
    }
}
