package patchsites.collector.scan;

import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.Map;
import patchsites.collector.arch.Arch;
import patchsites.collector.arch.Arches;
import patchsites.collector.arch.CodeContext;
import patchsites.collector.arch.DecodedBranch;
import patchsites.collector.elf.ElfFile;
import patchsites.collector.elf.Relocations;
import patchsites.collector.elf.SymbolTable;

/**
 * The opposite question to the scan's: given instruction offsets that a table claims are
 * sites, which symbol does a direct branch starting exactly there reach? Used to audit a table
 * whose targets were not named, by deriving them from the table itself.
 */
public final class BranchProbe {
    /** Relocated fields sit this far at most from the instruction start (x86: prefixes + 0F 8x). */
    private static final int MAX_FIELD_DISTANCE = 16;

    private BranchProbe() {}

    /**
     * For each offset in {@code sortedOffsets} (ascending) of executable section {@code section}:
     * the target name of the direct branch starting there, or no mapping when none does.
     */
    public static Map<Long, String> targets(ElfFile elf, int section, long[] sortedOffsets) {
        Arch arch = Arches.forObject(elf);
        Map<Long, String> out = new HashMap<>();
        if (sortedOffsets.length == 0 || elf.sectionType(section) == ElfFile.SHT_NOBITS) {
            return out;
        }
        ByteBuffer text = elf.data(section);
        DecodedBranch branch = new DecodedBranch();
        for (int r = 1; r < elf.sectionCount(); r++) {
            int t = elf.sectionType(r);
            if ((t != ElfFile.SHT_REL && t != ElfFile.SHT_RELA) || elf.sectionInfo(r) != section) {
                continue;
            }
            Relocations rel = elf.relocations(r);
            SymbolTable syms = elf.symbolTable(elf.sectionLink(r));
            Map<Integer, Map<Long, String>> symbolsAt = new HashMap<>();
            long base = TargetIndex.sectionBase(elf, section); // r_offset is an address in a linked program
            for (int k = 0; k < rel.count(); k++) {
                long field = rel.offset(k) - base;
                int i = floor(sortedOffsets, field);
                if (i < 0 || field - sortedOffsets[i] >= MAX_FIELD_DISTANCE || field < 0 || field >= text.limit()) {
                    continue;
                }
                long start = sortedOffsets[i];
                int type = rel.type(k);
                // The claimed start is the boundary to decode from: if the bytes agree, it is one.
                branch.addendIsNotOffset = false;
                if (!arch.decodeBranch(text, field, type, CodeContext.startingAt(start), branch) || branch.start != start) {
                    continue;
                }
                int sym = rel.symbol(k);
                syms.checkIndex(sym, elf.sectionName(r) + " entry " + k);
                long addend = rel.hasAddends() ? rel.addend(k) : arch.implicitAddend(text, field, type);
                String name;
                if (syms.type(sym) == SymbolTable.STT_SECTION) {
                    int sec = syms.definingSection(sym);
                    long at = arch.codeAddress(syms.value(sym)) + addend + branch.targetBias;
                    name = symbolsAt.computeIfAbsent(sec, s -> definedIn(syms, s, arch)).get(at);
                } else {
                    // As the scan: an addend that is not an offset (ppc32 PLTREL24's GOT pointer) names the symbol itself.
                    long off = branch.addendIsNotOffset ? 0 : addend + branch.targetBias;
                    name = off == 0 ? syms.name(sym) : null;
                }
                if (name != null) {
                    out.put(start, name);
                }
            }
        }
        return out;
    }

    private static int floor(long[] a, long v) {
        int lo = 0, hi = a.length - 1, best = -1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            if (a[mid] <= v) {
                best = mid;
                lo = mid + 1;
            } else {
                hi = mid - 1;
            }
        }
        return best;
    }

    private static Map<Long, String> definedIn(SymbolTable syms, int sec, Arch arch) {
        Map<Long, String> m = new HashMap<>();
        for (int i = 1; i < syms.count(); i++) {
            int t = syms.type(i);
            if (t == SymbolTable.STT_SECTION || t == SymbolTable.STT_FILE || syms.definingSection(i) != sec) {
                continue;
            }
            long at = arch.codeAddress(syms.value(i));
            if (!m.containsKey(at) || syms.binding(i) != SymbolTable.STB_LOCAL) {
                m.put(at, syms.name(i));
            }
        }
        return m;
    }
}
