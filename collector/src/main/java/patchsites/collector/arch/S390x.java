package patchsites.collector.arch;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import patchsites.model.ModelOptions;
import patchsites.model.PatchRules;
import patchsites.model.S390xRules;
import patchsites.model.SiteKind;

/**
 * s390x (RELA, big-endian, halfword-aligned 2/4/6-byte instructions). {@code brasl} (C0x5, a
 * call), {@code brcl} (C0m4: m = 15 is {@code jg}, a tail call; 1..14 a conditional one; 0 a
 * nop) with R_390_PLT32DBL/PC32DBL on the 32-bit halfword displacement at +2, addend +2; and the
 * 4-byte {@code bras}/{@code brc} with PC16DBL/PLT16DBL. {@code larl} (C0x0) carries the same
 * relocation as a call when it loads an address: it is a reference.
 */
public final class S390x implements Arch {
    public static final int R_390_PC32 = 5, R_390_PC16DBL = 17, R_390_PLT16DBL = 18, R_390_PC32DBL = 19,
            R_390_PLT32DBL = 20, R_390_64 = 22;

    @Override
    public String name() {
        return "s390x";
    }

    @Override
    public boolean decodeBranch(ByteBuffer text, long field, int relocType, CodeContext context, DecodedBranch out) {
        boolean wide;
        switch (relocType) {
            case R_390_PC32DBL:
            case R_390_PLT32DBL:
                wide = true;
                break;
            case R_390_PC16DBL:
            case R_390_PLT16DBL:
                wide = false;
                break;
            default:
                return false;
        }
        long start = field - 2;
        if ((start & 1) != 0 || !Words.fits(text, start, wide ? 6 : 4)) {
            return false;
        }
        int op = text.get((int) start) & 0xff, op2 = text.get((int) start + 1) & 0xff;
        int low = op2 & 0x0f, mask = op2 >>> 4;
        SiteKind kind;
        if ((wide && op == 0xc0) || (!wide && op == 0xa7)) {
            if (low == 5) {
                kind = SiteKind.CALL; // brasl / bras
            } else if (low == 4 && mask != 0) {
                kind = mask == 15 ? SiteKind.TAIL : SiteKind.COND_TAIL; // brcl / brc
            } else {
                kind = null;
            }
        } else {
            kind = null;
        }
        if (kind == null) {
            return false;
        }
        // The displacement counts from the instruction; the field is at +2.
        return out.found(kind, start, wide ? 6 : 4, -2);
    }

    @Override
    public long referenceBias(ByteBuffer section, long field, int relocType, boolean code, CodeContext context) {
        // larl & co. count halfwords from the instruction start, 2 bytes before the field.
        return relocType == R_390_PC32DBL || relocType == R_390_PLT32DBL || relocType == R_390_PC16DBL
                || relocType == R_390_PLT16DBL ? -2 : 0;
    }

    @Override
    public boolean usesRela() {
        return true;
    }

    @Override
    public int tablePcRel32Type() {
        return R_390_PC32;
    }

    @Override
    public int tableAbsoluteType() {
        return R_390_64;
    }

    @Override
    public PatchRules patchRules(ModelOptions options) {
        return new S390xRules();
    }

    @Override
    public String relocationName(int type) {
        switch (type) {
            case R_390_PC32: return "R_390_PC32";
            case R_390_PC16DBL: return "R_390_PC16DBL";
            case R_390_PC32DBL: return "R_390_PC32DBL";
            case R_390_PLT32DBL: return "R_390_PLT32DBL";
            case R_390_64: return "R_390_64";
            case R_390_PLT16DBL: return "R_390_PLT16DBL";
            default: return "R_390_" + type;
        }
    }

}
