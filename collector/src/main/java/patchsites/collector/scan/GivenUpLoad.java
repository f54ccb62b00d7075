package patchsites.collector.scan;

/**
 * A load of a pointer slot into a register ({@code mov pv_ops+0xb8(%rip),%rax}) that the scan
 * did not follow to a call or jump through that register, and why ({@code register-written},
 * {@code call-between}, {@code block-end}, {@code unknown-instruction}; docs/pointers.md).
 *
 * @param sectionIndex   index of the section holding the load
 * @param section        its name
 * @param offset         the load's first byte in the section
 * @param pointer        the slot loaded, as in {@link PointerSite#pointer}
 * @param reason         why the walk stopped
 * @param function       the STT_FUNC symbol containing the load, or null
 * @param functionOffset offset of the load from that function's start (0 when none)
 */
public record GivenUpLoad(int sectionIndex, String section, long offset, String pointer, String reason,
        String function, long functionOffset) {
}
