package patchsites.collector.arch;

/**
 * Where decoding may start: a known instruction boundary at or before an offset of the section
 * being scanned (the start of the enclosing function, or of the section). Variable-length ISAs
 * need it to tell a prefix from the tail of the previous instruction.
 */
@FunctionalInterface
public interface InstructionBoundary {
    long atOrBefore(long offset);
}
