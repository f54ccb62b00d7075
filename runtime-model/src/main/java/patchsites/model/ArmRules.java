package patchsites.model;

/**
 * 32-bit ARM, A32 and Thumb-2 (instructions little-endian, as in every objects but legacy BE32).
 * A32 {@code B}/{@code BL}/{@code Bcc}/{@code BLX imm} reach ±32 MiB; Thumb {@code BL}/{@code
 * B.W} ±16 MiB, {@code Bcc.W} ±1 MiB. The ARMv7 ARM (A3.5.4) lists B and BL among the
 * instructions that may be concurrently modified, but Linux does not rely on it: {@code
 * patch_text()} runs under stop_machine, and so does every ftrace and jump-label update. A Thumb
 * instruction at an address ≡ 2 mod 4 is written as two halfwords anyway. Bytes alone do not tell
 * the state: a Thumb {@code BL}/{@code B.W}/{@code Bcc.W} whose second halfword has J2 = 1 and
 * imm11[10:9] = 01 reads, as one little-endian word, like an A32 branch (a Thumb {@code bl} 0x400
 * bytes ahead does). Callers that know the state (the ELF mapping symbols $a/$t) use {@link
 * #forState}; without it the bytes are taken as A32 when they encode an A32 branch, else as Thumb.
 * Thumb {@code BLX imm} (a call into ARM code) goes to Align(address + 4, 4) + imm: its
 * destination depends on the address, not only on the displacement.
 */
public final class ArmRules extends RiscRules {
    private static final ArmRules A32 = new ArmRules('a'), THUMB = new ArmRules('t');

    /** 'a', 't', or 0: guess from the bytes. */
    private final char state;

    public ArmRules() {
        this((char) 0);
    }

    private ArmRules(char state) {
        this.state = state;
    }

    /** The rules for ARM ('a') or Thumb ('t') code; for anything else, these rules. */
    @Override
    public ArmRules forState(char mapping) {
        return mapping == 'a' ? A32 : mapping == 't' ? THUMB : this;
    }
    @Override
    public String arch() {
        return "arm";
    }

    @Override
    public String policy() {
        return "arm: stop_machine for every text patch, as Linux's patch_text() does";
    }

    private static boolean a32Branch(int i) {
        int cond = i >>> 28;
        return (cond != 0xf && (i & 0x0e000000) == 0x0a000000) || (i & 0xfe000000) == 0xfa000000;
    }

    /** Whether the word is taken as an A32 branch in this state. */
    private boolean isA32(int i) {
        return state == 'a' || (state == 0 && a32Branch(i));
    }

    @Override
    @SuppressWarnings("fallthrough") // BLX shares the BL decoding once its H bit is checked
    Form decode(byte[] b) {
        if (b.length < 4) {
            return null;
        }
        int i = le32(b, 0);
        if (isA32(i)) {
            if (!a32Branch(i)) {
                return null;
            }
            long imm = sext(i & 0xffffff, 24) << 2;
            if ((i >>> 28) == 0xf) {
                return new Form(SiteKind.CALL, 4, imm + (((i >>> 24) & 1) << 1) + 8); // BLX: H is bit 1
            }
            int cond = i >>> 28;
            boolean link = (i & 0x01000000) != 0;
            return new Form(link ? SiteKind.CALL : cond == 0xe ? SiteKind.TAIL : SiteKind.COND_TAIL, 4, imm + 8);
        }
        int hw1 = le16(b, 0), hw2 = le16(b, 2);
        if ((hw1 & 0xf800) != 0xf000) {
            return null;
        }
        int s = (hw1 >> 10) & 1, j1 = (hw2 >> 13) & 1, j2 = (hw2 >> 11) & 1;
        switch (hw2 & 0xd000) {
            case 0xc000: // BLX imm: H (bit 0) must be 0; displacement from Align(PC, 4), see destination()
                if ((hw2 & 1) != 0) {
                    return null;
                }
                // fall through
            case 0xd000:
            case 0x9000: {
                int i1 = ~(j1 ^ s) & 1, i2 = ~(j2 ^ s) & 1;
                long imm = (s << 24) | (i1 << 23) | (i2 << 22) | ((hw1 & 0x3ff) << 12) | ((hw2 & 0x7ff) << 1);
                return new Form((hw2 & 0xd000) == 0x9000 ? SiteKind.TAIL : SiteKind.CALL, 4, sext(imm, 25) + 4);
            }
            case 0x8000: {
                if (((hw1 >> 6) & 0xf) >= 14) {
                    return null;
                }
                long imm = (s << 20) | (j2 << 19) | (j1 << 18) | ((hw1 & 0x3f) << 12) | ((hw2 & 0x7ff) << 1);
                return new Form(SiteKind.COND_TAIL, 4, sext(imm, 21) + 4);
            }
            default:
                return null;
        }
    }

