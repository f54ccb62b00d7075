package patchsites.collector.emit;

/**
 * The table layouts the kernel already uses. Field by field in docs/formats.md.
 */
public enum TableLayout {
    /** {@code struct static_call_site}: s32 site, s32 key | tail flag; both relative to the field. */
    SITE_KEY("site-key", 8),
    /** s32 site relative to the field ({@code .retpoline_sites}, {@code .return_sites}). */
    SITE("site", 4),
    /** Pointer-sized absolute address of the site ({@code __mcount_loc}). */
    ABS("abs", 0);

    /** STATIC_CALL_SITE_TAIL, bit 0 of the key field. */
    public static final int TAIL_FLAG = 1;

    private final String label;
    /** Bytes of an entry; 0: a pointer's. */
    private final int entrySize;

    TableLayout(String label, int entrySize) {
        this.label = label;
        this.entrySize = entrySize;
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
        return entrySize != 0 ? entrySize : is64 ? 8 : 4;
    }
}
