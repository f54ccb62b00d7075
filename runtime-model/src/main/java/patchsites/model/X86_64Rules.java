package patchsites.model;

import java.util.OptionalLong;
import java.util.function.LongPredicate;

/**
 * x86-64: {@code E8 rel32} call, {@code E9 rel32} jmp, {@code 0F 80+cc rel32} jcc, possibly
 * behind CS/DS/BND prefixes. Re-targeting changes only the rel32 field.
 *
 * <p>Linux (6.1 and newer) never relies on alignment: {@code text_poke_bp()} writes INT3 over
 * the first byte, then the rest, then the first byte again, with an IPI that runs
 * {@code sync_core()} on every CPU after each step: 3 rounds per site. Intel documents no
 * fetch-side atomicity for unsynchronised cross-modifying code; AMD's APM allows a single
 * store contained in a naturally aligned quadword. Which policy applies is the caller's choice.
 */
public class X86_64Rules implements PatchRules {
    /** text_poke_bp: INT3, then bytes 1..n, then byte 0, each followed by a sync round. */
    public static final int BREAKPOINT_SYNC_ROUNDS = 3;

    private final X86Policy policy;

    public X86_64Rules(X86Policy policy) {
        this.policy = policy;
    }

    @Override
    public String arch() {
        return "x86_64";
    }

    @Override
    public String policy() {
        switch (policy) {
            case LINUX: return "x86 policy linux: every site through the INT3 protocol, as Linux does";
            case ALIGNED: return "x86 policy aligned: one store when the rel32 field is 4-byte aligned (Lutomirski; AMD aligned-quadword rule)";
            default: return "x86 policy cacheline: one store when the rel32 field does not cross a 64-byte line (P6+ store atomicity)";
        }
    }

    public X86Policy x86Policy() {
        return policy;
    }

    /** CS/DS (hints, notrack, -mindirect-branch-cs-prefix) and BND: the prefixes seen on branches. */
    private static boolean isPrefix(byte b) {
        int p = b & 0xff;
        return p == 0x2e || p == 0x3e || p == 0xf2;
    }

    /** Length of the prefixes plus opcode, i.e. the offset of rel32; -1 if not a rel32 branch. */
    static int fieldOffset(byte[] insn) {
        int p = 0;
        while (p < insn.length && isPrefix(insn[p])) {
            p++;
        }
        if (p >= insn.length) {
            return -1;
        }
        int op = insn[p] & 0xff;
        int field;
        if (op == 0xe8 || op == 0xe9) {
            field = p + 1;
        } else if (op == 0x0f && p + 1 < insn.length && (insn[p + 1] & 0xf0) == 0x80) {
            field = p + 2;
        } else {
            return -1;
        }
        return field + 4 == insn.length ? field : -1;
    }

    @Override
    public int branchLength(byte[] bytes) {
        int p = 0;
        while (p < bytes.length && p < 14 && isPrefix(bytes[p])) {
            p++;
        }
        if (p >= bytes.length) {
            return -1;
        }
        int op = bytes[p] & 0xff;
        int len = op == 0xe8 || op == 0xe9 ? p + 5
                : op == 0x0f && p + 1 < bytes.length && (bytes[p + 1] & 0xf0) == 0x80 ? p + 6 : -1;
        return len <= bytes.length ? len : -1;
    }

    @Override
    public SiteKind decodeKind(byte[] insn) {
        int f = fieldOffset(insn);
        if (f < 0) {
            return null;
        }
        int op = insn[f - 1] & 0xff;
        return op == 0xe8 ? SiteKind.CALL : op == 0xe9 ? SiteKind.TAIL : SiteKind.COND_TAIL;
    }

    @Override
    public Assessment assess(byte[] insn, SiteKind kind, Placement where, OptionalLong newTarget) {
        SiteKind actual = decodeKind(insn);
        if (actual == null) {
            return Assessment.invalid("bytes " + hex(insn) + " are not a call/jmp/jcc rel32");
        }
        if (kind != null && actual.isTail() != kind.isTail()) {
            return Assessment.invalid("bytes " + hex(insn) + " are a " + actual.label() + " but the site is recorded as "
                    + kind.label());
        }
        int field = fieldOffset(insn);
        if (newTarget.isPresent() && where.isExact() && limitedRange()) {
            long rel = newTarget.getAsLong() - (where.address() + insn.length);
            if (rel != (int) rel) {
                return new Assessment(Verdict.OUT_OF_RANGE, "new target is " + rel
                        + " bytes away, beyond rel32's ±2 GiB: needs a trampoline", 0, false);
            }
        }
        String breakpoint = "text_poke_bp: INT3, rest, first byte, " + BREAKPOINT_SYNC_ROUNDS + " sync rounds";
        if (policy == X86Policy.LINUX) {
            return new Assessment(Verdict.BREAKPOINT, "Linux patches every x86 site with " + breakpoint,
                    BREAKPOINT_SYNC_ROUNDS, false);
        }
        LongPredicate ok = policy == X86Policy.ALIGNED ? a -> ((a + field) & 3) == 0 : a -> ((a + field) & 63) <= 60;
        String unit = policy == X86Policy.ALIGNED ? "4-byte aligned" : "within one 64-byte line";
        if (where.always(ok)) {
            return new Assessment(Verdict.ATOMIC, "rel32 at +" + field + " is " + unit + ": one store", 0, false);
        }
        if (where.sometimes(ok)) {
            return new Assessment(Verdict.BREAKPOINT, "rel32 at +" + field + " is " + unit
                    + " only for some placements of a section aligned to " + where.sectionAlignment() + "; "
                    + breakpoint, BREAKPOINT_SYNC_ROUNDS, true);
        }
        return new Assessment(Verdict.BREAKPOINT, "rel32 at +" + field + " is not " + unit + "; " + breakpoint,
                BREAKPOINT_SYNC_ROUNDS, false);
    }

    /** rel32 reaches ±2 GiB on x86-64; on i386 it wraps around the 4 GiB address space. */
    protected boolean limitedRange() {
        return true;
    }

    @Override
    public long target(byte[] insn, long address) {
        int f = fieldOffset(insn);
        if (f < 0) {
            throw new IllegalArgumentException("not a rel32 branch: " + hex(insn));
        }
        return address + insn.length + rel32(insn, f);
    }

    @Override
    public byte[] retarget(byte[] insn, long address, long newTarget) {
        int f = fieldOffset(insn);
        if (f < 0) {
            throw new IllegalArgumentException("not a rel32 branch: " + hex(insn));
        }
        long rel = newTarget - (address + insn.length);
        if (limitedRange() && rel != (int) rel) {
            throw new IllegalArgumentException("target out of rel32 range");
        }
        byte[] out = insn.clone();
        for (int i = 0; i < 4; i++) {
            out[f + i] = (byte) (rel >>> (8 * i));
        }
        return out;
    }

    private static int rel32(byte[] b, int f) {
        return (b[f] & 0xff) | (b[f + 1] & 0xff) << 8 | (b[f + 2] & 0xff) << 16 | (b[f + 3] & 0xff) << 24;
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
