package patchsites.collector.table;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import patchsites.collector.arch.Arch;
import patchsites.collector.elf.ElfFile;
import patchsites.collector.elf.ElfFormatException;
import patchsites.collector.elf.Relocations;
import patchsites.collector.elf.SymbolTable;
import patchsites.collector.elf.SymbolPlaces;
import patchsites.collector.elf.SymbolsAt;
import patchsites.collector.emit.TableLayout;
import patchsites.collector.scan.Scanner;

/**
 * Decodes an existing call-site table: through its relocations in a relocatable object (the
 * mirror of {@code TableEmitter}), through the resolved field values in a linked program, where the
 * table is the section of its name or, inside another output section, the bytes between its
 * {@code __start_<id>}/{@code __stop_<id>} bounds.
 */
public final class TableReader {
    private TableReader() {}

    public static List<TableEntry> read(ElfFile elf, Arch arch, String section, TableLayout layout) {
        return read(elf, arch, section, layout, TableBounds.conventional(section), false);
    }

    /**
     * The table {@code section}; in a linked program that has no section of that name, the bytes
     * between the first of {@code bounds} whose two symbols it defines. {@code boundsFirst}: the
     * bounds win even over a section of that name (the user named them).
     */
    public static List<TableEntry> read(ElfFile elf, Arch arch, String section, TableLayout layout,
            List<TableBounds> bounds, boolean boundsFirst) {
        int entry = layout.entrySize(elf.is64());
        boolean linked = elf.type() != ElfFile.ET_REL;
        if (linked && boundsFirst) {
            return between(elf, section, layout, entry, bounds);
        }
        int table = elf.sectionNamed(section);
        if (table < 0 && linked) {
            // A linked program may keep the table inside another output section, bracketed by its
            // bounds: the kernel's vmlinux.lds puts .static_call_sites in .data, __mcount_loc in .init.data.
            return between(elf, section, layout, entry, bounds);
        }
        if (table < 0) {
            throw new ElfFormatException("no section " + section);
        }
        long size = elf.sectionSize(table);
        if (size % entry != 0) {
            throw new ElfFormatException(section + ": size " + size + " is not a multiple of the " + layout.label()
                    + " entry size " + entry);
        }
        ByteBuffer data = elf.data(table);
        return elf.type() == ElfFile.ET_REL ? readRelocatable(elf, arch, table, data, layout, entry)
                : readLinked(elf, elf.sectionAddress(table), data, layout, entry);
    }

    /** Whether {@code elf} holds table {@code section}: its own section, or one of {@code bounds} defined. */
    public static boolean present(ElfFile elf, String section, List<TableBounds> bounds) {
        if (elf.sectionNamed(section) > 0) {
            return true;
        }
        if (elf.type() == ElfFile.ET_REL) {
            return false;
        }
        for (TableBounds b : bounds) {
            if (resolve(elf, b.start()) != null && resolve(elf, b.stop()) != null) {
                return true;
            }
        }
        return false;
    }

    private static List<TableEntry> between(ElfFile elf, String section, TableLayout layout, int entry,
            List<TableBounds> bounds) {
        for (TableBounds b : bounds) {
            List<TableEntry> found = readBetweenBounds(elf, b, layout, entry);
            if (found != null) {
                return found;
            }
        }
        StringBuilder names = new StringBuilder();
        for (TableBounds b : bounds) {
            names.append(names.length() == 0 ? "" : " nor ").append(b.start()).append('/').append(b.stop());
        }
        if (elf.symbolTableSection() < 0) {
            throw new ElfFormatException("no symbol table (a stripped program, or extract-vmlinux output): " + section
                    + " is found by its bounds " + names + ", which are symbols (audit the vmlinux of the -dbg package,"
                    + " or give --bounds=0xSTART,0xSTOP)");
        }
        throw new ElfFormatException("no section " + section + " and no " + names + " symbols");
    }

    /**
     * The value of a bound: a 0x number as given, else the defined symbol of that name (the first
     * symbol table's), else null. Addresses are unsigned: a kernel's are negative as longs, so
     * absence is null, never a sign.
     */
    private static Long resolve(ElfFile elf, String bound) {
        Long literal = TableBounds.literal(bound);
        if (literal != null) {
            return literal;
        }
        int symtab = elf.symbolTableSection();
        if (symtab > 0) {
            SymbolTable syms = elf.symbolTable(symtab);
            int sym = syms.named(bound);
            if (sym > 0 && syms.rawSectionIndex(sym) != ElfFile.SHN_UNDEF) {
                return syms.value(sym);
            }
        }
        return null;
    }

