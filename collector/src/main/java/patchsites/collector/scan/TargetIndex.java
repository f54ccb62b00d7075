package patchsites.collector.scan;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import patchsites.collector.arch.Arch;
import patchsites.collector.elf.ElfFile;
import patchsites.collector.elf.StringTable;
import patchsites.collector.elf.SymbolTable;

/**
 * Per symbol table: which symbols a relocation may name to reach a target. One byte per symbol
 * keeps the hot loop to a single array load per relocation: {@link #NAMED} for a target symbol,
 * {@link #SECTION} for the section symbol of a section that defines a target (cross-section
 * calls to local functions are written as section + addend), 0 for everything else.
 */
final class TargetIndex {
    static final byte NAMED = 1, SECTION = 2;

    final byte[] kind;
    /** Section index → (offset in section → target symbol). Only sections defining targets. */
    private final Map<Integer, Map<Long, Integer>> defined = new HashMap<>();

    TargetIndex(ElfFile elf, SymbolTable symbols, TargetMatcher matcher, Arch arch, List<String> warnings) {
        int n = symbols.count();
        kind = new byte[n];
        StringTable names = symbols.names();
        boolean[] sectionDefinesTarget = null;
        for (int i = 1; i < n; i++) {
            int type = symbols.type(i);
            if (type == SymbolTable.STT_SECTION || type == SymbolTable.STT_FILE) {
                continue;
            }
            int off = symbols.nameOffset(i);
            if (off == 0) {
                continue;
            }
            int len = names.length(off);
            if (!matcher.matches(names.bytes(), off, len)) {
                continue;
            }
            kind[i] = NAMED;
            int sec = symbols.definingSection(i);
            if (sec > 0) {
                long at = arch.codeAddress(symbols.value(i)) - sectionBase(elf, sec);
                Map<Long, Integer> inSection = defined.computeIfAbsent(sec, s -> new HashMap<>());
                inSection.putIfAbsent(at, i);
                long local = arch.localEntryOffset(symbols.other(i));
                if (local != 0) {
                    inSection.putIfAbsent(at + local, i);
                }
                if (sectionDefinesTarget == null) {
                    sectionDefinesTarget = new boolean[elf.sectionCount()];
                }
                sectionDefinesTarget[sec] = true;
                if (symbols.binding(i) == SymbolTable.STB_LOCAL && elf.isExecutable(sec)) {
                    warnings.add("target " + symbols.name(i) + " is a local symbol in " + elf.sectionName(sec)
                            + ": calls to it from that same section were resolved by the assembler without a"
                            + " relocation and cannot be found");
                }
            }
        }
        if (sectionDefinesTarget != null) {
            for (int i = 1; i < n; i++) {
                if (symbols.type(i) == SymbolTable.STT_SECTION) {
                    int sec = symbols.definingSection(i);
                    if (sec > 0 && sectionDefinesTarget[sec]) {
                        kind[i] = SECTION;
                    }
                }
            }
        }
    }

    /** The target symbol defined at {@code offset} of section {@code sec}, or -1. */
    int targetAt(int sec, long offset) {
        Map<Long, Integer> m = defined.get(sec);
        if (m == null) {
            return -1;
        }
        Integer s = m.get(offset);
        return s == null ? -1 : s;
    }

    /** Symbol values and relocation offsets are addresses in linked files, section offsets in ET_REL. */
    static long sectionBase(ElfFile elf, int sec) {
        return elf.type() == ElfFile.ET_REL ? 0 : elf.sectionAddress(sec);
    }
}
