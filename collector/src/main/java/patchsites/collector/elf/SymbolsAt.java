package patchsites.collector.elf;

import java.util.BitSet;
import java.util.HashMap;
import java.util.Map;
import java.util.function.IntPredicate;

/**
 * The symbol at a place (section, offset), for the symbols of one table that a caller selects:
 * objtool's find_symbol_by_offset. Aliases are settled by {@link SymbolTable#outranks}.
 * STT_SECTION, STT_FILE and mapping symbols name no place. A symbol with a second entry point
 * (ppc64 ELFv2 local entry) also stands there, unless another symbol does.
 */
public final class SymbolsAt {
    private final SymbolPlaces places;
    private final SymbolTable symbols;
    /** Section -> (offset -> symbol). Only sections that define a selected symbol. */
    private final Map<Integer, Map<Long, Integer>> bySection = new HashMap<>();
    private Map<Integer, Map<Long, Integer>> localEntries;
    /** The keys of {@link #bySection}, as bits: {@link #defines} is asked for every local function of an object. */
    private final BitSet defining = new BitSet();

    /** Indexes the symbols {@code selected} accepts (one pass; {@code selected} sees every index from 1). */
    public SymbolsAt(SymbolPlaces places, IntPredicate selected) {
        this(places);
        for (int i = 1; i < symbols.count(); i++) {
            if (selected.test(i)) {
                add(i);
            }
        }
        addLocalEntries();
    }

    /** Indexes the symbols {@code candidates[0 .. count - 1]}, in that order (ascending: table order). */
    public SymbolsAt(SymbolPlaces places, int[] candidates, int count) {
        this(places);
        for (int k = 0; k < count; k++) {
            add(candidates[k]);
        }
        addLocalEntries();
    }

    private SymbolsAt(SymbolPlaces places) {
        this.places = places;
        this.symbols = places.symbols();
    }

    private void add(int i) {
        int t = symbols.type(i);
        if (t == SymbolTable.STT_SECTION || t == SymbolTable.STT_FILE || symbols.isMappingSymbol(i) || !places.place(i)) {
            return;
        }
        put(bySection, places.section, places.offset, i);
        defining.set(places.section);
        long local = places.localEntryOffset(i);
        if (local != 0) {
            if (localEntries == null) {
                localEntries = new HashMap<>();
            }
            put(localEntries, places.section, places.offset + local, i);
        }
    }

    /** Second entry points go in last: a symbol that really stands at a place wins over one. */
    private void addLocalEntries() {
        if (localEntries != null) {
            localEntries.forEach((sec, m) -> {
                Map<Long, Integer> into = bySection.computeIfAbsent(sec, s -> new HashMap<>());
                m.forEach(into::putIfAbsent);
            });
            localEntries = null;
        }
    }

    private void put(Map<Integer, Map<Long, Integer>> into, int sec, long offset, int sym) {
        Map<Long, Integer> m = into.computeIfAbsent(sec, s -> new HashMap<>());
        Integer prev = m.get(offset);
        if (prev == null || symbols.outranks(sym, prev)) {
            m.put(offset, sym);
        }
    }

    /** The symbol at {@code offset} of section {@code section}, or -1. */
    public int at(int section, long offset) {
        Map<Long, Integer> m = bySection.get(section);
        if (m == null) {
            return -1;
        }
        Integer s = m.get(offset);
        return s == null ? -1 : s;
    }

    /** Whether no selected symbol has a place. */
    public boolean isEmpty() {
        return bySection.isEmpty();
    }

    /** Whether some selected symbol is defined in section {@code section}. */
    public boolean defines(int section) {
        return section >= 0 && defining.get(section);
    }
}