    /** The table between the two bounds of a linked program, or null when it does not define both. */
    private static List<TableEntry> readBetweenBounds(ElfFile elf, TableBounds b, TableLayout layout, int entry) {
        Long startValue = resolve(elf, b.start()), stopValue = resolve(elf, b.stop());
        if (startValue == null || stopValue == null) {
            return null;
        }
        long start = startValue, stop = stopValue;
        String startName = b.start(), stopName = b.stop();
        if (Long.compareUnsigned(stop, start) < 0 || Long.remainderUnsigned(stop - start, entry) != 0) {
            throw new ElfFormatException(startName + " (0x" + Long.toHexString(start) + ") to " + stopName + " (0x"
                    + Long.toHexString(stop) + ") is not a whole number of " + layout.label() + " entries");
        }
        if (stop == start) {
            return new ArrayList<>();
        }
        for (int i = elf.sectionHolding(start, ElfFile.SHF_ALLOC, 0); i > 0; i = elf.sectionHolding(start, ElfFile.SHF_ALLOC, i)) {
            long addr = elf.sectionAddress(i);
            // The whole range in one section with contents (stop may be its end: unsigned, as all addresses).
            if (elf.sectionType(i) == ElfFile.SHT_NOBITS || Long.compareUnsigned(stop - addr, elf.sectionSize(i)) > 0) {
                continue;
            }
            ByteBuffer data = elf.data(i).slice((int) (start - addr), (int) (stop - start)).order(elf.order());
            return readLinked(elf, start, data, layout, entry);
        }
        throw new ElfFormatException(startName + " to " + stopName + " lies in no section with contents");
    }

    private static List<TableEntry> readRelocatable(ElfFile elf, Arch arch, int table, ByteBuffer data,
            TableLayout layout, int entry) {
        int rel = elf.relocationSectionOf(table);
        String name = elf.sectionName(table);
        int count = data.limit() / entry;
        List<TableEntry> out = new ArrayList<>(count);
        if (rel < 0) {
            for (int i = 0; i < count; i++) {
                out.add(new TableEntry(i, -1, 0, 0, null, 0, 0, "no relocation section for " + name));
            }
            return out;
        }
        RelocatedFields fields = new RelocatedFields(elf, arch, rel, data, layout, entry);
        for (int i = 0; i < count; i++) {
            out.add(fields.entry(i));
        }
        if (!fields.stray.isEmpty()) {
            throw new ElfFormatException(name + ": " + fields.stray.get(0) + (fields.stray.size() > 1 ? " (and "
                    + (fields.stray.size() - 1) + " more)" : ""));
        }
        return out;
    }

    /** The fields of a relocatable object's table, each read through the relocation that fills it. */
    private static final class RelocatedFields {
        private final ElfFile elf;
        private final Arch arch;
        private final int rel;
        private final Relocations relocs;
        private final SymbolPlaces places;
        private final SymbolTable syms;
        private final ByteBuffer data;
        private final TableLayout layout;
        private final int entry, siteType;
        /** Field slot -> relocation index, -1 for none; a table has at most two fields per entry. */
        private final int[] at;
        /** Relocations that fill no field, or a field already filled. */
        final List<String> stray = new ArrayList<>();
        private SymbolsAt symbolsAt;

        RelocatedFields(ElfFile elf, Arch arch, int rel, ByteBuffer data, TableLayout layout, int entry) {
            this.elf = elf;
            this.arch = arch;
            this.rel = rel;
            this.relocs = elf.relocations(rel);
            this.syms = elf.symbolTable(elf.sectionLink(rel));
            this.places = new SymbolPlaces(elf, syms, Scanner.symbolConventions(arch));
            this.data = data;
            this.layout = layout;
            this.entry = entry;
            this.siteType = layout == TableLayout.ABS ? arch.abi().tableAbsoluteType() : arch.abi().tablePcRel32Type();
            boolean keyed = layout == TableLayout.SITE_KEY;
            int slotSize = keyed ? 4 : entry;
            at = new int[data.limit() / entry * (keyed ? 2 : 1)];
            Arrays.fill(at, -1);
            for (int k = 0; k < relocs.count(); k++) {
                long off = relocs.offset(k);
                long slot = off / slotSize;
                if (off % slotSize != 0 || slot < 0 || slot >= at.length) {
                    stray.add("relocation at 0x" + Long.toHexString(off) + " is not on a field");
                    continue;
                }
                if (at[(int) slot] >= 0) {
                    stray.add("two relocations at 0x" + Long.toHexString(off));
                }
                at[(int) slot] = k;
            }
        }

