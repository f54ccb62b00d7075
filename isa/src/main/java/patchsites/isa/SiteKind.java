package patchsites.isa;

/** What a patchable site does with its target. Names are the CLI/JSON spelling. */
public enum SiteKind {
    /** A call that returns here (x86 {@code E8}, arm64 {@code BL}, ...). */
    CALL("call"),
    /** An unconditional jump to the target from inside a function: a sibling call (x86 {@code E9}). */
    TAIL("tail"),
    /** A conditional jump to the target: a conditional sibling call (x86 {@code 0F 8x}). */
    COND_TAIL("cond-tail"),
    /** A call through a function pointer in memory (x86 {@code FF /2}, {@code call *ptr(%rip)}). */
    ICALL("icall"),
    /** A jump through a function pointer in memory (x86 {@code FF /4}): an indirect sibling call. */
    ITAIL("itail"),
    /**
     * A call through a function pointer loaded into a register from its slot ({@code mov
     * ptr(%rip),%rax} ... {@code call *%rax} or {@code call __x86_indirect_thunk_rax}): "i" for
     * indirect as in icall, "load" for the shape. The site is the call, not the load.
     */
    ILOAD("iload"),
    /** The jump form of {@link #ILOAD} ({@code jmp *%rax}, {@code jmp __x86_indirect_thunk_rax}): a sibling call. */
    ILOAD_TAIL("iload-tail"),
    /** Any other reference to the target (an address load, a data pointer): never patched. */
    REF("ref");

    private final String label;

    SiteKind(String label) {
        this.label = label;
    }

    public String label() {
        return label;
    }

    /** True for kinds the kernel flags with STATIC_CALL_SITE_TAIL. */
    public boolean isTail() {
        return this == TAIL || this == COND_TAIL || this == ITAIL || this == ILOAD_TAIL;
    }
}
