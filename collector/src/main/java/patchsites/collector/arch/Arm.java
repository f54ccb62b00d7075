package patchsites.collector.arch;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import patchsites.model.ArmRules;
import patchsites.model.ModelOptions;
import patchsites.model.PatchRules;
import patchsites.model.SiteKind;

/**
 * 32-bit ARM (AAELF, SHT_REL: the addend lives in the instruction). A32 {@code BL}/{@code BLX}
 * (R_ARM_CALL), {@code B}/{@code Bcc} (R_ARM_JUMP24, legacy R_ARM_PC24); Thumb-2 {@code BL}/{@code
 * BLX} (R_ARM_THM_CALL), {@code B.W} (R_ARM_THM_JUMP24), {@code Bcc.W} (R_ARM_THM_JUMP19). Thumb
 * instructions are two 16-bit halfwords. The relocation type says which state the code is in;
 * the mapping symbols ($a/$t/$d) must agree, so data that happens to carry such a relocation is
 * not mistaken for a branch. Thumb function symbols have bit 0 set.
 */
public final class Arm implements Arch {
    public static final int R_ARM_PC24 = 1, R_ARM_ABS32 = 2, R_ARM_REL32 = 3, R_ARM_THM_CALL = 10, R_ARM_CALL = 28,
            R_ARM_JUMP24 = 29, R_ARM_THM_JUMP24 = 30, R_ARM_PREL31 = 42, R_ARM_MOVW_ABS_NC = 43, R_ARM_MOVT_ABS = 44,
            R_ARM_MOVW_PREL_NC = 45, R_ARM_MOVT_PREL = 46, R_ARM_THM_MOVW_ABS_NC = 47, R_ARM_THM_MOVT_ABS = 48,
            R_ARM_THM_MOVW_PREL_NC = 49, R_ARM_THM_MOVT_PREL = 50, R_ARM_THM_JUMP19 = 51;

    /** Byte order of instructions: little-endian except in legacy BE32 objects. */
    private final ByteOrder code;

    public Arm(ByteOrder instructionOrder) {
        this.code = instructionOrder;
    }

    @Override
    public String name() {
        return "arm";
    }

    @Override
    public boolean usesMappingSymbols() {
        return true;
    }

    @Override
    public long codeAddress(long symbolValue) {
        return symbolValue & ~1L;
    }

    @Override
    public boolean decodeBranch(ByteBuffer text, long field, int relocType, CodeContext context, DecodedBranch out) {
        switch (relocType) {
            case R_ARM_CALL:
            case R_ARM_JUMP24:
            case R_ARM_PC24:
                return decodeA32(text, field, relocType, context, out);
            case R_ARM_THM_CALL:
            case R_ARM_THM_JUMP24:
            case R_ARM_THM_JUMP19:
                return decodeT32(text, field, relocType, context, out);
            default:
                return false;
        }
    }

    private boolean decodeA32(ByteBuffer text, long field, int type, CodeContext context, DecodedBranch out) {
        if ((field & 3) != 0 || !Words.fits(text, field, 4)) {
            return false;
        }
        char map = context.mappingAt(field);
        if (map == 't' || map == 'd') {
            return false;
        }
        int insn = Words.u32(text, field, code);
        int cond = insn >>> 28;
        SiteKind kind;
        if (cond == 0xf && (insn & 0xfe000000) == 0xfa000000) {
            kind = type == R_ARM_CALL ? SiteKind.CALL : null; // BLX imm: a call into Thumb
        } else if (cond != 0xf && (insn & 0x0e000000) == 0x0a000000) {
            boolean link = (insn & 0x01000000) != 0;
            kind = link ? SiteKind.CALL : cond == 0xe ? SiteKind.TAIL : SiteKind.COND_TAIL;
            if (type == R_ARM_CALL && !link) {
                kind = null;
            }
        } else {
            kind = null;
        }
        if (kind == null) {
            return false;
        }
        return out.found(kind, field, 4, 8); // PC reads as the instruction + 8
    }

    private boolean decodeT32(ByteBuffer text, long field, int type, CodeContext context, DecodedBranch out) {
        if ((field & 1) != 0 || !Words.fits(text, field, 4)) {
            return false;
        }
        char map = context.mappingAt(field);
        if (map == 'a' || map == 'd') {
            return false;
        }
        int hw1 = Words.u16(text, field, code), hw2 = Words.u16(text, field + 2, code);
        if ((hw1 & 0xf800) != 0xf000) {
            return false;
        }
        SiteKind kind;
        switch (hw2 & 0xd000) {
            case 0xd000: // BL
            case 0xc000: // BLX
                kind = type == R_ARM_THM_CALL ? SiteKind.CALL : null;
                break;
            case 0x9000: // B.W (T4)
                kind = type == R_ARM_THM_JUMP24 || type == R_ARM_THM_CALL ? SiteKind.TAIL : null;
                break;
            case 0x8000: // Bcc.W (T3), cond 14/15 are other encodings
                kind = type == R_ARM_THM_JUMP19 && ((hw1 >> 6) & 0xf) < 14 ? SiteKind.COND_TAIL : null;
                break;
            default:
                kind = null;
        }
        if (kind == null) {
            return false;
        }
        return out.found(kind, field, 4, 4); // Thumb PC reads as the instruction + 4
    }

