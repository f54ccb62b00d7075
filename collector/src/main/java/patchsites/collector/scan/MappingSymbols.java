package patchsites.collector.scan;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import patchsites.collector.elf.ElfFile;
import patchsites.collector.elf.Floor;
import patchsites.collector.elf.SymbolTable;

/**
 * The ARM ELF mapping symbols ({@code $a}, {@code $t}, {@code $d}, {@code $x}, optionally with a
 * {@code .suffix}): each marks where ARM code, Thumb code, data or A64 code starts in its section.
 * Positions are offsets in the section, in relocatable objects and linked programs alike.
 */
public final class MappingSymbols {
    private final Map<Integer, long[]> offsets = new HashMap<>();
    private final Map<Integer, char[]> kinds = new HashMap<>();

    /** The mapping symbols of the object's first symbol table ({@code .symtab}), none if it has none. */
    public static MappingSymbols of(ElfFile elf) {
        int symtab = elf.symbolTableSection();
        return new MappingSymbols(elf, symtab < 0 ? null : elf.symbolTable(symtab));
    }

    MappingSymbols(ElfFile elf, SymbolTable syms) {
        if (syms == null) {
            return;
        }
        Map<Integer, List<long[]>> rows = new HashMap<>();
        for (int i = 1; i < syms.count(); i++) {
            if (!syms.isMappingSymbol(i)) {
                continue;
            }
            String n = syms.name(i);
            if (n.length() < 2 || (n.length() > 2 && n.charAt(2) != '.') || "atdx".indexOf(n.charAt(1)) < 0) {
                continue;
            }
            int sec = syms.definingSection(i);
            if (sec > 0) {
                rows.computeIfAbsent(sec, s -> new ArrayList<>())
                        .add(new long[] {syms.value(i) - elf.sectionBase(sec), n.charAt(1)});
            }
        }
        for (Map.Entry<Integer, List<long[]>> e : rows.entrySet()) {
            List<long[]> l = e.getValue();
            l.sort((x, y) -> Long.compare(x[0], y[0]));
            long[] o = new long[l.size()];
            char[] k = new char[l.size()];
            for (int i = 0; i < o.length; i++) {
                o[i] = l.get(i)[0];
                k[i] = (char) l.get(i)[1];
            }
            offsets.put(e.getKey(), o);
            kinds.put(e.getKey(), k);
        }
    }

    /** The mapping in force at {@code offset} of {@code section}: 'a', 't', 'd', 'x', or 0 when none is. */
    public char at(int section, long offset) {
        long[] o = offsets.get(section);
        if (o == null) {
            return 0;
        }
        int best = Floor.index(o, 0, o.length, offset);
        return best < 0 ? 0 : kinds.get(section)[best];
    }
}