        TableEntry entry(int i) {
            boolean keyed = layout == TableLayout.SITE_KEY;
            int r = at[keyed ? i * 2 : i];
            String problem = null;
            int siteSection = -1;
            long siteOffset = 0;
            if (r < 0) {
                problem = "site field has no relocation";
            } else if (relocs.type(r) != siteType) {
                problem = "site field relocation is " + arch.abi().relocationName(relocs.type(r)) + ", expected "
                        + arch.abi().relocationName(siteType);
            } else {
                int sym = symbol(r);
                long addend = relocs.hasAddends() ? relocs.addend(r) : implicit((long) i * entry);
                siteSection = syms.definingSection(sym);
                siteOffset = arch.codeAddress(syms.value(sym)) + addend;
                if (siteSection < 0) {
                    problem = "site relocation is against " + describe(sym) + ", which is not defined here";
                }
            }
            String key = null;
            int flags = 0;
            if (keyed) {
                int kr = at[i * 2 + 1];
                String keyProblem;
                if (kr < 0) {
                    keyProblem = "key field has no relocation";
                } else {
                    int sym = symbol(kr);
                    long addend = relocs.hasAddends() ? relocs.addend(kr) : data.getInt(i * entry + 4);
                    flags = (int) (addend & 3);
                    key = key(sym, addend & ~3L);
                    keyProblem = keyProblem(sym, key, addend & ~3L);
                }
                problem = problem != null ? problem : keyProblem;
            }
            return new TableEntry(i, problem == null ? siteSection : -1, siteOffset, siteOffset, key, 0, flags, problem);
        }

        private int symbol(int r) {
            int sym = relocs.symbol(r);
            syms.checkIndex(sym, elf.sectionName(rel) + " entry " + r);
            return sym;
        }

        /** The key a key field names: its symbol, or the symbol at section symbol + offset. */
        private String key(int sym, long offset) {
            if (syms.type(sym) != SymbolTable.STT_SECTION) {
                return syms.name(sym);
            }
            if (symbolsAt == null) {
                symbolsAt = new SymbolsAt(places, s -> true); // one pass for the whole table
            }
            int at = places.place(sym) ? symbolsAt.at(places.section, places.offset + offset) : -1;
            return at < 0 ? null : syms.name(at);
        }

        private String keyProblem(int sym, String key, long offset) {
            if (syms.type(sym) == SymbolTable.STT_SECTION) {
                return key != null ? null : "key points at section offset 0x" + Long.toHexString(syms.value(sym) + offset)
                        + " with no symbol";
            }
            return offset == 0 ? null : "key points " + offset + " bytes into " + key;
        }

        private long implicit(long field) {
            return layout == TableLayout.ABS && elf.is64() ? data.getLong((int) field) : data.getInt((int) field);
        }

        private String describe(int sym) {
            String n = syms.name(sym);
            return n.isEmpty() ? "symbol " + sym : n;
        }
    }

    /** Linked program: fields hold resolved values; addresses come from sh_addr. */
    private static List<TableEntry> readLinked(ElfFile elf, long base, ByteBuffer data, TableLayout layout, int entry) {
        int count = data.limit() / entry;
        List<TableEntry> out = new ArrayList<>(count);
        AddressMap map = new AddressMap(elf);
        for (int i = 0; i < count; i++) {
            long field = base + (long) i * entry;
            long site;
            if (layout == TableLayout.ABS) {
                site = elf.is64() ? data.getLong(i * entry) : data.getInt(i * entry) & 0xffffffffL;
            } else {
                site = field + data.getInt(i * entry);
            }
            String key = null;
            long keyAddress = 0;
            int flags = 0;
            if (layout == TableLayout.SITE_KEY) {
                long k = field + 4 + data.getInt(i * entry + 4);
                flags = (int) (k & 3);
                keyAddress = k & ~3L;
                key = map.symbolAt(keyAddress);
            }
            int sec = map.sectionOf(site);
            String problem = sec < 0 ? "site address 0x" + Long.toHexString(site) + " is in no executable section" : null;
            out.add(new TableEntry(i, sec, sec < 0 ? 0 : site - elf.sectionAddress(sec), site, key, keyAddress, flags,
                    problem));
        }
        return out;
    }
}
