package patchsites.collector.emit;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import patchsites.collector.arch.Arch;
import patchsites.collector.arch.Arches;
import patchsites.collector.arch.DirectRelocation;
import patchsites.collector.elf.ElfFile;
import patchsites.collector.elf.ElfFormatException;
import patchsites.collector.elf.Relocations;
import patchsites.collector.elf.SymbolTable;
import patchsites.collector.scan.PointerSite;
import patchsites.isa.SiteKind;

/**
 * Lutomirski's scheme applied to object code: each call or jump through a function-pointer slot
 * whose default this object knows ({@code call *ops+8(%rip)}, slot initialised to {@code f})
 * becomes a direct call or jump to the default ({@code call f}), relocated as the compiler would
 * have written it, and a {@code site-key} table records (site, slot | tail) so that a runtime
 * re-targets the sites when the pointer changes, which is what SET_FFP would do (docs/formats.md).
 *
 * <p>The table is merged with one already in the object: its entries are kept and the new ones
 * added, in (section, offset) order. A second run finds no memory-indirect site with a default
 * left (they are direct calls now) and writes the same bytes.
 */
public final class Devirtualizer {
    /** Where the table goes unless told otherwise. */
    public static final String DEFAULT_SECTION = ".pointer_call_sites";

    /** A site left as it was, and why. */
    public record Left(PointerSite site, String reason) {}

    /**
     * What was prepared.
     *
     * @param rewritten            the sites now calling or jumping to their default
     * @param left                 the sites left as they were
     * @param entries              entries in the table (those kept from an existing table included)
     * @param sectionSymbolsAdded  section symbols the table's site fields needed
     */
    public record Summary(List<PointerSite> rewritten, List<Left> left, int entries, int sectionSymbolsAdded) {}

    private static final Comparator<TableEmitter.Entry> ORDER = Comparator
            .comparingInt(TableEmitter.Entry::siteSection).thenComparingLong(TableEmitter.Entry::siteOffset);

    private Devirtualizer() {}

    /** Prepares {@code rewriter}: rewritten code and relocations, and the table {@code section}. */
    public static Summary prepare(ObjectRewriter rewriter, List<PointerSite> sites, String section) {
        ElfFile elf = rewriter.source();
        Arch arch = Arches.forObject(elf);
        if (!arch.devirtualizes()) {
            throw new ElfFormatException("devirtualize has no rewrite for " + arch.abi().name()
                    + " objects (x86-64 only)");
        }
        Set<String> want = new HashSet<>();
        for (PointerSite s : sites) {
            if (s.defaultTarget() != null) {
                want.add(s.defaultTarget());
                want.add(objectName(s));
            }
        }
        Set<String> ambiguous = new HashSet<>();
        Map<String, Integer> byName = elf.symbolTable(rewriter.symbolTableIndex()).named(want, ambiguous);

        // One entry per site, in (section, offset) order; a site found again replaces its old entry.
        Map<TableEmitter.Entry, TableEmitter.Entry> rows = new TreeMap<>(ORDER);
        int existing = elf.sectionNamed(section);
        for (TableEmitter.Entry e : existing >= 0 ? existingEntries(rewriter, existing, section) : List.<TableEmitter.Entry>of()) {
            rows.put(e, e);
        }
        Map<Integer, ByteBuffer> code = new LinkedHashMap<>(), relocs = new LinkedHashMap<>();
        List<PointerSite> rewritten = new ArrayList<>();
        List<Left> left = new ArrayList<>();
        for (PointerSite s : sites) {
            String why = whyNot(elf, s, byName, ambiguous);
            int relSection = why == null ? elf.relocationSectionOf(s.sectionIndex()) : -1;
            int reloc = relSection >= 0 ? onlyRelocationIn(elf.relocations(relSection), s) : -1;
            if (why == null && reloc < 0) {
                why = "not exactly one relocation in the instruction";
            }
            if (why != null) {
                left.add(new Left(s, why));
                continue;
            }
            ByteBuffer text = code.computeIfAbsent(s.sectionIndex(), sec -> ObjectRewriter.copy(elf.data(sec), elf.order()));
            DirectRelocation d = arch.devirtualize(text, (int) s.offset());
            if (d == null) {
                left.add(new Left(s, "the instruction is not one devirtualize rewrites"));
                continue;
            }
            ByteBuffer rel = relocs.computeIfAbsent(relSection, r -> ObjectRewriter.copy(elf.data(r), elf.order()));
            boolean rela = elf.sectionType(relSection) == ElfFile.SHT_RELA;
            long field = s.offset() + d.fieldOffset();
            // Symbol indices here are the object's own: the rewriter renumbers them with the others.
            elf.layout().putRelocation(rel, reloc, rela, field, byName.get(s.defaultTarget()), d.type(), d.addend(),
                    text, 4);
            TableEmitter.Entry e = new TableEmitter.Entry(s.sectionIndex(), s.offset(), byName.get(objectName(s)),
                    s.slotOffset() + (s.kind().isTail() ? TableLayout.TAIL_FLAG : 0));
            rows.put(e, e);
            rewritten.add(s);
        }
        code.forEach(rewriter::replaceContents);
        relocs.forEach(rewriter::replaceContents);
        List<TableEmitter.Entry> table = new ArrayList<>(rows.values());
        int added = 0;
        if (!table.isEmpty()) {
            added = TableEmitter.prepareEntries(rewriter, table, section, TableLayout.SITE_KEY);
        }
        return new Summary(rewritten, left, table.size(), added);
    }

