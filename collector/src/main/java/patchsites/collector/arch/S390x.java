package patchsites.collector.arch;

import static patchsites.collector.arch.BranchRelocations.form;

import java.nio.ByteBuffer;
import patchsites.isa.S390xCodec;
import patchsites.model.S390xRules;

/**
 * s390x (RELA, big-endian, halfword-aligned 2/4/6-byte instructions). {@code brasl}/{@code brcl}
 * with R_390_PLT32DBL/PC32DBL on the 32-bit halfword displacement at +2, addend +2; and the
 * 4-byte {@code bras}/{@code brc} with PC16DBL/PLT16DBL. {@code larl} (C0x0) carries the same
 * relocation as a call when it loads an address: it is a reference.
 */
public final class S390x extends BranchFormsArch {
    public static final int R_390_PC32 = 5, R_390_PC16DBL = 17, R_390_PLT16DBL = 18, R_390_PC32DBL = 19,
            R_390_PLT32DBL = 20, R_390_64 = 22;

    public S390x() {
        super(ArchAbi.of("s390x", true, R_390_PC32, R_390_64, "R_390_",
                ArchAbi.names(R_390_PC32, "PC32", R_390_PC16DBL, "PC16DBL", R_390_PC32DBL, "PC32DBL", R_390_PLT32DBL,
                        "PLT32DBL", R_390_64, "64", R_390_PLT16DBL, "PLT16DBL")),
                new BranchRelocations(S390xCodec.INSTANCE, 2, S390xCodec.FIELD_OFFSET, form(R_390_PC32DBL, 32),
                        form(R_390_PLT32DBL, 32), form(R_390_PC16DBL, 16), form(R_390_PLT16DBL, 16)),
                null, S390xRules::new);
    }

    @Override
    public long referenceBias(ByteBuffer section, long field, int relocType, boolean code, CodeContext context) {
        // larl & co. count halfwords from the instruction start, before the field.
        return isBranchRelocation(relocType) ? -S390xCodec.FIELD_OFFSET : 0;
    }
}
