package patchsites.collector.scan;

import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.Map;
import patchsites.collector.arch.Arch;
import patchsites.collector.arch.Arches;
import patchsites.collector.arch.CodeContext;
import patchsites.collector.arch.DecodedBranch;
import patchsites.collector.elf.ElfFile;
import patchsites.collector.elf.Floor;
import patchsites.collector.elf.Relocations;
import patchsites.collector.elf.SymbolPlaces;
import patchsites.collector.elf.SymbolsAt;

/**
 * The opposite question to the scan's: given instruction offsets that a table claims are
 * sites, which symbol does a direct branch starting exactly there reach? Used to audit a table
 * whose targets were not named, by deriving them from the table itself. The relocation is
 * followed to its symbol by the scan's own rule ({@link RelocationTarget}).
 */
public final class BranchProbe {
    /** Relocated fields sit this far at most from the instruction start (x86: prefixes + 0F 8x). */
    private static final int MAX_FIELD_DISTANCE = 16;

    private BranchProbe() {}

    /**
     * For each offset in {@code sortedOffsets} (ascending) of executable section {@code section}
     * (of a relocatable object, or of a linked program through its kept relocations): the target
     * name of the direct branch starting there, or no mapping when none does.
     */
    public static Map<Long, String> targets(ElfFile elf, int section, long[] sortedOffsets) {
        Map<Long, String> out = new HashMap<>();
        int r = elf.relocationSectionOf(section);
        if (sortedOffsets.length == 0 || r < 0) {
            return out;
        }
        Arch arch = Arches.forObject(elf);
        ByteBuffer text = elf.data(section);
        DecodedBranch branch = new DecodedBranch();
        Relocations rel = elf.relocations(r);
        SymbolPlaces places = new SymbolPlaces(elf, elf.symbolTable(elf.sectionLink(r)), Scanner.symbolConventions(arch));
        SymbolsAt symbolsAt = null;
        for (int k = 0; k < rel.count(); k++) {
            long field = rel.offset(k) - elf.sectionBase(section);
            int i = Floor.index(sortedOffsets, 0, sortedOffsets.length, field);
            if (i < 0 || field - sortedOffsets[i] >= MAX_FIELD_DISTANCE || field < 0 || field >= text.limit()) {
                continue;
            }
            long start = sortedOffsets[i];
            int type = rel.type(k);
            branch.addendIsNotOffset = false;
            // The claimed start is the boundary to decode from: if the bytes agree, it is one.
            if (!arch.decodeBranch(text, field, type, CodeContext.startingAt(start), branch) || branch.start != start) {
                continue;
            }
            int sym = rel.symbol(k);
            places.symbols().checkIndex(sym, elf.sectionName(r) + " entry " + k);
            long addend = arch.addend(rel, k, text, field);
            if (symbolsAt == null) {
                symbolsAt = new SymbolsAt(places, s -> true);
            }
            int target = RelocationTarget.reached(places, symbolsAt, sym, addend, branch.targetBias,
                    branch.addendIsNotOffset);
            if (target >= 0) {
                out.put(start, places.symbols().name(target));
            }
        }
        return out;
    }
}
