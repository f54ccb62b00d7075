package patchsites.collector.scan;

import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import patchsites.collector.elf.ElfFile;
import patchsites.collector.elf.StringTable;
import patchsites.collector.elf.SymbolPlaces;
import patchsites.collector.elf.SymbolTable;
import patchsites.collector.elf.SymbolsAt;

/**
 * Per symbol table: which symbols a relocation may name to reach a target. One byte per symbol
 * keeps the hot loop to a single array load per relocation: {@link #NAMED} for a target symbol,
 * {@link #SECTION} for the section symbol of a section that defines a target (cross-section
 * calls to local functions are written as section + addend), 0 for everything else.
 */
final class TargetIndex {
    static final byte NAMED = 1, SECTION = 2;

    final byte[] kind;
    /** Where the targets are: only target symbols are indexed, so that a scan stays one pass. */
    final SymbolsAt targetsAt;
    /** Targets defined in an executable section, ascending (symbol table order). */
    final int[] definedInCode;
    /**
     * Per target of {@link #definedInCode}, in its order, three counts of its sites: found by a
     * relocation naming it, by a section-relative one, by decoding ({@link DefinedTargets#count}).
     */
    final int[] sitesFound;
    /**
     * Executable sections where calls to a target may carry no relocation, so that only decoding
     * finds them: a local target's section, and a global target's whose place also has a local
     * function symbol (gcc's {@code name.localalias} under -fno-semantic-interposition). Null when none.
     */
    boolean[] unrelocatedCalls;
    /** Global target -> the first local function symbol at its place (see {@link #unrelocatedCalls}). */
    private final Map<Integer, Integer> localAliases = new HashMap<>();
    /** The target patterns, as given, that a symbol of this table matches. */
    final Set<String> patternsMatched = new HashSet<>();

    TargetIndex(SymbolPlaces places, TargetMatcher matcher) {
        ElfFile elf = places.elf();
        SymbolTable symbols = places.symbols();
        int n = symbols.count();
        kind = new byte[n];
        StringTable names = symbols.names();
        int patterns = matcher.patternCount();
        boolean globalInCode = false;
        int[] targets = new int[16], inCode = new int[0];
        int count = 0, countInCode = 0;
        for (int i = 1; i < n; i++) {
            int type = symbols.type(i);
            if (type == SymbolTable.STT_SECTION || type == SymbolTable.STT_FILE) {
                continue;
            }
            int off = symbols.nameOffset(i);
            if (off == 0) {
                continue;
            }
            if (!matcher.matches(names, off) || symbols.isMappingSymbol(i)) {
                continue; // ($x: issue 13 item 11, --target='*' made every mapping symbol a target)
            }
            kind[i] = NAMED;
            if (patternsMatched.size() < patterns) {
                matcher.addPatternsMatching(names.bytes(), off, names.length(off), patternsMatched);
            }
            if (count == targets.length) {
                targets = Arrays.copyOf(targets, count * 2);
            }
            targets[count++] = i;
            int sec = symbols.definingSection(i);
            if (sec > 0 && elf.isExecutable(sec)) {
                if (countInCode == inCode.length) {
                    inCode = Arrays.copyOf(inCode, Math.max(16, countInCode * 2));
                }
                inCode[countInCode++] = i;
                if (symbols.binding(i) == SymbolTable.STB_LOCAL) {
                    unrelocatedCallsIn(elf, sec);
                } else {
                    globalInCode = true;
                }
            }
        }
        definedInCode = Arrays.copyOf(inCode, countInCode);
        sitesFound = new int[3 * countInCode];
        targetsAt = new SymbolsAt(places, targets, count);
        // A second pass only where some target is defined here: in a module every __SCT__ target is undefined.
        if (!targetsAt.isEmpty()) {
            for (int i = 1; i < n; i++) {
                if (symbols.type(i) == SymbolTable.STT_SECTION && targetsAt.defines(symbols.definingSection(i))) {
                    kind[i] = SECTION;
                }
            }
        }
        if (globalInCode) {
            findLocalAliases(places);
        }
    }

    private void unrelocatedCallsIn(ElfFile elf, int sec) {
        if (unrelocatedCalls == null) {
            unrelocatedCalls = new boolean[elf.sectionCount()];
        }
        unrelocatedCalls[sec] = true;
    }

    /** Finds the local function symbols standing where a global target does (see {@link #unrelocatedCalls}). */
    private void findLocalAliases(SymbolPlaces places) {
        SymbolTable symbols = places.symbols();
        for (int i = 1; i < symbols.count(); i++) {
            // defines() first: it turns away all but the few sections with targets in two loads, where
            // place() and at() would cost the map lookups of every local function of a vmlinux.o.
            if (kind[i] != 0 || symbols.type(i) != SymbolTable.STT_FUNC || symbols.binding(i) != SymbolTable.STB_LOCAL
                    || !targetsAt.defines(symbols.definingSection(i)) || !places.place(i)) {
                continue;
            }
            int target = targetsAt.at(places.section, places.offset);
            if (target >= 0 && symbols.binding(target) != SymbolTable.STB_LOCAL) {
                unrelocatedCallsIn(places.elf(), places.section);
                localAliases.putIfAbsent(target, i);
            }
        }
    }

    /** The local function symbol at the place of global target {@code target}, or -1 (see {@link #unrelocatedCalls}). */
    int localAlias(int target) {
        return localAliases.getOrDefault(target, -1);
    }
}