    /** Why a site cannot be rewritten, or null. */
    private static String whyNot(ElfFile elf, PointerSite s, Map<String, Integer> byName, Set<String> ambiguous) {
        if (s.kind() == SiteKind.ILOAD || s.kind() == SiteKind.ILOAD_TAIL) {
            return "the loaded shape (the pointer loaded into a register, then called): not rewritten";
        }
        if (s.kind() != SiteKind.ICALL && s.kind() != SiteKind.ITAIL) {
            return "not a call or jump through the slot in memory";
        }
        if (s.defaultTarget() == null) {
            return "no known default (no static initializer of the slot in this object)";
        }
        if ((elf.sectionFlags(s.sectionIndex()) & ElfFile.SHF_GROUP) != 0) {
            // Its table entry would have to be in the group, or the link fails when ld drops a duplicate.
            return "in a COMDAT group section";
        }
        if (s.slotOffset() < 0 || s.slotOffset() % 4 != 0) {
            return "slot offset not a multiple of 4: no room for the tail flag in the table";
        }
        for (String name : List.of(s.defaultTarget(), objectName(s))) {
            if (ambiguous.contains(name)) {
                return "several local symbols are named " + name;
            }
            if (!byName.containsKey(name)) {
                return name + " is not in the symbol table";
            }
        }
        return null;
    }

    /** The index of the only relocation applying inside the site's instruction, or -1. */
    private static int onlyRelocationIn(Relocations rel, PointerSite s) {
        int found = -1;
        for (int k = 0; k < rel.count(); k++) {
            long off = rel.offset(k);
            if (off >= s.offset() && off < s.offset() + s.length()) {
                if (found >= 0) {
                    return -1;
                }
                found = k;
            }
        }
        return found;
    }

    /** The pointer object's name: the site's {@code pointer} without its {@code +0xSLOT}. */
    static String objectName(PointerSite s) {
        String p = s.pointer();
        if (s.slotOffset() == 0) {
            return p;
        }
        String suffix = (s.slotOffset() < 0 ? "-0x" : "+0x") + Long.toHexString(Math.abs(s.slotOffset()));
        return p.endsWith(suffix) ? p.substring(0, p.length() - suffix.length()) : p;
    }

    /**
     * The entries of the table already in the object (a previous run's), read through its
     * relocations: the site field against a section symbol + offset, the slot field against the
     * pointer object + slot | tail.
     */
    private static List<TableEmitter.Entry> existingEntries(ObjectRewriter rewriter, int table, String section) {
        ElfFile elf = rewriter.source();
        Arch arch = Arches.forObject(elf);
        int entry = TableLayout.SITE_KEY.entrySize(elf.is64());
        long size = elf.sectionSize(table);
        int relSection = elf.relocationSectionOf(table);
        if (elf.sectionType(table) != ElfFile.SHT_PROGBITS || size % entry != 0 || relSection < 0
                || elf.sectionLink(relSection) != rewriter.symbolTableIndex()) {
            throw new ElfFormatException("section " + section + " exists and is not a table devirtualize wrote"
                    + " (give another --section)");
        }
        int n = (int) (size / entry);
        Relocations rel = elf.relocations(relSection);
        SymbolTable symbols = elf.symbolTable(rewriter.symbolTableIndex());
        ByteBuffer data = rel.hasAddends() ? null : elf.data(table);
        // The symbol and addend of each 4-byte field: 2i is entry i's site field, 2i + 1 its slot field.
        int[] fieldSym = new int[2 * n];
        long[] fieldAdd = new long[2 * n];
        java.util.Arrays.fill(fieldSym, -1);
        for (int k = 0; k < rel.count(); k++) {
            long off = rel.offset(k);
            int sym = rel.symbol(k);
            boolean field = off >= 0 && off < size && off % 4 == 0 && rel.type(k) == arch.abi().tablePcRel32Type();
            if (!field || sym <= 0 || sym >= symbols.count()) {
                throw new ElfFormatException(section + ": relocation " + k + " is not one of a table devirtualize wrote");
            }
            fieldSym[(int) (off / 4)] = sym;
            fieldAdd[(int) (off / 4)] = arch.addend(rel, k, data, off);
        }
        List<TableEmitter.Entry> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            int site = fieldSym[2 * i], key = fieldSym[2 * i + 1];
            int sec = site < 0 || symbols.type(site) != SymbolTable.STT_SECTION ? -1 : symbols.definingSection(site);
            if (sec <= 0 || key < 0) {
                throw new ElfFormatException(section + ": entry " + i + " is not one devirtualize wrote (site and slot"
                        + " relocated against a section symbol and the pointer object)");
            }
            out.add(new TableEmitter.Entry(sec, symbols.value(site) + fieldAdd[2 * i], key, fieldAdd[2 * i + 1]));
        }
        return out;
    }
}
