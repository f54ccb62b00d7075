package patchsites.collector.elf;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * A symbol table read in place: every accessor reads the mapped entry, nothing is copied.
 * Section indices are resolved through SHT_SYMTAB_SHNDX when a symbol says SHN_XINDEX.
 *
 * <p><b>Aliases.</b> Where several symbols answer one lookup (one name, one place), every lookup
 * of the project picks the same one ({@link #outranks}): a global symbol wins over a weak one,
 * a weak one over a local one, and among equals the first in the table; the linker resolves a
 * name that way, and objtool names a function that way.
 */
public final class SymbolTable {
    public static final int STB_LOCAL = 0, STB_GLOBAL = 1, STB_WEAK = 2;
    public static final int STT_NOTYPE = 0, STT_OBJECT = 1, STT_FUNC = 2, STT_SECTION = 3, STT_FILE = 4;

    private final ByteBuffer entries;
    /**
     * Where the fields sit ({@link ElfLayout}), copied into this object: the scan reads a few fields of every symbol
     * of a vmlinux.o-sized table, and a load through {@code layout} per field costs it measurably.
     */
    private final boolean is64;
    private final int entsize, valueAt, sizeAt, infoAt, otherAt, shndxAt;
    private final int count;
    private final StringTable names;
    private final ByteBuffer shndx;
    private final int shnum;
    private final String what;

    SymbolTable(ByteBuffer entries, ElfLayout layout, int count, StringTable names, ByteBuffer shndx, int shnum,
            String what) {
        this.entries = entries;
        this.is64 = layout.is64;
        this.entsize = layout.symentsize;
        this.valueAt = layout.stValue;
        this.sizeAt = layout.stSize;
        this.infoAt = layout.stInfo;
        this.otherAt = layout.stOther;
        this.shndxAt = layout.stShndx;
        this.count = count;
        this.names = names;
        this.shndx = shndx;
        this.shnum = shnum;
        this.what = what;
    }

    public int count() {
        return count;
    }

    public StringTable names() {
        return names;
    }

    private int base(int i) {
        return i * entsize;
    }

    public int nameOffset(int i) {
        return entries.getInt(base(i)); // st_name is the first field in both classes
    }

    public String name(int i) {
        return names.get(nameOffset(i));
    }

    public long value(int i) {
        return is64 ? entries.getLong(base(i) + valueAt) : entries.getInt(base(i) + valueAt) & 0xffffffffL;
    }

    public long size(int i) {
        return is64 ? entries.getLong(base(i) + sizeAt) : entries.getInt(base(i) + sizeAt) & 0xffffffffL;
    }

    public int info(int i) {
        return entries.get(base(i) + infoAt) & 0xff;
    }

    public int type(int i) {
        return info(i) & 0xf;
    }

    public int binding(int i) {
        return info(i) >>> 4;
    }

    public int other(int i) {
        return entries.get(base(i) + otherAt) & 0xff;
    }

    /** The raw 16-bit st_shndx (SHN_UNDEF, a reserved value, SHN_XINDEX or an index). */
    public int rawSectionIndex(int i) {
        return entries.getShort(base(i) + shndxAt) & 0xffff;
    }

    /**
     * The section a symbol is defined in, or -1 when it is undefined or has a reserved index
     * (SHN_ABS, SHN_COMMON, SHN_LIVEPATCH, ...).
     */
    public int definingSection(int i) {
        int raw = rawSectionIndex(i);
        if (raw == ElfFile.SHN_XINDEX) {
            if (shndx == null) {
                throw new ElfFormatException(what + ": symbol " + i + " says SHN_XINDEX but there is no SHT_SYMTAB_SHNDX");
            }
            raw = shndx.getInt(i * 4);
        } else if (raw == ElfFile.SHN_UNDEF || raw >= ElfFile.SHN_LORESERVE) {
            return -1;
        }
        if (raw <= 0 || raw >= shnum) {
            throw new ElfFormatException(what + ": symbol " + i + " has section index " + Integer.toUnsignedString(raw) + " out of range (" + shnum
                    + " sections)");
        }
        return raw;
    }

    /** Whether symbol {@code candidate} wins over {@code current} for one name or place (see the class comment). */
    public boolean outranks(int candidate, int current) {
        return rank(candidate) > rank(current);
    }

    /** The binding's weight in {@link #outranks}: 2 global (and other non-local bindings), 1 weak, 0 local. */
    public int rank(int i) {
        int b = binding(i);
        return b == STB_LOCAL ? 0 : b == STB_WEAK ? 1 : 2;
    }

    /**
     * An ARM/AArch64/RISC-V mapping symbol ({@code $a}, {@code $t}, {@code $d}, {@code $x}...): it
     * marks what kind of bytes follow and names no place.
     */
    public boolean isMappingSymbol(int i) {
        if (binding(i) != STB_LOCAL || type(i) != STT_NOTYPE) {
            return false;
        }
        int off = nameOffset(i);
        return off != 0 && names.length(off) > 0 && names.bytes().get(off) == '$';
    }

    /** The symbol named {@code name} (defined or not), or -1. */
    public int named(String name) {
        Integer i = named(Set.of(name)).get(name);
        return i == null ? -1 : i;
    }

    /**
     * The symbol of each name in {@code wanted} that the table has (defined or not), in one pass.
     * STT_SECTION and STT_FILE symbols name nothing. Only names of a wanted length are decoded: a
     * vmlinux.o has ~10^5 symbols.
     */
    public Map<String, Integer> named(Collection<String> wanted) {
        return named(wanted, null);
    }

    /**
     * As {@link #named(Collection)}; {@code ambiguous}, when not null, also receives each name that
     * only several local symbols have (static functions of different files in an {@code ld -r}
     * output), for callers that must not pick one of them.
     */
    public Map<String, Integer> named(Collection<String> wanted, Set<String> ambiguous) {
        Map<String, Integer> found = new HashMap<>();
        Set<String> want = new HashSet<>(wanted);
        int maxLen = 0;
        for (String w : want) {
            maxLen = Math.max(maxLen, w.getBytes(StandardCharsets.UTF_8).length);
        }
        boolean[] lengths = new boolean[maxLen + 1];
        for (String w : want) {
            lengths[w.getBytes(StandardCharsets.UTF_8).length] = true;
        }
        for (int i = 1; i < count && !want.isEmpty(); i++) {
            int t = type(i);
            int off = nameOffset(i);
            if (t == STT_SECTION || t == STT_FILE || off == 0) {
                continue;
            }
            int len = names.length(off);
            if (len > maxLen || !lengths[len]) {
                continue;
            }
            String name = name(i);
            if (!want.contains(name)) {
                continue;
            }
            Integer prev = found.get(name);
            if (prev == null || outranks(i, prev)) {
                found.put(name, i);
            } else if (ambiguous != null && binding(prev) == STB_LOCAL && binding(i) == STB_LOCAL) {
                ambiguous.add(name);
            }
        }
        if (ambiguous != null) {
            ambiguous.removeIf(n -> binding(found.get(n)) != STB_LOCAL);
        }
        return found;
    }

    public void checkIndex(int i, String where) {
        if (i < 0 || i >= count) {
            throw new ElfFormatException(where + ": symbol index " + Integer.toUnsignedString(i) + " out of range (" + what + " has " + count
                    + " symbols)");
        }
    }
}
