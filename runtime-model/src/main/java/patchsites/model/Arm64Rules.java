package patchsites.model;

/**
 * AArch64: {@code B}/{@code BL} (imm26, ±128 MiB), {@code B.cond}/{@code CBZ}/{@code CBNZ} (imm19,
 * ±1 MiB), {@code TBZ}/{@code TBNZ} (imm14, ±32 KiB). Arm ARM B2.2.5: concurrently modifying and
 * executing an instruction is old-or-new when both are on its list (B, BL, NOP, BRK, ...; recent
 * revisions add B.cond, CBZ/CBNZ, TBZ/TBNZ), written with one aligned 32-bit store and followed by
 * cache maintenance; Linux's {@code aarch64_insn_patch_text_nosync()} does exactly that. A target
 * out of reach needs a veneer ({@code module_emit_plt_entry}).
 */
public final class Arm64Rules extends RiscRules {
    @Override
    public String arch() {
        return "arm64";
    }

    @Override
    public String policy() {
        return "arm64: one aligned 32-bit store of B/BL/B.cond/CBZ/TBZ (Arm ARM B2.2.5), then cache maintenance";
    }

    @Override
    Form decode(byte[] b) {
        if (b.length < 4) {
            return null;
        }
        int i = le32(b, 0);
        if ((i & 0x7c000000) == 0x14000000) {
            return new Form((i & 0x80000000) != 0 ? SiteKind.CALL : SiteKind.TAIL, 4, sext(i & 0x3ffffff, 26) << 2);
        }
        if ((i & 0xff000010) == 0x54000000 || (i & 0x7e000000) == 0x34000000) {
            return new Form(SiteKind.COND_TAIL, 4, sext((i >>> 5) & 0x7ffff, 19) << 2);
        }
        if ((i & 0x7e000000) == 0x36000000) {
            return new Form(SiteKind.COND_TAIL, 4, sext((i >>> 5) & 0x3fff, 14) << 2);
        }
        return null;
    }

    private static int bits(int i) {
        return (i & 0x7c000000) == 0x14000000 ? 26 : (i & 0x7e000000) == 0x36000000 ? 14 : 19;
    }

    @Override
    byte[] encode(byte[] insn, long d) {
        int i = le32(insn, 0), n = bits(i);
        if ((d & 3) != 0 || !fits(d >> 2, n)) {
            return null;
        }
        int imm = (int) (d >> 2) & ((1 << n) - 1);
        int out = n == 26 ? (i & 0xfc000000) | imm
                : n == 19 ? (i & ~(0x7ffff << 5)) | (imm << 5) : (i & ~(0x3fff << 5)) | (imm << 5);
        byte[] b = insn.clone();
        putLe32(b, 0, out);
        return b;
    }

    @Override
    Assessment concurrency(byte[] insn, byte[] after, Placement where) {
        if (!aligned(where, 0, 4)) {
            return new Assessment(Verdict.STOP_MACHINE, "instruction is not 4-byte aligned", 0, false);
        }
        return new Assessment(Verdict.ATOMIC, "one aligned 32-bit store (Arm ARM B2.2.5 list), then cache maintenance",
                0, false);
    }

    @Override
    String rangeReason(byte[] insn) {
        int n = bits(le32(insn, 0));
        return "target beyond ±" + (n == 26 ? "128 MiB" : n == 19 ? "1 MiB" : "32 KiB") + ": needs a veneer (PLT entry)";
    }
}
