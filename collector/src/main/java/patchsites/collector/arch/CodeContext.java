package patchsites.collector.arch;

/**
 * What the scan knows about the code around a relocation, for the ISAs whose bytes alone do not
 * say enough: a known instruction boundary (variable-length x86), and the ELF mapping symbols
 * that mark ARM code, Thumb code and data.
 */
public interface CodeContext {
    /** A known instruction boundary at or before {@code offset} (the enclosing function's start, or 0). */
    long atOrBefore(long offset);

    /**
     * The mapping symbol in force at {@code offset}: 'a' (ARM code), 't' (Thumb code), 'd' (data),
     * 'x' (A64 code), or 0 when the object has none there.
     */
    default char mappingAt(long offset) {
        return 0;
    }

    /** A context that knows only that decoding may start at {@code start}. */
    static CodeContext startingAt(long start) {
        return offset -> start;
    }
}
