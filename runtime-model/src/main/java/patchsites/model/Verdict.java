package patchsites.model;

/** How a site can be re-targeted while other CPUs may be executing it. */
public enum Verdict {
    /** The bytes that change lie in one naturally aligned unit that one store may replace. */
    ATOMIC("atomic"),
    /** Needs a breakpoint protocol (x86: INT3, rest, first byte, each followed by a sync round). */
    BREAKPOINT("breakpoint"),
    /** No concurrent-safe way: every other CPU must be stopped. */
    STOP_MACHINE("stop-machine"),
    /** The new target is beyond the branch's reach: needs a trampoline, PLT or veneer. */
    OUT_OF_RANGE("out-of-range"),
    /** The bytes are not the recorded call/jump. */
    INVALID("invalid");

    private final String label;

    Verdict(String label) {
        this.label = label;
    }

    public String label() {
        return label;
    }
}
