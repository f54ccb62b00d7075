package patchsites.model;

/** 32-bit PowerPC (big-endian): see {@link PowerRules}. No TOC, so any target in reach will do. */
public final class Ppc32Rules extends PowerRules {
    public Ppc32Rules() {
        super(false);
    }

    @Override
    public String arch() {
        return "ppc32";
    }

    @Override
    public String policy() {
        return "ppc32: one aligned 32-bit store + cache flush (patch_instruction)";
    }
}
