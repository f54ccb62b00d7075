package patchsites.collector.emit;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import patchsites.collector.arch.Arch;
import patchsites.collector.arch.Arches;
import patchsites.collector.elf.ElfFile;
import patchsites.collector.elf.ElfFormatException;
import patchsites.collector.elf.ElfLayout;
import patchsites.collector.scan.CallSite;
import patchsites.isa.SiteKind;

/**
 * Turns the sites of one object into a table section plus its relocations, the way objtool
 * writes {@code .static_call_sites}: each site field is relocated against the section symbol of
 * the site's section with the instruction offset as addend (so a weak function overridden at
 * link time cannot move the entry), and each key field against the key symbol with the tail
 * flag as addend.
 */
public final class TableEmitter {
    /** How the key of a {@code site-key} entry is found. */
    public record KeyRule(String fromPrefix, String toPrefix, boolean fallbackToTarget) {
        public String keyFor(String target) {
            if (fromPrefix != null && target.startsWith(fromPrefix)) {
                return toPrefix + target.substring(fromPrefix.length());
            }
            return target;
        }
    }

    /** What was prepared: how many entries, and how many keys fell back to the target. */
    public record Summary(int entries, int keyFallbacks, int sectionSymbolsAdded, int leftOutInGroups) {}

    private TableEmitter() {}

    /**
     * Prepares {@code rewriter} to write {@code section} with one entry per site ({@code ref}s
     * are never entries). An existing section of that name and its relocations are replaced.
     */
    public static Summary prepare(ObjectRewriter rewriter, List<CallSite> sites, String section, TableLayout layout,
            KeyRule keys) {
        ElfFile elf = rewriter.source();
        List<CallSite> entries = new ArrayList<>();
        int grouped = 0;
        for (CallSite s : sites) {
            if (s.kind() == SiteKind.REF) {
                continue;
            }
            // A site in a COMDAT group (C++ inline functions, templates) needs its entry inside that
            // group, or the link fails when ld discards the group's duplicate copy. Not written yet.
            if ((elf.sectionFlags(s.sectionIndex()) & ElfFile.SHF_GROUP) != 0) {
                grouped++;
                continue;
            }
            entries.add(s);
        }
        List<Entry> rows = new ArrayList<>(entries.size());
        int fallbacks = 0;
        Map<String, Integer> byName = layout == TableLayout.SITE_KEY
                ? elf.symbolTable(rewriter.symbolTableIndex()).named(names(entries, keys)) : Map.of();
        for (CallSite s : entries) {
            int key = -1;
            if (layout == TableLayout.SITE_KEY) {
                String target = s.target();
                String keyName = keys.keyFor(target);
                Integer k = byName.get(keyName);
                if (k == null) {
                    if (!keys.fallbackToTarget()) {
                        throw new ElfFormatException("key symbol " + keyName + " (for " + target
                                + ") is not in the symbol table; --key-fallback=target would use the target");
                    }
                    k = byName.get(target);
                    if (k == null) {
                        throw new ElfFormatException("target " + target + " is not in the symbol table");
                    }
                    fallbacks++;
                }
                key = k;
            }
            rows.add(new Entry(s.sectionIndex(), s.offset(), key, s.kind().isTail() ? TableLayout.TAIL_FLAG : 0));
        }
        return new Summary(entries.size(), fallbacks, prepareEntries(rewriter, rows, section, layout), grouped);
    }

    /**
     * One entry to write: the site's section and offset, and for {@code site-key} the key field's
     * symbol (index in the object as read, -1 for the other layouts) and addend (the flags, and for a
     * pointer slot its offset in the object).
     */
    public record Entry(int siteSection, long siteOffset, int keySymbol, long keyAddend) {}

    /**
     * Prepares {@code rewriter} to write {@code section} as a table of these entries, in this
     * order, with its relocation section, asking for the section symbols their sites need
     * (replacing a table of that name). Returns the number of section symbols added.
     */
    public static int prepareEntries(ObjectRewriter rewriter, List<Entry> rows, String section, TableLayout layout) {
        for (Entry e : rows) {
            rewriter.needSectionSymbol(e.siteSection());
        }
        rewriter.freezeSymbols();
        ElfFile elf = rewriter.source();
        Arch arch = Arches.forObject(elf);
        boolean is64 = elf.is64();
        boolean rela = arch.abi().rela();
        ElfLayout elfLayout = elf.layout();
        int entry = layout.entrySize(is64);
        int field = layout == TableLayout.ABS ? entry : 4; // every field of a table: its size and alignment
        int relEnt = elfLayout.relocationSize(rela);
        ByteBuffer data = ByteBuffer.allocate(rows.size() * entry).order(elf.order());
        ByteBuffer relocs = ByteBuffer.allocate(rows.size() * entry / field * relEnt).order(elf.order());
        int type = layout == TableLayout.ABS ? arch.abi().tableAbsoluteType() : arch.abi().tablePcRel32Type();
        for (int i = 0; i < rows.size(); i++) {
            Entry e = rows.get(i);
            int at = i * entry; // field k of the table (all of one size and relocation type) has relocation k
            elfLayout.putRelocation(relocs, at / field, rela, at, rewriter.sectionSymbol(e.siteSection()), type,
                    e.siteOffset() - rewriter.sectionSymbolValue(e.siteSection()), data, field);
            if (layout == TableLayout.SITE_KEY) {
                elfLayout.putRelocation(relocs, at / field + 1, rela, at + 4, rewriter.symbolIndex(e.keySymbol()), type,
                        e.keyAddend(), data, field);
            }
        }

        int existing = elf.sectionNamed(section);
        if (existing >= 0 && (elf.sectionType(existing) != ElfFile.SHT_PROGBITS || elf.isExecutable(existing))) {
            // Only a table (data, SHT_PROGBITS) is replaced; anything else of that name would be lost.
            throw new ElfFormatException("section " + section + " exists and is not a table that emit may replace ("
                    + (elf.isExecutable(existing) ? "executable" : "sh_type " + elf.sectionType(existing)) + ")");
        }
        int existingRel = existing >= 0 ? elf.relocationSectionOf(existing) : -1;
        long flags = ElfFile.SHF_ALLOC | (layout == TableLayout.SITE_KEY ? ElfFile.SHF_WRITE : 0);
        int table = rewriter.putSection(existing, section, ElfFile.SHT_PROGBITS, flags, field, entry, 0, 0, data);
        rewriter.putSection(existingRel, (rela ? ".rela" : ".rel") + section, rela ? ElfFile.SHT_RELA : ElfFile.SHT_REL,
                ElfFile.SHF_INFO_LINK, is64 ? 8 : 4, relEnt, rewriter.symbolTableIndex(), table, relocs);
        return rewriter.addedSymbols();
    }

    /** Every target and key name the entries need. */
    private static java.util.Set<String> names(List<CallSite> entries, KeyRule keys) {
        java.util.Set<String> want = new java.util.HashSet<>();
        for (CallSite s : entries) {
            want.add(s.target());
            want.add(keys.keyFor(s.target()));
        }
        return want;
    }
}