    @Override
    public long implicitAddend(ByteBuffer section, long field, int relocType) {
        switch (relocType) {
            case R_ARM_ABS32:
            case R_ARM_REL32:
                return Words.fits(section, field, 4) ? Words.u32(section, field, section.order()) : 0;
            case R_ARM_PREL31: // .ARM.exidx: 31-bit place-relative, bit 31 kept for the table
                return Words.fits(section, field, 4) ? (Words.u32(section, field, section.order()) << 1) >> 1 : 0;
            case R_ARM_MOVW_ABS_NC:
            case R_ARM_MOVT_ABS:
            case R_ARM_MOVW_PREL_NC:
            case R_ARM_MOVT_PREL: { // imm4:imm12, sign-extended (AAELF 4.6.1.6)
                if (!Words.fits(section, field, 4)) {
                    return 0;
                }
                int insn = Words.u32(section, field, code);
                return (short) (((insn >>> 16) & 0xf) << 12 | (insn & 0xfff));
            }
            case R_ARM_THM_MOVW_ABS_NC:
            case R_ARM_THM_MOVT_ABS:
            case R_ARM_THM_MOVW_PREL_NC:
            case R_ARM_THM_MOVT_PREL: { // imm4:i:imm3:imm8, sign-extended
                if (!Words.fits(section, field, 4)) {
                    return 0;
                }
                int hw1 = Words.u16(section, field, code), hw2 = Words.u16(section, field + 2, code);
                return (short) ((hw1 & 0xf) << 12 | ((hw1 >> 10) & 1) << 11 | ((hw2 >> 12) & 7) << 8 | (hw2 & 0xff));
            }
            case R_ARM_CALL:
            case R_ARM_JUMP24:
            case R_ARM_PC24: {
                if (!Words.fits(section, field, 4)) {
                    return 0;
                }
                int insn = Words.u32(section, field, code);
                return ((long) (insn << 8) >> 8) << 2; // imm24, sign-extended, times 4
            }
            case R_ARM_THM_CALL:
            case R_ARM_THM_JUMP24: {
                if (!Words.fits(section, field, 4)) {
                    return 0;
                }
                int hw1 = Words.u16(section, field, code), hw2 = Words.u16(section, field + 2, code);
                int s = (hw1 >> 10) & 1, j1 = (hw2 >> 13) & 1, j2 = (hw2 >> 11) & 1;
                int i1 = ~(j1 ^ s) & 1, i2 = ~(j2 ^ s) & 1;
                int imm = (s << 24) | (i1 << 23) | (i2 << 22) | ((hw1 & 0x3ff) << 12) | ((hw2 & 0x7ff) << 1);
                return (imm << 7) >> 7; // sign-extend 25 bits
            }
            case R_ARM_THM_JUMP19: {
                if (!Words.fits(section, field, 4)) {
                    return 0;
                }
                int hw1 = Words.u16(section, field, code), hw2 = Words.u16(section, field + 2, code);
                int s = (hw1 >> 10) & 1, j1 = (hw2 >> 13) & 1, j2 = (hw2 >> 11) & 1;
                int imm = (s << 20) | (j2 << 19) | (j1 << 18) | ((hw1 & 0x3f) << 12) | ((hw2 & 0x7ff) << 1);
                return (imm << 11) >> 11; // sign-extend 21 bits
            }
            default:
                return 0;
        }
    }

    @Override
    public boolean usesRela() {
        return false;
    }

    @Override
    public int tablePcRel32Type() {
        return R_ARM_REL32;
    }

    @Override
    public int tableAbsoluteType() {
        return R_ARM_ABS32;
    }

    @Override
    public PatchRules patchRules(ModelOptions options) {
        return new ArmRules();
    }

    @Override
    public String relocationName(int type) {
        switch (type) {
            case R_ARM_PC24: return "R_ARM_PC24";
            case R_ARM_ABS32: return "R_ARM_ABS32";
            case R_ARM_REL32: return "R_ARM_REL32";
            case R_ARM_THM_CALL: return "R_ARM_THM_CALL";
            case R_ARM_CALL: return "R_ARM_CALL";
            case R_ARM_JUMP24: return "R_ARM_JUMP24";
            case R_ARM_THM_JUMP24: return "R_ARM_THM_JUMP24";
            case R_ARM_THM_JUMP19: return "R_ARM_THM_JUMP19";
            case R_ARM_PREL31: return "R_ARM_PREL31";
            default: return "R_ARM_" + type;
        }
    }
}
