package patchsites.collector.scan;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
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
    /** Targets defined in an executable section, in symbol table order. */
    final List<Integer> definedInCode = new ArrayList<>();
    /**
     * Executable sections where calls to a target may carry no relocation, so that only decoding
     * finds them: a local target's section, and a global target's whose address also has a local
     * function symbol (gcc's {@code name.localalias} under -fno-semantic-interposition). Null when none.
     */
    boolean[] unrelocatedCalls;
    /** The names given exactly (not by a glob) that this table has a symbol for. */
    final Set<String> exactNamesSeen = new HashSet<>();

    TargetIndex(ElfFile elf, SymbolTable symbols, TargetMatcher matcher, Arch arch) {
        int n = symbols.count();
        kind = new byte[n];
        StringTable names = symbols.names();
        boolean[] sectionDefinesTarget = null;
        boolean globalInCode = false;
        boolean anyExactName = !matcher.exactNames().isEmpty();
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
            if (anyExactName) {
                String name = symbols.name(i);
                if (matcher.isExactName(name)) {
                    exactNamesSeen.add(name);
                }
            }
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
                if (elf.isExecutable(sec)) {
                    definedInCode.add(i);
                    if (symbols.binding(i) == SymbolTable.STB_LOCAL) {
                        unrelocatedCallsIn(elf, sec);
                    } else {
                        globalInCode = true;
                    }
                }
            }
        }
        if (globalInCode) {
            findLocalAliases(elf, symbols, arch);
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

    private void unrelocatedCallsIn(ElfFile elf, int sec) {
        if (unrelocatedCalls == null) {
            unrelocatedCalls = new boolean[elf.sectionCount()];
        }
        unrelocatedCalls[sec] = true;
    }

    /** Marks the sections of global targets that a local function symbol aliases (see {@link #unrelocatedCalls}). */
    private void findLocalAliases(ElfFile elf, SymbolTable symbols, Arch arch) {
        for (int i = 1; i < symbols.count(); i++) {
            if (kind[i] != 0 || symbols.type(i) != SymbolTable.STT_FUNC || symbols.binding(i) != SymbolTable.STB_LOCAL) {
                continue;
            }
            int sec = symbols.definingSection(i);
            if (sec > 0 && targetAt(sec, arch.codeAddress(symbols.value(i)) - sectionBase(elf, sec)) >= 0) {
                unrelocatedCallsIn(elf, sec);
            }
        }
    }

    /** The local function symbol at the same address as target {@code target}, or -1 (see {@link #unrelocatedCalls}). */
    static int localAlias(ElfFile elf, SymbolTable symbols, Arch arch, int target) {
        int sec = symbols.definingSection(target);
        long at = symbols.value(target);
        for (int i = 1; i < symbols.count(); i++) {
            if (i != target && symbols.type(i) == SymbolTable.STT_FUNC && symbols.binding(i) == SymbolTable.STB_LOCAL
                    && symbols.definingSection(i) == sec && symbols.value(i) == at) {
                return i;
            }
        }
        return -1;
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
