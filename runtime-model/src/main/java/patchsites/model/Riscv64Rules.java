package patchsites.model;

/**
 * RISC-V 64. Ziccif (RVA22/RVA23) makes the fetch of a naturally aligned instruction of up to
 * 32 bits atomic; {@code fence.i} is hart-local, so other harts also need an IPI. An {@code
 * auipc}+{@code jalr} pair can never be swapped atomically: only a new target that keeps the
 * {@code auipc} (the newer kernels' scheme of a fixed auipc) changes a single instruction. A 4-byte
 * instruction at a 2-byte aligned address (C extension) is not covered. Linux 6.1 patches code
 * under stop_machine.
 */
public final class Riscv64Rules extends RiscRules {
    @Override
    public String arch() {
        return "riscv64";
    }

    @Override
    public String policy() {
        return "riscv64: one naturally aligned instruction store under Ziccif; auipc+jalr pairs need stop_machine"
                + " unless only the jalr changes";
    }

    @Override
    Form decode(byte[] b) {
        if (b.length < 2) {
            return null;
        }
        int h = le16(b, 0);
        if ((h & 3) == 3) {
            if (b.length < 4) {
                return null;
            }
            int w = le32(b, 0);
            int op = w & 0x7f;
            if (op == 0x17 && b.length >= 8) {
                int j = le32(b, 4);
                int rd = (w >>> 7) & 0x1f;
                if ((j & 0x707f) == 0x67 && ((j >>> 15) & 0x1f) == rd) {
                    long d = (long) (w & 0xfffff000) + sext(j >>> 20, 12);
                    return new Form(((j >>> 7) & 0x1f) == 0 ? SiteKind.TAIL : SiteKind.CALL, 8, d);
                }
                return null;
            }
            if (op == 0x6f) {
                long d = ((long) (w >>> 31) << 20) | (((w >>> 12) & 0xff) << 12) | (((w >>> 20) & 1) << 11)
                        | (((w >>> 21) & 0x3ff) << 1);
                return new Form(((w >>> 7) & 0x1f) == 0 ? SiteKind.TAIL : SiteKind.CALL, 4, sext(d, 21));
            }
            if (op == 0x63) {
                long d = ((long) (w >>> 31) << 12) | (((w >>> 7) & 1) << 11) | (((w >>> 25) & 0x3f) << 5)
                        | (((w >>> 8) & 0xf) << 1);
                return new Form(SiteKind.COND_TAIL, 4, sext(d, 13));
            }
            return null;
        }
        if ((h & 0xe003) == 0xa001) { // c.j
            long d = (((h >> 12) & 1) << 11) | (((h >> 11) & 1) << 4) | (((h >> 9) & 3) << 8) | (((h >> 8) & 1) << 10)
                    | (((h >> 7) & 1) << 6) | (((h >> 6) & 1) << 7) | (((h >> 3) & 7) << 1) | (((h >> 2) & 1) << 5);
            return new Form(SiteKind.TAIL, 2, sext(d, 12));
        }
        if ((h & 0xc003) == 0xc001) { // c.beqz, c.bnez
            long d = (((h >> 12) & 1) << 8) | (((h >> 10) & 3) << 3) | (((h >> 5) & 3) << 6) | (((h >> 3) & 3) << 1)
                    | (((h >> 2) & 1) << 5);
            return new Form(SiteKind.COND_TAIL, 2, sext(d, 9));
        }
        return null;
    }

    @Override
    byte[] encode(byte[] insn, long d) {
        Form f = decode(insn);
        if ((d & 1) != 0) {
            return null;
        }
        byte[] b = insn.clone();
        if (f.length() == 8) {
            long hi = (d + 0x800) >> 12, lo = d - (hi << 12);
            if (!fits(hi, 20)) {
                return null;
            }
            putLe32(b, 0, (le32(insn, 0) & 0xfff) | (int) (hi << 12));
            putLe32(b, 4, (le32(insn, 4) & 0xfffff) | (int) (lo << 20));
            return b;
        }
        if (f.length() == 4) {
            int w = le32(insn, 0);
            int out;
            if ((w & 0x7f) == 0x6f) {
                if (!fits(d, 21)) {
                    return null;
                }
                out = (w & 0xfff) | (int) (((d >> 20) & 1) << 31) | (int) (((d >> 1) & 0x3ff) << 21)
                        | (int) (((d >> 11) & 1) << 20) | (int) (((d >> 12) & 0xff) << 12);
            } else {
                if (!fits(d, 13)) {
                    return null;
                }
                out = (w & 0x01fff07f) | (int) (((d >> 12) & 1) << 31) | (int) (((d >> 5) & 0x3f) << 25)
                        | (int) (((d >> 1) & 0xf) << 8) | (int) (((d >> 11) & 1) << 7);
            }
            putLe32(b, 0, out);
            return b;
        }
        int h = le16(insn, 0);
        if ((h & 0xe003) == 0xa001) {
            if (!fits(d, 12)) {
                return null;
            }
            h = (h & 0xe003) | (int) (((d >> 11) & 1) << 12) | (int) (((d >> 4) & 1) << 11) | (int) (((d >> 8) & 3) << 9)
                    | (int) (((d >> 10) & 1) << 8) | (int) (((d >> 6) & 1) << 7) | (int) (((d >> 7) & 1) << 6)
                    | (int) (((d >> 1) & 7) << 3) | (int) (((d >> 5) & 1) << 2);
        } else {
            if (!fits(d, 9)) {
                return null;
            }
            h = (h & 0xe383) | (int) (((d >> 8) & 1) << 12) | (int) (((d >> 3) & 3) << 10) | (int) (((d >> 6) & 3) << 5)
                    | (int) (((d >> 1) & 3) << 3) | (int) (((d >> 5) & 1) << 2);
        }
        putLe16(b, 0, h);
        return b;
    }

    @Override
    Assessment concurrency(byte[] insn, byte[] after, Placement where) {
        Form f = decode(insn);
        if (f.length() == 8) {
            boolean auipcKept = after != null && le32(after, 0) == le32(insn, 0);
            if (auipcKept && aligned(where, 4, 4)) {
                return new Assessment(Verdict.ATOMIC, "only the jalr changes: one naturally aligned 32-bit store (Ziccif)",
                        0, false);
            }
            return new Assessment(Verdict.STOP_MACHINE, after == null
                    ? "auipc+jalr: a new target in general changes both instructions, which no single store does"
                    : auipcKept ? "only the jalr changes, but it is not 4-byte aligned (C extension)"
                            : "auipc and jalr must both change: stop_machine (Linux 6.1)", 0, false);
        }
        if (where.always(a -> (a & (f.length() - 1)) == 0)) {
            return new Assessment(Verdict.ATOMIC, "one naturally aligned " + f.length() * 8 + "-bit instruction store (Ziccif)",
                    0, false);
        }
        return new Assessment(Verdict.STOP_MACHINE, "a 4-byte instruction at a 2-byte aligned address is not covered"
                + " by Ziccif", 0, where.sometimes(a -> (a & 3) == 0));
    }

    @Override
    String rangeReason(byte[] insn) {
        int len = decode(insn).length();
        String reach = len == 8 ? "±2 GiB" : len == 2 ? ((le16(insn, 0) & 0xe003) == 0xa001 ? "±2 KiB" : "±256 B")
                : (le32(insn, 0) & 0x7f) == 0x6f ? "±1 MiB" : "±4 KiB";
        return "target beyond " + reach + ": needs a longer form or a PLT entry";
    }
}
