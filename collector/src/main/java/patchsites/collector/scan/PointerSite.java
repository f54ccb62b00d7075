package patchsites.collector.scan;

import patchsites.isa.SiteKind;

/**
 * A call or jump through a function pointer held in a named object ({@code call *pv_ops+0xb8(%rip)}).
 *
 * @param sectionIndex   index of the section holding the instruction
 * @param section        its name
 * @param offset         instruction start in the section
 * @param length         instruction length
 * @param kind           icall or itail
 * @param pointer        the slot: the pointer object's symbol plus the slot's offset in it, e.g. {@code pv_ops+0xb8}
 * @param slotOffset     that offset
 * @param defaultTarget  the function this object's static initializer puts in the slot, or null when
 *                       the object is not defined here or the slot has no initializer
 * @param function       the STT_FUNC symbol containing the site, or null
 * @param functionOffset offset of the site from that function's start (0 when none)
 * @param loadOffset     for iload/iload-tail, the offset of the {@code mov ptr(%rip),%reg} that loaded the
 *                       pointer (same section); -1 for the memory-indirect kinds
 * @param retpoline      the call or jump goes through a retpoline thunk ({@code __x86_indirect_thunk_rax})
 */
public record PointerSite(int sectionIndex, String section, long offset, int length, SiteKind kind, String pointer,
        long slotOffset, String defaultTarget, String function, long functionOffset, long loadOffset,
        boolean retpoline) {
    /** A memory-indirect site (icall, itail): no load, no thunk. */
    public PointerSite(int sectionIndex, String section, long offset, int length, SiteKind kind, String pointer,
            long slotOffset, String defaultTarget, String function, long functionOffset) {
        this(sectionIndex, section, offset, length, kind, pointer, slotOffset, defaultTarget, function, functionOffset,
                -1, false);
    }
}
