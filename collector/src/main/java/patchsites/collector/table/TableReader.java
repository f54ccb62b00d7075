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
import patchsites.collector.emit.TableLayout;

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
        int table = -1;
        for (int i = 1; i < elf.sectionCount(); i++) {
            if (elf.sectionName(i).equals(section)) {
                if (table >= 0) {
                    throw new ElfFormatException("more than one section is named " + section);
                }
                table = i;
            }
        }
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
        for (int i = 1; i < elf.sectionCount(); i++) {
            if (elf.sectionName(i).equals(section)) {
                return true;
            }
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
        if (!hasSymbols(elf)) {
            throw new ElfFormatException("no symbol table (a stripped program, or extract-vmlinux output): " + section
                    + " is found by its bounds " + names + ", which are symbols (audit the vmlinux of the -dbg package,"
                    + " or give --bounds=0xSTART,0xSTOP)");
        }
        throw new ElfFormatException("no section " + section + " and no " + names + " symbols");
    }

    /** Whether the file has a symbol table (SHT_SYMTAB): a stripped program, extract-vmlinux output, has none. */
    public static boolean hasSymbols(ElfFile elf) {
        for (int s = 1; s < elf.sectionCount(); s++) {
            if (elf.sectionType(s) == ElfFile.SHT_SYMTAB) {
                return true;
            }
        }
        return false;
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
        for (int s = 1; s < elf.sectionCount(); s++) {
            if (elf.sectionType(s) != ElfFile.SHT_SYMTAB) {
                continue;
            }
            SymbolTable syms = elf.symbolTable(s);
            for (int i = 1; i < syms.count(); i++) {
                if (syms.rawSectionIndex(i) != 0 && syms.name(i).equals(bound)) {
                    return syms.value(i);
                }
            }
            return null;
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
        for (int i = 1; i < elf.sectionCount(); i++) {
            long addr = elf.sectionAddress(i);
            if (elf.sectionType(i) == ElfFile.SHT_NOBITS || elf.sectionType(i) == ElfFile.SHT_NULL
                    || (elf.sectionFlags(i) & SHF_ALLOC) == 0 || !AddressMap.within(start, stop, addr, elf.sectionSize(i))) {
                continue;
            }
            ByteBuffer data = elf.data(i).slice((int) (start - addr), (int) (stop - start)).order(elf.order());
            return readLinked(elf, start, data, layout, entry);
        }
        throw new ElfFormatException(startName + " to " + stopName + " lies in no section with contents");
    }

    private static final long SHF_ALLOC = 2;

    private static List<TableEntry> readRelocatable(ElfFile elf, Arch arch, int table, ByteBuffer data,
            TableLayout layout, int entry) {
        int rel = -1;
        for (int i = 1; i < elf.sectionCount(); i++) {
            int t = elf.sectionType(i);
            if ((t == ElfFile.SHT_REL || t == ElfFile.SHT_RELA) && elf.sectionInfo(i) == table) {
                if (rel >= 0) {
                    throw new ElfFormatException("sections " + rel + " and " + i + " both relocate "
                            + elf.sectionName(table));
                }
                rel = i;
            }
        }
        String name = elf.sectionName(table);
        int count = data.limit() / entry;
        List<TableEntry> out = new ArrayList<>(count);
        if (rel < 0) {
            for (int i = 0; i < count; i++) {
                out.add(new TableEntry(i, -1, 0, 0, null, 0, 0, "no relocation section for " + name));
            }
            return out;
        }
        Relocations relocs = elf.relocations(rel);
        SymbolTable syms = elf.symbolTable(elf.sectionLink(rel));
        // Field slot -> relocation index; a table has at most two fields per entry.
        int fields = layout == TableLayout.SITE_KEY ? 2 : 1;
        int[] at = new int[count * fields];
        Arrays.fill(at, -1);
        List<String> stray = new ArrayList<>();
        for (int k = 0; k < relocs.count(); k++) {
            long off = relocs.offset(k);
            long slot = layout == TableLayout.SITE_KEY ? off / 4 : off / entry;
            boolean aligned = layout == TableLayout.SITE_KEY ? off % 4 == 0 : off % entry == 0;
            if (!aligned || slot < 0 || slot >= at.length) {
                stray.add("relocation at 0x" + Long.toHexString(off) + " is not on a field");
                continue;
            }
            if (at[(int) slot] >= 0) {
                stray.add("two relocations at 0x" + Long.toHexString(off));
            }
            at[(int) slot] = k;
        }
        int siteType = layout == TableLayout.ABS ? arch.abi().tableAbsoluteType() : arch.abi().tablePcRel32Type();
        SymbolsAt symbolsAt = new SymbolsAt(syms);
        for (int i = 0; i < count; i++) {
            String problem = null;
            int siteSection = -1;
            long siteOffset = 0;
            String key = null;
            int flags = 0;
            int r = at[i * fields];
            if (r < 0) {
                problem = "site field has no relocation";
            } else if (relocs.type(r) != siteType) {
                problem = "site field relocation is " + arch.abi().relocationName(relocs.type(r)) + ", expected "
                        + arch.abi().relocationName(siteType);
            } else {
                int sym = relocs.symbol(r);
                syms.checkIndex(sym, elf.sectionName(rel) + " entry " + r);
                siteSection = syms.definingSection(sym);
                long addend = relocs.hasAddends() ? relocs.addend(r) : implicit(data, (long) i * entry, layout, elf.is64());
                siteOffset = arch.codeAddress(syms.value(sym)) + addend;
                if (siteSection < 0) {
                    problem = "site relocation is against " + describe(syms, sym) + ", which is not defined here";
                }
            }
            if (layout == TableLayout.SITE_KEY) {
                int kr = at[i * 2 + 1];
                if (kr < 0) {
                    problem = problem != null ? problem : "key field has no relocation";
                } else {
                    int sym = relocs.symbol(kr);
                    syms.checkIndex(sym, elf.sectionName(rel) + " entry " + kr);
                    long addend = relocs.hasAddends() ? relocs.addend(kr) : data.getInt(i * entry + 4);
                    flags = (int) (addend & 3);
                    long rest = addend & ~3L;
                    if (syms.type(sym) == SymbolTable.STT_SECTION) {
                        key = symbolsAt.get(syms.definingSection(sym), syms.value(sym) + rest);
                        if (key == null) {
                            problem = problem != null ? problem : "key points at section offset 0x"
                                    + Long.toHexString(syms.value(sym) + rest) + " with no symbol";
                        }
                    } else {
                        key = syms.name(sym);
                        if (rest != 0) {
                            problem = problem != null ? problem : "key points " + rest + " bytes into " + key;
                        }
                    }
                }
            }
            out.add(new TableEntry(i, problem == null ? siteSection : -1, siteOffset, siteOffset, key, 0, flags, problem));
        }
        if (!stray.isEmpty()) {
            throw new ElfFormatException(name + ": " + stray.get(0) + (stray.size() > 1 ? " (and " + (stray.size() - 1)
                    + " more)" : ""));
        }
        return out;
    }

    private static long implicit(ByteBuffer data, long at, TableLayout layout, boolean is64) {
        if (layout == TableLayout.ABS && is64) {
            return data.getLong((int) at);
        }
        return data.getInt((int) at);
    }

    private static String describe(SymbolTable syms, int sym) {
        String n = syms.name(sym);
        return n.isEmpty() ? "symbol " + sym : n;
    }

    /**
     * Named symbols (objects, functions, labels) by section and offset, indexed on first use with
     * one pass over the symbol table: a lookup per key field would make a table of n entries cost
     * n passes over the symbols.
     */
    private static final class SymbolsAt {
        private final SymbolTable syms;
        private java.util.Map<Integer, java.util.Map<Long, String>> bySection;

        SymbolsAt(SymbolTable syms) {
            this.syms = syms;
        }

        /** The symbol at {@code offset} of {@code sec}; a global or weak one wins over a local one. */
        String get(int sec, long offset) {
            if (sec < 0) {
                return null;
            }
            if (bySection == null) {
                bySection = new java.util.HashMap<>();
                for (int i = 1; i < syms.count(); i++) {
                    int t = syms.type(i);
                    if (t == SymbolTable.STT_SECTION || t == SymbolTable.STT_FILE) {
                        continue;
                    }
                    int s = syms.definingSection(i);
                    if (s < 0) {
                        continue;
                    }
                    java.util.Map<Long, String> m = bySection.computeIfAbsent(s, k -> new java.util.HashMap<>());
                    long at = syms.value(i);
                    if (!m.containsKey(at) || syms.binding(i) != SymbolTable.STB_LOCAL) {
                        m.put(at, syms.name(i));
                    }
                }
            }
            java.util.Map<Long, String> m = bySection.get(sec);
            return m == null ? null : m.get(offset);
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
