package patchsites.model;

/** When an x86 site may be re-targeted with one plain store. */
public enum X86Policy {
    /** What Linux does: never; every site goes through the INT3 protocol. */
    LINUX("linux"),
    /**
     * Lutomirski's proposal: when the rel32 field is naturally (4-byte) aligned, so one aligned
     * 32-bit store replaces it; such a field also lies within one aligned 8-byte block, which
     * is AMD's rule for asynchronous cross-modification.
     */
    ALIGNED("aligned"),
    /** When the rel32 field does not cross a 64-byte line (P6+ atomicity of unaligned stores). */
    CACHELINE("cacheline");

    private final String label;

    X86Policy(String label) {
        this.label = label;
    }

    public String label() {
        return label;
    }

    public static X86Policy parse(String s) {
        for (X86Policy p : values()) {
            if (p.label.equals(s)) {
                return p;
            }
        }
        throw new IllegalArgumentException("unknown x86 policy '" + s + "' (linux, aligned, cacheline)");
    }
}
