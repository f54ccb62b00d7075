package patchsites.collector.elf;

import java.nio.ByteBuffer;

/**
 * A symbol table read in place: every accessor reads the mapped entry, nothing is copied.
 * Section indices are resolved through SHT_SYMTAB_SHNDX when a symbol says SHN_XINDEX.
 */
public final class SymbolTable {
    public static final int STB_LOCAL = 0, STB_GLOBAL = 1, STB_WEAK = 2;
    public static final int STT_NOTYPE = 0, STT_OBJECT = 1, STT_FUNC = 2, STT_SECTION = 3, STT_FILE = 4;

    private final ByteBuffer entries;
    private final boolean is64;
    private final int count;
    private final StringTable names;
    private final ByteBuffer shndx;
    private final int shnum;
    private final String what;

    SymbolTable(ByteBuffer entries, boolean is64, int count, StringTable names, ByteBuffer shndx, int shnum, String what) {
        this.entries = entries;
        this.is64 = is64;
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
        return is64 ? i * 24 : i * 16;
    }

    public int nameOffset(int i) {
        return entries.getInt(base(i));
    }

    public String name(int i) {
        return names.get(nameOffset(i));
    }

    public long value(int i) {
        return is64 ? entries.getLong(base(i) + 8) : entries.getInt(base(i) + 4) & 0xffffffffL;
    }

    public long size(int i) {
        return is64 ? entries.getLong(base(i) + 16) : entries.getInt(base(i) + 8) & 0xffffffffL;
    }

    public int info(int i) {
        return entries.get(base(i) + (is64 ? 4 : 12)) & 0xff;
    }

    public int type(int i) {
        return info(i) & 0xf;
    }

    public int binding(int i) {
        return info(i) >>> 4;
    }

    public int other(int i) {
        return entries.get(base(i) + (is64 ? 5 : 13)) & 0xff;
    }

    /** The raw 16-bit st_shndx (SHN_UNDEF, a reserved value, SHN_XINDEX or an index). */
    public int rawSectionIndex(int i) {
        return entries.getShort(base(i) + (is64 ? 6 : 14)) & 0xffff;
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

    public void checkIndex(int i, String where) {
        if (i < 0 || i >= count) {
            throw new ElfFormatException(where + ": symbol index " + Integer.toUnsignedString(i) + " out of range (" + what + " has " + count
                    + " symbols)");
        }
    }
}
