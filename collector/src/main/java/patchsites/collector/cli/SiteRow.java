package patchsites.collector.cli;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import patchsites.collector.scan.CallSite;
import patchsites.collector.scan.PointerSite;
import patchsites.isa.SiteKind;

/**
 * One row of scan's output, in the table and in JSON ({@link JsonRecords#site}): a direct site
 * ({@link CallSite}: {@code target} set) or a call or jump through a function pointer
 * ({@link PointerSite}: {@code pointer} set, and {@code defaultTarget} when known). The other
 * fields are the same for both, so both kinds are written by one writer.
 *
 * @param length         instruction length; 0 for a {@code ref} (no instruction: "-", JSON null)
 * @param function       the enclosing function, or null outside any (then functionOffset is meaningless)
 * @param loadOffset     iload/iload-tail: the offset of the load of the slot; else null
 * @param retpoline      pointer sites: whether the call or jump goes through a retpoline thunk; else null
 */
record SiteRow(int sectionIndex, String section, long offset, int length, SiteKind kind, String target,
        String pointer, String defaultTarget, String function, long functionOffset, CallSite.Via via, Long loadOffset,
        Boolean retpoline) {
    private static final Comparator<SiteRow> ORDER = Comparator.comparingInt(SiteRow::sectionIndex)
            .thenComparingLong(SiteRow::offset);

    static SiteRow of(CallSite s) {
        return new SiteRow(s.sectionIndex(), s.section(), s.offset(), s.length(), s.kind(), s.target(), null, null,
                s.function(), s.functionOffset(), s.via(), null, null);
    }

    static SiteRow of(PointerSite s) {
        return new SiteRow(s.sectionIndex(), s.section(), s.offset(), s.length(), s.kind(), null, s.pointer(),
                s.defaultTarget(), s.function(), s.functionOffset(), CallSite.Via.RELOCATION,
                s.loadOffset() < 0 ? null : s.loadOffset(), s.retpoline());
    }

    /** One object's direct and pointer sites interleaved in (section index, offset) order. */
    static List<SiteRow> ordered(List<CallSite> direct, List<PointerSite> pointers) {
        List<SiteRow> rows = new ArrayList<>(direct.size() + pointers.size());
        direct.forEach(s -> rows.add(of(s)));
        pointers.forEach(s -> rows.add(of(s)));
        if (!direct.isEmpty() && !pointers.isEmpty()) {
            rows.sort(ORDER); // each list is in order already; a stable sort keeps ties as they were
        }
        return rows;
    }
}
