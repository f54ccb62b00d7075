package patchsites.isa;

/**
 * A direct call or jump as its encoding says: what the scan records and what the patch model
 * re-targets.
 *
 * @param kind         call, tail or cond-tail
 * @param length       bytes from the first (prefixes included) to the end of the patchable unit
 *                     (ppc64: {@code bl} and its TOC-restore slot; riscv/loongarch: the pair)
 * @param fieldOffset  where the displacement field starts, from the first byte: the place an ELF
 *                     relocation of the branch applies to
 * @param pcOffset     where the displacement counts from, from the first byte (x86: the end;
 *                     A32: +8; Thumb: +4; elsewhere the instruction itself)
 * @param displacement the destination minus the address of the first byte
 * @param fieldBits    width of the signed displacement field, in units of {@code scale} (the
 *                     number ELF relocation names carry: arm64 CONDBR19, ppc REL24, s390 PC32DBL)
 * @param scale        bytes per unit of the field (2 for halfwords, 4 for words)
 * @param exchange     the branch switches instruction set (ARM {@code BLX imm})
 */
public record Branch(SiteKind kind, int length, int fieldOffset, int pcOffset, long displacement, int fieldBits,
        int scale, boolean exchange) {
    /** A branch that stays in its instruction set, with its displacement field at the first byte. */
    static Branch at0(SiteKind kind, int length, int pcOffset, long displacement, int fieldBits, int scale) {
        return new Branch(kind, length, 0, pcOffset, displacement, fieldBits, scale, false);
    }

    /** Displacements run from {@code -reach()} to below {@code reach()}, give or take alignment and {@code pcOffset}. */
    public long reach() {
        return (long) scale << (fieldBits - 1);
    }

    /**
     * What to add to a relocation's {@code S + A} to get the destination: the relocation computes
     * the field as if it counted from the field itself.
     */
    public long targetBias() {
        return pcOffset - fieldOffset;
    }

    /** The reach for a message: {@code ±128 MiB}. */
    public String reachText() {
        long r = reach();
        String[] units = {"B", "KiB", "MiB", "GiB", "TiB"};
        int u = 0;
        while (r >= 1024 && u < units.length - 1) {
            r >>= 10;
            u++;
        }
        return "±" + r + " " + units[u];
    }
}
