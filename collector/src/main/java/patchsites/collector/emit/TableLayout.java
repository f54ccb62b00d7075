package patchsites.collector.emit;

/**
 * The table layouts the kernel already uses. Field by field in docs/formats.md.
 */
public enum TableLayout {
    /** {@code struct static_call_site}: s32 site, s32 key | tail flag; both relative to the field. */
    SITE_KEY("site-key"),
    /** s32 site relative to the field ({@code .retpoline_sites}, {@code .return_sites}). */
    SITE("site"),
    /** Pointer-sized absolute address of the site ({@code __mcount_loc}). */
    ABS("abs");

    /** STATIC_CALL_SITE_TAIL, bit 0 of the key field. */
    public static final int TAIL_FLAG = 1;

    private final String label;

    TableLayout(String label) {
        this.label = label;
    }

    public String label() {
        return label;
    }

    public static TableLayout parse(String s) {
        for (TableLayout l : values()) {
            if (l.label.equals(s)) {
                return l;
            }
        }
        throw new IllegalArgumentException("unknown layout '" + s + "' (site-key, site, abs)");
    }

    public int entrySize(boolean is64) {
        switch (this) {
            case SITE_KEY: return 8;
            case SITE: return 4;
            default: return is64 ? 8 : 4;
        }
    }
}
