package patchsites.collector.scan;

import patchsites.isa.SiteKind;

/**
 * One site found in an object: a direct call/jump to a target (or, on request, any other
 * reference to it). Offsets are within the section; {@code offset} is the instruction's first
 * byte, prefixes included, which is what the kernel's tables record.
 *
 * @param sectionIndex   index of the section holding the instruction
 * @param section        its name
 * @param offset         instruction start (for {@code ref}: the relocated field)
 * @param length         instruction length (for {@code ref}: 0)
 * @param relocOffset    where the relocation applies (the rel32 field on x86)
 * @param kind           call, tail, cond-tail or ref
 * @param target         the target symbol's name
 * @param function       the STT_FUNC symbol containing the site, or null
 * @param functionOffset offset of the site from that function's start (0 when none)
 * @param via            found through a relocation, or by decoding (no relocation: the assembler resolved it)
 */
public record CallSite(int sectionIndex, String section, long offset, int length, long relocOffset, SiteKind kind,
        String target, String function, long functionOffset, Via via) {
    /** How a site was found. */
    public enum Via {
        /** A relocation names the target (or its section at the target's offset). */
        RELOCATION("relocation"),
        /** No relocation: the direct branch was decoded and its destination is the target. */
        DECODED("decoded");

        private final String label;

        Via(String label) {
            this.label = label;
        }

        /** The word in the output ({@code "via"} in JSON). */
        public String label() {
            return label;
        }
    }
}