    private boolean isThumbBlx(byte[] insn) {
        return !isA32(le32(insn, 0)) && (le16(insn, 2) & 0xd000) == 0xc000;
    }

    @Override
    long destination(byte[] insn, Form f, long address) {
        // Thumb BLX: PC is Align(address + 4, 4), i.e. address + 4 - (address & 2).
        return isThumbBlx(insn) ? address + f.displacement() - (address & 2) : address + f.displacement();
    }

    @Override
    byte[] encodeAt(byte[] insn, long address, long newTarget) {
        if (!isThumbBlx(insn)) {
            return encode(insn, newTarget - address);
        }
        long d = newTarget - address + (address & 2); // displacement as if from a 4-aligned address
        return (d & 3) != 0 ? null : encode(insn, d);
    }

    @Override
    byte[] encode(byte[] insn, long d) {
        int i = le32(insn, 0);
        byte[] b = insn.clone();
        if (isA32(i)) {
            long v = d - 8;
            boolean blx = (i >>> 28) == 0xf;
            if ((v & (blx ? 1 : 3)) != 0 || !fits(v >> 2, 24)) {
                return null;
            }
            int out = (i & 0xff000000) | ((int) (v >> 2) & 0xffffff);
            if (blx) {
                out = (out & ~0x01000000) | (int) (((v >> 1) & 1) << 24);
            }
            putLe32(b, 0, out);
            return b;
        }
        int hw1 = le16(insn, 0), hw2 = le16(insn, 2);
        long v = d - 4;
        if ((v & 1) != 0) {
            return null;
        }
        if ((hw2 & 0xd000) == 0x8000) {
            if (!fits(v, 21)) {
                return null;
            }
            int s = (int) (v >> 20) & 1, j2 = (int) (v >> 19) & 1, j1 = (int) (v >> 18) & 1;
            hw1 = (hw1 & 0xfbc0) | (s << 10) | ((int) (v >> 12) & 0x3f);
            hw2 = (hw2 & 0xd000) | (j1 << 13) | (j2 << 11) | ((int) (v >> 1) & 0x7ff);
        } else {
            if (!fits(v, 25)) {
                return null;
            }
            int s = (int) (v >> 24) & 1, i1 = (int) (v >> 23) & 1, i2 = (int) (v >> 22) & 1;
            int j1 = ~(i1 ^ s) & 1, j2 = ~(i2 ^ s) & 1;
            hw1 = (hw1 & 0xf800) | (s << 10) | ((int) (v >> 12) & 0x3ff);
            hw2 = (hw2 & 0xd000) | (j1 << 13) | (j2 << 11) | ((int) (v >> 1) & 0x7ff);
        }
        putLe16(b, 0, hw1);
        putLe16(b, 2, hw2);
        return b;
    }

    @Override
    Assessment concurrency(byte[] insn, byte[] after, Placement where) {
        return new Assessment(Verdict.STOP_MACHINE, "Linux patches ARM text under stop_machine (patch_text)", 0, false);
    }

    @Override
    String rangeReason(byte[] insn) {
        int i = le32(insn, 0);
        String reach = isA32(i) ? "±32 MiB" : (le16(insn, 2) & 0xd000) == 0x8000 ? "±1 MiB" : "±16 MiB";
        return "target beyond " + reach + ": needs a PLT entry (get_module_plt)";
    }
}
