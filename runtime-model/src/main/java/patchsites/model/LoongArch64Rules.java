package patchsites.model;

/**
 * LoongArch64: {@code b}/{@code bl} (offs26, ±128 MiB), {@code beqz}/{@code bnez} (offs21,
 * ±4 MiB), {@code beq}... (offs16, ±128 KiB), and the medium model's {@code pcaddu18i}+{@code
 * jirl} pair (±128 GiB). Linux's {@code larch_insn_patch_text()} does one aligned 32-bit write and
 * an {@code ibar}: no stop_machine, the same for jump labels and ftrace. A pair is atomic only
 * when the new target keeps the {@code pcaddu18i}.
 */
public final class LoongArch64Rules extends RiscRules {
    @Override
    public String arch() {
        return "loongarch64";
    }

    @Override
    public String policy() {
        return "loongarch64: one aligned 32-bit write + ibar (larch_insn_patch_text)";
    }

    @Override
    Form decode(byte[] b) {
        if (b.length < 4) {
            return null;
        }
        int i = le32(b, 0), op6 = i >>> 26;
        if (op6 == 0x14 || op6 == 0x15) {
            long offs = (((long) i >>> 10) & 0xffff) | (((long) i & 0x3ff) << 16);
            return new Form(op6 == 0x15 ? SiteKind.CALL : SiteKind.TAIL, 4, sext(offs, 26) << 2);
        }
        if (op6 == 0x10 || op6 == 0x11) {
            long offs = (((long) i >>> 10) & 0xffff) | (((long) i & 0x1f) << 16);
            return new Form(SiteKind.COND_TAIL, 4, sext(offs, 21) << 2);
        }
        if (op6 >= 0x16 && op6 <= 0x1b) {
            return new Form(SiteKind.COND_TAIL, 4, sext((i >>> 10) & 0xffff, 16) << 2);
        }
        if ((i & 0xfe000000) == 0x1e000000 && b.length >= 8) {
            int j = le32(b, 4);
            if ((j >>> 26) == 0x13 && ((j >>> 5) & 0x1f) == (i & 0x1f)) {
                long d = (sext((i >>> 5) & 0xfffff, 20) << 18) + (sext((j >>> 10) & 0xffff, 16) << 2);
                return new Form((j & 0x1f) == 0 ? SiteKind.TAIL : SiteKind.CALL, 8, d);
            }
        }
        return null;
    }

    @Override
    byte[] encode(byte[] insn, long d) {
        if ((d & 3) != 0) {
            return null;
        }
        int i = le32(insn, 0), op6 = i >>> 26;
        byte[] b = insn.clone();
        long o = d >> 2;
        if (op6 == 0x14 || op6 == 0x15) {
            if (!fits(o, 26)) {
                return null;
            }
            putLe32(b, 0, (i & 0xfc000000) | (int) ((o & 0xffff) << 10) | (int) ((o >> 16) & 0x3ff));
        } else if (op6 == 0x10 || op6 == 0x11) {
            if (!fits(o, 21)) {
                return null;
            }
            putLe32(b, 0, (i & 0xfc0003e0) | (int) ((o & 0xffff) << 10) | (int) ((o >> 16) & 0x1f));
        } else if (op6 >= 0x16 && op6 <= 0x1b) {
            if (!fits(o, 16)) {
                return null;
            }
            putLe32(b, 0, (i & 0xfc0003ff) | (int) ((o & 0xffff) << 10));
        } else {
            long hi = (d + 0x20000) >> 18, lo = d - (hi << 18);
            if (!fits(hi, 20)) {
                return null;
            }
            putLe32(b, 0, (i & 0xfe00001f) | (int) ((hi & 0xfffff) << 5));
            putLe32(b, 4, (le32(insn, 4) & 0xfc0003ff) | (int) (((lo >> 2) & 0xffff) << 10));
        }
        return b;
    }

    @Override
    Assessment concurrency(byte[] insn, byte[] after, Placement where) {
        Form f = decode(insn);
        if (f.length() == 8 && (after == null || le32(after, 0) != le32(insn, 0))) {
            return new Assessment(Verdict.STOP_MACHINE, "pcaddu18i and jirl must change together", 0, false);
        }
        int at = f.length() == 8 ? 4 : 0;
        if (!aligned(where, at, 4)) {
            return new Assessment(Verdict.STOP_MACHINE, "instruction is not 4-byte aligned", 0, false);
        }
        return new Assessment(Verdict.ATOMIC, (f.length() == 8 ? "only the jirl changes: " : "")
                + "one aligned 32-bit write + ibar", 0, false);
    }

    @Override
    String rangeReason(byte[] insn) {
        int op6 = le32(insn, 0) >>> 26;
        String reach = op6 == 0x14 || op6 == 0x15 ? "±128 MiB" : op6 == 0x10 || op6 == 0x11 ? "±4 MiB"
                : op6 >= 0x16 && op6 <= 0x1b ? "±128 KiB" : "±128 GiB";
        return "target beyond " + reach + ": needs a PLT entry (module_emit_plt_entry)";
    }
}
