package patchsites.collector.arch;

import static patchsites.collector.arch.BranchRelocations.form;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import patchsites.isa.PowerCodec;
import patchsites.model.Ppc64Rules;

/**
 * 64-bit PowerPC, ELFv2 (little-endian by default) and ELFv1 (big-endian by default), RELA.
 * {@code bl} with R_PPC64_REL24 is followed by a {@code nop} that the linker turns into the TOC
 * restore {@code ld r2,24(r1)} (40 on ELFv1) when the callee has another TOC; such a site is
 * reported as the 8-byte pair. Power10 pcrel code uses R_PPC64_REL24_NOTOC with no nop and real
 * tail calls ({@code b}). ELFv2 functions have a local entry point (st_other) that same-TOC calls
 * enter. ELFv1 calls name the function descriptor symbol, matched by name like any symbol; the
 * enclosing function of a site is found through the descriptors in {@code .opd}. The decoding
 * pass decodes ELFv2 only: on ELFv1 a function symbol is a descriptor in .opd, not the code a
 * decoded bl reaches.
 */
public final class Ppc64 extends BranchFormsArch {
    public static final int R_PPC64_ADDR64 = 38, R_PPC64_REL24 = 10, R_PPC64_REL14 = 11, R_PPC64_REL14_BRTAKEN = 12,
            R_PPC64_REL14_BRNTAKEN = 13, R_PPC64_REL32 = 26, R_PPC64_REL24_NOTOC = 116;

    private final boolean elfV2;

    public Ppc64(ByteOrder order, boolean elfV2) {
        this(new PowerCodec(order, true), order == ByteOrder.LITTLE_ENDIAN, elfV2);
    }

    private Ppc64(PowerCodec codec, boolean littleEndian, boolean elfV2) {
        super(abi(littleEndian ? "ppc64le" : "ppc64", elfV2),
                new BranchRelocations(codec, 4, 0, form(R_PPC64_REL24, 24), form(R_PPC64_REL24_NOTOC, 24),
                        form(R_PPC64_REL14, 14), form(R_PPC64_REL14_BRTAKEN, 14), form(R_PPC64_REL14_BRNTAKEN, 14)),
                elfV2 ? codec : null, () -> new Ppc64Rules(littleEndian, elfV2));
        this.elfV2 = elfV2;
    }

    private static ArchAbi abi(String name, boolean elfV2) {
        ArchAbi abi = ArchAbi.of(name, true, R_PPC64_REL32, R_PPC64_ADDR64, "R_PPC64_",
                ArchAbi.names(R_PPC64_ADDR64, "ADDR64", R_PPC64_REL24, "REL24", R_PPC64_REL14, "REL14", R_PPC64_REL32,
                        "REL32", R_PPC64_REL24_NOTOC, "REL24_NOTOC"));
        return elfV2 ? abi : abi.withFunctionDescriptors(".opd");
    }

    @Override
    public boolean decodeBranch(ByteBuffer text, long field, int relocType, CodeContext context, DecodedBranch out) {
        if (!super.decodeBranch(text, field, relocType, context, out)) {
            return false;
        }
        if (relocType == R_PPC64_REL24_NOTOC) {
            out.length = 4; // pcrel code has no TOC to restore: a nop after it is just the next instruction
        }
        return true;
    }

    @Override
    public long localEntryOffset(int stOther) {
        if (!elfV2) {
            return 0;
        }
        int v = (stOther >> 5) & 7;
        return v < 2 || v == 7 ? 0 : 1L << v >> 2 << 2; // 2..6 -> 4, 8, 16, 32, 64 bytes
    }
}
