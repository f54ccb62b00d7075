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
import patchsites.lds.LinkerScript;

/**
 * Decodes an existing call-site table: through its relocations in a relocatable object (the
 * mirror of {@code TableEmitter}), through the resolved field values in a linked program, where the
 * table is the section of its name or, inside another output section, the bytes between its
 * {@code __start_<id>}/{@code __stop_<id>} bounds.
 */
public final class TableReader {
    private TableReader() {}

    public static List<TableEntry> read(ElfFile elf, Arch arch, String section, TableLayout layout) {
        int table = -1;
        for (int i = 1; i < elf.sectionCount(); i++) {
            if (elf.sectionName(i).equals(section)) {
                if (table >= 0) {
                    throw new ElfFormatException("more than one section is named " + section);
                }
                table = i;
            }
        }
        int entry = layout.entrySize(elf.is64());
        if (table < 0 && elf.type() != ElfFile.ET_REL) {
            // A linked program may keep the table inside another output section, bracketed by its
            // bounds: the kernel's vmlinux.lds puts .static_call_sites in .rodata (RO_AFTER_INIT_DATA).
            List<TableEntry> bounded = readBetweenBounds(elf, section, layout, entry);
            if (bounded != null) {
                return bounded;
            }
            throw new ElfFormatException("no section " + section + " and no " + LinkerScript.startSymbol(section) + "/"
                    + LinkerScript.stopSymbol(section) + " symbols");
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

    /**
     * The table between {@code __start_<id>} and {@code __stop_<id>} of a linked program, or null
     * when the program does not define both.
     */
    private static List<TableEntry> readBetweenBounds(ElfFile elf, String section, TableLayout layout, int entry) {
        String startName = LinkerScript.startSymbol(section), stopName = LinkerScript.stopSymbol(section);
        for (int s = 1; s < elf.sectionCount(); s++) {
            if (elf.sectionType(s) != ElfFile.SHT_SYMTAB) {
                continue;
            }
            SymbolTable syms = elf.symbolTable(s);
            // Addresses are unsigned: a kernel's lie in the upper half, negative as a long, so
            // "found" is a flag and never a sign.
            long start = 0, stop = 0;
            boolean haveStart = false, haveStop = false;
            for (int i = 1; i < syms.count(); i++) {
                if (syms.rawSectionIndex(i) == 0) {
                    continue; // undefined
                }
                String n = syms.name(i);
                if (n.equals(startName)) {
                    start = syms.value(i);
                    haveStart = true;
                } else if (n.equals(stopName)) {
                    stop = syms.value(i);
                    haveStop = true;
                }
            }
            if (!haveStart || !haveStop) {
                return null;
            }
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
        return null;
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
