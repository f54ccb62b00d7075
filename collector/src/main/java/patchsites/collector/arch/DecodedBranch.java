package patchsites.collector.arch;

import patchsites.isa.Branch;
import patchsites.isa.SiteKind;

/**
 * What {@link Arch#decodeBranch} found at a relocation. One instance is reused for every
 * relocation of a scan, so decoding allocates nothing.
 */
public final class DecodedBranch {
    /** call, tail or cond-tail. */
    public SiteKind kind;
    /** Offset of the instruction's first byte (prefixes included) in its section. */
    public long start;
    /** Instruction length in bytes, as the site table's consumer will patch it. */
    public int length;
    /**
     * Added to symbol + addend to get the branch target: x86's rel32 counts from the end of the
     * instruction, so a call to {@code f} carries addend -4 and the bias is +4.
     */
    public long targetBias;
    /**
     * The relocation's addend says nothing about where the branch goes (ppc32 R_PPC_PLTREL24
     * carries the GOT-pointer offset 0x8000 under -fPIC): a named target is the target whatever it is.
     */
    public boolean addendIsNotOffset;

    /**
     * Records the codec's branch {@code b} starting at {@code start} when the relocation's type
     * {@code fits} it; returns whether it did: the last statement of {@link Arch#decodeBranch}.
     */
    public boolean found(Branch b, long start, boolean fits) {
        return b != null && fits && found(b.kind(), start, b.length(), b.targetBias());
    }

    /** Records a branch and returns true. */
    public boolean found(SiteKind kind, long start, int length, long targetBias) {
        this.kind = kind;
        this.start = start;
        this.length = length;
        this.targetBias = targetBias;
        return true;
    }
}
