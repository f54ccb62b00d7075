package patchsites.collector.arch;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import patchsites.model.ModelOptions;
import patchsites.model.PatchRules;
import patchsites.model.Ppc64Rules;
import patchsites.model.SiteKind;

/**
 * 64-bit PowerPC, ELFv2 (little-endian by default) and ELFv1 (big-endian by default), RELA.
 * {@code bl} with R_PPC64_REL24 is followed by a {@code nop} that the linker turns into the TOC
 * restore {@code ld r2,24(r1)} (40 on ELFv1) when the callee has another TOC; such a site is
 * reported as the 8-byte pair. Power10 pcrel code uses R_PPC64_REL24_NOTOC with no nop and real
 * tail calls ({@code b}). ELFv2 functions have a local entry point (st_other) that same-TOC calls
 * enter. ELFv1 calls name the function descriptor symbol, matched by name like any symbol; the
 * enclosing function of a site is found through the descriptors in {@code .opd}.
 */
public final class Ppc64 implements Arch {
    public static final int R_PPC64_ADDR64 = 38, R_PPC64_REL24 = 10, R_PPC64_REL14 = 11, R_PPC64_REL14_BRTAKEN = 12,
            R_PPC64_REL14_BRNTAKEN = 13, R_PPC64_REL32 = 26, R_PPC64_REL24_NOTOC = 116;

    private final ByteOrder order;
    private final boolean elfV2;

    public Ppc64(ByteOrder order, boolean elfV2) {
        this.order = order;
        this.elfV2 = elfV2;
    }

    @Override
    public String name() {
        return order == ByteOrder.LITTLE_ENDIAN ? "ppc64le" : "ppc64";
    }

    @Override
    public boolean decodeBranch(ByteBuffer text, long field, int relocType, CodeContext context, DecodedBranch out) {
        boolean iForm;
        switch (relocType) {
            case R_PPC64_REL24:
            case R_PPC64_REL24_NOTOC:
                iForm = true;
                break;
            case R_PPC64_REL14:
            case R_PPC64_REL14_BRTAKEN:
            case R_PPC64_REL14_BRNTAKEN:
                iForm = false;
                break;
            default:
                return false;
        }
        SiteKind kind = PowerBranch.decode(text, field, order, iForm);
        if (kind == null) {
            return false;
        }
        boolean tocNop = kind == SiteKind.CALL && relocType == R_PPC64_REL24
                && PowerBranch.nopFollows(text, field, order);
        return out.found(kind, field, tocNop ? 8 : 4, 0);
    }

    @Override
    public long localEntryOffset(int stOther) {
        if (!elfV2) {
            return 0;
        }
        int v = (stOther >> 5) & 7;
        return v < 2 || v == 7 ? 0 : 1L << v >> 2 << 2; // 2..6 -> 4, 8, 16, 32, 64 bytes
    }

    @Override
    public String functionDescriptorSection() {
        return elfV2 ? null : ".opd";
    }

    @Override
    public boolean usesRela() {
        return true;
    }

    @Override
    public int tablePcRel32Type() {
        return R_PPC64_REL32;
    }

    @Override
    public int tableAbsoluteType() {
        return R_PPC64_ADDR64;
    }

    @Override
    public PatchRules patchRules(ModelOptions options) {
        return new Ppc64Rules(order == ByteOrder.LITTLE_ENDIAN, elfV2);
    }

    @Override
    public String relocationName(int type) {
        switch (type) {
            case R_PPC64_ADDR64: return "R_PPC64_ADDR64";
            case R_PPC64_REL24: return "R_PPC64_REL24";
            case R_PPC64_REL14: return "R_PPC64_REL14";
            case R_PPC64_REL32: return "R_PPC64_REL32";
            case R_PPC64_REL24_NOTOC: return "R_PPC64_REL24_NOTOC";
            default: return "R_PPC64_" + type;
        }
    }
}
