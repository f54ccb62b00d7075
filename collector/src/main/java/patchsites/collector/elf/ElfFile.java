package patchsites.collector.elf;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * One ELF object: header and section header table parsed into primitive arrays (no object per
 * section), section contents handed out as views of the mapping. ELF32/ELF64, both byte orders,
 * and extended section numbering (e_shnum = 0, e_shstrndx = SHN_XINDEX) are handled here, so no
 * caller ever sees the difference.
 */
public final class ElfFile {
    public static final int ET_REL = 1, ET_EXEC = 2, ET_DYN = 3;

    public static final int SHT_NULL = 0, SHT_PROGBITS = 1, SHT_SYMTAB = 2, SHT_STRTAB = 3, SHT_RELA = 4,
            SHT_NOBITS = 8, SHT_REL = 9, SHT_DYNSYM = 11, SHT_GROUP = 17, SHT_SYMTAB_SHNDX = 18;
    public static final long SHF_WRITE = 0x1, SHF_ALLOC = 0x2, SHF_EXECINSTR = 0x4, SHF_INFO_LINK = 0x40, SHF_GROUP = 0x200,
            SHF_COMPRESSED = 0x800;
    public static final int SHN_UNDEF = 0, SHN_LORESERVE = 0xff00, SHN_ABS = 0xfff1, SHN_COMMON = 0xfff2,
            SHN_XINDEX = 0xffff;

    private final Source source;
    private final ByteOrder order;
    private final ElfLayout layout;
    private final int phnum;
    private final int type;
    private final int machine;
    private final int flags;
    private final int shnum;
    private final int shstrndx;

    // Section header table, one array per field.
    private final int[] shName, shType, shLink, shInfo;
    private final long[] shFlags, shAddr, shOffset, shSize, shAddralign, shEntsize;

    /** Section index -> the relocation section that patches it, 0 for none. */
    private final int[] relocatedBy;

    private StringTable sectionNames;
    private final String[] nameCache;
    private SymbolTable[] symbolTables;

    private ElfFile(Source source) {
        this.source = source;
        long fileSize = source.size();
        ByteBuffer ident = identification(source, fileSize);
        order = ident.get(5) == 1 ? ByteOrder.LITTLE_ENDIAN : ByteOrder.BIG_ENDIAN;
        ElfLayout l = layout = ElfLayout.of(ident.get(4) == 2);
        if (fileSize < l.ehsize) {
            throw new ElfFormatException("truncated ELF header (" + fileSize + " bytes, need " + l.ehsize + ")");
        }
        ByteBuffer eh = header();
        type = l.half(eh, l.eType);
        machine = l.half(eh, l.eMachine);
        flags = eh.getInt(l.eFlags);
        phnum = l.half(eh, l.ePhnum);
        long shoff = l.word(eh, l.eShoff);
        shnum = shoff == 0 ? 0 : (int) sectionCount(eh, shoff, fileSize);
        shstrndx = shoff == 0 ? l.half(eh, l.eShstrndx) : sectionNameIndex(eh, shoff);
        if (shnum > 0 && (shstrndx < 0 || shstrndx >= shnum)) {
            throw new ElfFormatException("section name table index " + Integer.toUnsignedString(shstrndx)
                    + " out of range (" + shnum + " sections)");
        }

        shName = new int[shnum];
        shType = new int[shnum];
        shLink = new int[shnum];
        shInfo = new int[shnum];
        shFlags = new long[shnum];
        shAddr = new long[shnum];
        shOffset = new long[shnum];
        shSize = new long[shnum];
        shAddralign = new long[shnum];
        shEntsize = new long[shnum];
        nameCache = new String[shnum];
        relocatedBy = new int[shnum];
        if (shnum > 0) {
            readSectionHeaders(source.slice(shoff, (long) shnum * l.shentsize).order(order));
            for (int i = 1; i < shnum; i++) {
                validateSection(i, fileSize);
            }
            if (shType[shstrndx] != SHT_STRTAB && shstrndx != 0) {
                throw new ElfFormatException("section name table (section " + shstrndx + ") is not SHT_STRTAB");
            }
            for (int i = 1; i < shnum; i++) {
                validateLinks(i);
            }
            checkOverlaps(shoff, (long) shnum * l.shentsize, l.ehsize);
        }
    }

    /** e_ident, checked: magic, class, data encoding, version. */
    private static ByteBuffer identification(Source source, long fileSize) {
        if (fileSize < 16) {
            throw new ElfFormatException("truncated ELF header (" + fileSize + " bytes)");
        }
        ByteBuffer ident = source.slice(0, 16);
        if (ident.getInt(0) != 0x7f454c46) {
            throw new ElfFormatException("not an ELF object (bad magic)");
        }
        int cls = ident.get(4), data = ident.get(5);
        if (cls != 1 && cls != 2) {
            throw new ElfFormatException("bad ELF class " + cls);
        }
        if (data != 1 && data != 2) {
            throw new ElfFormatException("bad ELF data encoding " + data);
        }
        if (ident.get(6) != 1) {
            throw new ElfFormatException("unsupported ELF version " + ident.get(6));
        }
        return ident;
    }

    /**
     * The number of sections of a table at {@code shoff}: e_shnum, or with extended numbering
     * (e_shnum 0) section header 0's sh_size, and only there. The table must fit in the file, so
     * that no array is larger than the file allows.
     */
    private long sectionCount(ByteBuffer eh, long shoff, long fileSize) {
        ElfLayout l = layout;
        int shentsize = l.half(eh, l.eShentsize);
        if (shentsize != l.shentsize) {
            throw new ElfFormatException("e_shentsize is " + shentsize + ", expected " + l.shentsize);
        }
        if (shoff < 0 || shoff > fileSize - l.shentsize) {
            throw new ElfFormatException("section header table at " + Source.hex(shoff) + " is past the end of the file");
        }
        long count = l.half(eh, l.eShnum);
        long size0 = l.word(source.slice(shoff, l.shentsize).order(order), l.shSize);
        if (count >= SHN_LORESERVE) {
            throw new ElfFormatException("e_shnum " + Source.hex(count) + " is a reserved value (a count that large"
                    + " goes in section header 0)");
        }
        if (count == 0) {
            if (size0 == 0) {
                throw new ElfFormatException("e_shnum is 0 and section header 0 gives no count (sh_size 0), but"
                        + " e_shoff is " + Source.hex(shoff));
            }
            count = size0;
        } else if (size0 != 0 && size0 != count) {
            throw new ElfFormatException("e_shnum is " + count + " but section header 0 says " + Long.toUnsignedString(size0)
                    + " sections (sh_size)");
        }
        if (count < 0 || count > (fileSize - shoff) / l.shentsize) {
            throw new ElfFormatException("section header table (" + Long.toUnsignedString(count) + " entries at "
                    + Source.hex(shoff) + ") runs past the end of the file");
        }
        return count;
    }

    /** e_shstrndx, or with extended numbering (SHN_XINDEX) section header 0's sh_link. */
    private int sectionNameIndex(ByteBuffer eh, long shoff) {
        int strndx = layout.half(eh, layout.eShstrndx);
        int link0 = source.slice(shoff, layout.shentsize).order(order).getInt(layout.shLink);
        if (strndx == SHN_XINDEX) {
            return link0;
        }
        if (strndx >= SHN_LORESERVE) {
            throw new ElfFormatException("e_shstrndx " + Source.hex(strndx) + " is a reserved section index");
        }
        if (link0 != 0 && link0 != strndx) {
            throw new ElfFormatException("e_shstrndx is " + strndx + " but section header 0 says " + link0 + " (sh_link)");
        }
        return strndx;
    }

    /** The section header table into one array per field. */
    private void readSectionHeaders(ByteBuffer sh) {
        ElfLayout l = layout;
        for (int i = 0; i < shnum; i++) {
            int b = i * l.shentsize;
            shName[i] = sh.getInt(b + l.shName);
            shType[i] = sh.getInt(b + l.shType);
            shFlags[i] = l.word(sh, b + l.shFlags);
            shAddr[i] = l.word(sh, b + l.shAddr);
            shOffset[i] = l.word(sh, b + l.shOffset);
            shSize[i] = l.word(sh, b + l.shSize);
            shLink[i] = sh.getInt(b + l.shLink);
            shInfo[i] = sh.getInt(b + l.shInfo);
            shAddralign[i] = l.word(sh, b + l.shAddralign);
            shEntsize[i] = l.word(sh, b + l.shEntsize);
        }
    }

    /** Offsets, sizes and indices that must be in range before anything else is looked at. */
    private void validateSection(int i, long fileSize) {
        int t = shType[i];
        if (t != SHT_NOBITS && t != SHT_NULL) {
            long off = shOffset[i], size = shSize[i];
            if (off < 0 || size < 0 || off > fileSize || size > fileSize - off) {
                throw new ElfFormatException(describe(i) + " data [" + Source.hex(off) + ", +" + Source.hex(size)
                        + ") lies past the end of the file (" + Source.hex(fileSize) + " bytes)");
            }
        }
        boolean linksSection = t == SHT_SYMTAB || t == SHT_DYNSYM || t == SHT_REL || t == SHT_RELA
                || t == SHT_SYMTAB_SHNDX || t == SHT_GROUP;
        // Dynamic relocations of a linked program may have no symbol table (sh_link 0, as Go's linker writes).
        boolean unlinkedDynamic = (t == SHT_REL || t == SHT_RELA) && shLink[i] == 0 && shInfo[i] == 0;
        if (linksSection && !unlinkedDynamic && (shLink[i] <= 0 || shLink[i] >= shnum)) {
            throw new ElfFormatException(describe(i) + ": sh_link " + Integer.toUnsignedString(shLink[i])
                    + " out of range (" + shnum + " sections)");
        }
        if ((t == SHT_REL || t == SHT_RELA) && (shInfo[i] < 0 || shInfo[i] >= shnum)) {
            throw new ElfFormatException(describe(i) + ": sh_info " + Integer.toUnsignedString(shInfo[i])
                    + " out of range (" + shnum + " sections)");
        }
    }

    /**
     * What sh_link and sh_info point at must be of the right kind: a symbol table's strings are an
     * SHT_STRTAB, relocations name a symbol table and patch a section that has contents. A file
     * that breaks this would be read one way and rewritten another.
     */
    private void validateLinks(int i) {
        int t = shType[i];
        int link = shLink[i];
        switch (t) {
            case SHT_SYMTAB, SHT_DYNSYM -> checkLink(i, shType[link] == SHT_STRTAB, "a string table");
            case SHT_SYMTAB_SHNDX, SHT_GROUP -> checkLink(i, shType[link] == SHT_SYMTAB, "a symbol table");
            case SHT_REL, SHT_RELA -> {
                checkLink(i, link == 0 || shType[link] == SHT_SYMTAB || shType[link] == SHT_DYNSYM, "a symbol table");
                int target = shInfo[i];
                if (target != 0) {
                    int tt = shType[target];
                    if (tt == SHT_NOBITS) {
                        throw new ElfFormatException(describe(i) + " relocates " + describe(target)
                                + ", which is SHT_NOBITS and has no contents");
                    }
                    if (tt == SHT_NULL || tt == SHT_REL || tt == SHT_RELA || tt == SHT_SYMTAB || tt == SHT_DYNSYM
                            || tt == SHT_STRTAB || tt == SHT_SYMTAB_SHNDX || tt == SHT_GROUP) {
                        throw new ElfFormatException(describe(i) + ": sh_info " + target + " names " + describe(target)
                                + ", a " + typeName(tt) + " section, which relocations cannot patch");
                    }
                    // In a relocatable object one section has one relocation section: with two, a
                    // reader and a rewriter could each take another. A linked program's dynamic
                    // relocations (SHF_ALLOC: .rel.plt names .plt on i386) are the loader's and say
                    // nothing of the code: only the kept ones (--emit-relocs) are found by section.
                    if (relocatedBy[target] != 0 && type == ET_REL) {
                        throw new ElfFormatException("sections " + relocatedBy[target] + " and " + i
                                + " both relocate " + describe(target));
                    }
                    if (relocatedBy[target] == 0 && (type == ET_REL || (shFlags[i] & SHF_ALLOC) == 0)) {
                        relocatedBy[target] = i;
                    }
                }
            }
            default -> { }
        }
    }

    /** Fails unless {@code linksRight}: section {@code i}'s sh_link must name {@code what}. */
    private void checkLink(int i, boolean linksRight, String what) {
        int link = shLink[i];
        if (!linksRight) {
            throw new ElfFormatException(describe(i) + ": sh_link " + link + " is not " + what + " ("
                    + describe(link) + " is " + typeName(shType[link]) + ")");
        }
    }

    /**
     * No two sections with contents share bytes, and none overlaps the ELF header or the section
     * header table: compilers, assemblers and linkers never write that, and a rewrite of such a
     * file would silently change one section when it writes the other. One sort by offset.
     */
    private void checkOverlaps(long shoff, long shdrBytes, long ehsize) {
        // Regions: the sections with contents, then -1 (the ELF header) and -2 (the section header table).
        int[] index = new int[shnum + 1];
        int n = 0;
        for (int i = 1; i < shnum; i++) {
            if (shType[i] != SHT_NOBITS && shType[i] != SHT_NULL && shSize[i] > 0) {
                index[n++] = i;
            }
        }
        index[n++] = -1;
        index[n++] = -2;
        long[] start = new long[n], end = new long[n];
        Integer[] order = new Integer[n];
        for (int r = 0; r < n; r++) {
            int i = index[r];
            start[r] = i == -1 ? 0 : i == -2 ? shoff : shOffset[i];
            end[r] = i == -1 ? ehsize : i == -2 ? shoff + shdrBytes : shOffset[i] + shSize[i];
            order[r] = r;
        }
        java.util.Arrays.sort(order, (a, b) -> start[a] != start[b] ? Long.compare(start[a], start[b])
                : Integer.compare(a, b));
        int widest = order[0];
        for (int j = 1; j < n; j++) {
            int cur = order[j];
            if (start[cur] < end[widest]) {
                throw new ElfFormatException(region(index[widest], start[widest], end[widest]) + " overlaps "
                        + region(index[cur], start[cur], end[cur]));
            }
            if (end[cur] > end[widest]) {
                widest = cur;
            }
        }
    }

    private String region(int i, long from, long to) {
        String what = i == -1 ? "the ELF header" : i == -2 ? "the section header table" : describe(i);
        return what + " [" + Source.hex(from) + ", " + Source.hex(to) + ")";
    }

    /** "section N (name)", or "section N" when the name cannot be read. */
    private String describe(int i) {
        if (shstrndx > 0 && shType[shstrndx] == SHT_STRTAB) { // in range: checked before any section is described
            try {
                String name = sectionName(i);
                if (!name.isEmpty()) {
                    return "section " + i + " (" + name + ")";
                }
            } catch (ElfFormatException e) {
                // fall through: the name table itself is what is wrong
            }
        }
        return "section " + i;
    }

    private static String typeName(int t) {
        return switch (t) {
            case SHT_NULL -> "SHT_NULL";
            case SHT_PROGBITS -> "SHT_PROGBITS";
            case SHT_SYMTAB -> "SHT_SYMTAB";
            case SHT_STRTAB -> "SHT_STRTAB";
            case SHT_RELA -> "SHT_RELA";
            case SHT_NOBITS -> "SHT_NOBITS";
            case SHT_REL -> "SHT_REL";
            case SHT_DYNSYM -> "SHT_DYNSYM";
            case SHT_GROUP -> "SHT_GROUP";
            case SHT_SYMTAB_SHNDX -> "SHT_SYMTAB_SHNDX";
            default -> "type " + Source.hex(t & 0xffffffffL);
        };
    }

    /** Parses an object held in memory (a mapped file or an archive member). */
    public static ElfFile parse(Source source) {
        return new ElfFile(source);
    }

    public boolean is64() {
        return layout.is64;
    }

    public ByteOrder order() {
        return order;
    }

    public boolean isBigEndian() {
        return order == ByteOrder.BIG_ENDIAN;
    }

    public int type() {
        return type;
    }

    public int machine() {
        return machine;
    }

    public int flags() {
        return flags;
    }

    public int sectionCount() {
        return shnum;
    }

    public int sectionType(int i) {
        return shType[i];
    }

    public long sectionFlags(int i) {
        return shFlags[i];
    }

    public boolean isExecutable(int i) {
        return (shFlags[i] & SHF_EXECINSTR) != 0;
    }

    public long sectionAddress(int i) {
        return shAddr[i];
    }

    public long sectionOffset(int i) {
        return shOffset[i];
    }

    public long sectionSize(int i) {
        return shSize[i];
    }

    public int sectionLink(int i) {
        return shLink[i];
    }

    public int sectionInfo(int i) {
        return shInfo[i];
    }

    public long sectionAlign(int i) {
        return shAddralign[i];
    }

    public long sectionEntrySize(int i) {
        return shEntsize[i];
    }

    /**
     * The first section after section {@code after} (0: from the start) that has every flag of
     * {@code flags} and whose address range {@code [sh_addr, sh_addr + sh_size)} holds
     * {@code address}, or -1. Addresses compare unsigned: a kernel's are negative as longs.
     * Sections may overlap in a linked program (.tbss): ask again after the one found.
     */
    public int sectionHolding(long address, long flags, int after) {
        for (int i = Math.max(after, 0) + 1; i < shnum; i++) {
            if ((shFlags[i] & flags) == flags && shType[i] != SHT_NULL
                    && Long.compareUnsigned(address - shAddr[i], shSize[i]) < 0) {
                return i;
            }
        }
        return -1;
    }

    /**
     * Symbol values and relocation offsets are addresses in linked files and section offsets in
     * ET_REL: this is what to subtract from one to get an offset in section {@code i}.
     */
    public long sectionBase(int i) {
        return type == ET_REL ? 0 : shAddr[i];
    }

    /**
     * Where entry {@code k} of relocation section {@code relSection} ({@code rel}) patches section
     * {@code section}: its offset there ({@link #sectionBase}). Outside the {@code size} bytes the
     * caller will read is a malformed object, reported as the one message every reader gives.
     */
    public long relocatedField(int relSection, Relocations rel, int k, int section, long size) {
        long field = rel.offset(k) - sectionBase(section);
        if (field < 0 || field >= size) {
            throw new ElfFormatException(sectionName(relSection) + " entry " + k + ": offset " + Source.hex(field)
                    + " is outside " + sectionName(section) + " (" + Source.hex(size) + " bytes)");
        }
        return field;
    }

    /**
     * The relocation section (SHT_REL or SHT_RELA) that patches section {@code i}, or -1: in a
     * linked program, the relocations kept by --emit-relocs, never the dynamic ones.
     */
    public int relocationSectionOf(int i) {
        return i > 0 && i < shnum && relocatedBy[i] != 0 ? relocatedBy[i] : -1;
    }

    /** The index of the section named {@code name}, or -1; fails if more than one has that name. */
    public int sectionNamed(String name) {
        int found = -1;
        for (int i = 1; i < shnum; i++) {
            if (sectionName(i).equals(name)) {
                if (found >= 0) {
                    throw new ElfFormatException("more than one section is named " + name);
                }
                found = i;
            }
        }
        return found;
    }

    /** The first SHT_SYMTAB section ({@code .symtab}; objects have one), or -1. */
    public int symbolTableSection() {
        for (int i = 1; i < shnum; i++) {
            if (shType[i] == SHT_SYMTAB) {
                return i;
            }
        }
        return -1;
    }

    /** e_shstrndx as resolved (SHN_XINDEX followed to section header 0): the section name table. */
    public int sectionNameTable() {
        return shstrndx;
    }

    /** sh_name: the offset of section {@code i}'s name in the section name table. */
    public int nameOffset(int i) {
        return shName[i];
    }

    /** The ELF header's bytes (52 or 64), in the object's byte order. */
    public ByteBuffer header() {
        return source.slice(0, layout.ehsize).order(order);
    }

    /** Where each field of this object's headers, symbols and relocations sits. */
    public ElfLayout layout() {
        return layout;
    }

    /** e_phnum: program headers (a relocatable object has none). */
    public int programHeaderCount() {
        return phnum;
    }

    public String sectionName(int i) {
        String n = nameCache[i];
        if (n == null) {
            if (sectionNames == null) {
                sectionNames = shstrndx == 0 ? new StringTable(ByteBuffer.allocate(0), "section names")
                        : stringTable(shstrndx, "section name table");
            }
            n = nameCache[i] = sectionNames.get(shName[i]);
        }
        return n;
    }

    /** Contents of section {@code i}, in the object's byte order. SHT_NOBITS has none. */
    public ByteBuffer data(int i) {
        checkSectionIndex(i);
        if (shType[i] == SHT_NOBITS) {
            throw new ElfFormatException("section " + i + " (" + sectionName(i) + ") is SHT_NOBITS and has no contents");
        }
        return source.slice(shOffset[i], shSize[i]).order(order);
    }

    /** A string table; ELF defines its last byte to be NUL, so that every string in it ends. */
    private StringTable stringTable(int i, String what) {
        ByteBuffer b = data(i);
        if (b.limit() > 0 && b.get(b.limit() - 1) != 0) {
            throw new ElfFormatException(what + " (section " + i + ") does not end with a NUL byte");
        }
        return new StringTable(b, what);
    }

    /** Writes the contents of section {@code i} to {@code out} at {@code at}, without reading them here. */
    public void copySection(int i, java.nio.channels.FileChannel out, long at) throws java.io.IOException {
        if (shType[i] == SHT_NOBITS) {
            return;
        }
        source.copyTo(shOffset[i], shSize[i], out, at);
    }

    /** The symbol table in section {@code i} (SHT_SYMTAB or SHT_DYNSYM), parsed once. */
    public SymbolTable symbolTable(int i) {
        if (symbolTables == null) {
            symbolTables = new SymbolTable[shnum];
        }
        checkSectionIndex(i);
        SymbolTable st = symbolTables[i];
        if (st == null) {
            if (shType[i] != SHT_SYMTAB && shType[i] != SHT_DYNSYM) {
                throw new ElfFormatException("section " + i + " (" + sectionName(i) + ") is not a symbol table");
            }
            int count = entries(i, layout.symentsize);
            StringTable names = stringTable(shLink[i], "string table of " + sectionName(i));
            int x = extendedIndexSection(i);
            ByteBuffer shndx = x < 0 ? null : data(x);
            if (shndx != null && shndx.limit() < (long) count * 4) {
                throw new ElfFormatException("SHT_SYMTAB_SHNDX for " + sectionName(i) + " has " + shndx.limit() / 4
                        + " entries, the symbol table " + count);
            }
            st = symbolTables[i] = new SymbolTable(data(i), layout, count, names, shndx, shnum, sectionName(i));
        }
        return st;
    }

    /** The SHT_SYMTAB_SHNDX section of symbol table {@code symtab} (the section indices SHN_XINDEX stands for), or -1. */
    public int extendedIndexSection(int symtab) {
        for (int s = 1; s < shnum; s++) {
            if (shType[s] == SHT_SYMTAB_SHNDX && shLink[s] == symtab) {
                return s;
            }
        }
        return -1;
    }

    /** The relocations in section {@code i} (SHT_REL or SHT_RELA), read in place. */
    public Relocations relocations(int i) {
        boolean rela = shType[i] == SHT_RELA;
        if (!rela && shType[i] != SHT_REL) {
            throw new ElfFormatException("section " + i + " (" + sectionName(i) + ") is not a relocation section");
        }
        return new Relocations(data(i), layout, rela, entries(i, layout.relocationSize(rela)));
    }

    private void checkSectionIndex(int i) {
        if (i <= 0 || i >= shnum) {
            throw new ElfFormatException("section index " + i + " out of range (" + shnum + " sections)");
        }
    }

    /** The number of entries of section {@code i}, a table of {@code entsize}-byte entries. */
    private int entries(int i, int entsize) {
        if (shEntsize[i] != entsize) {
            throw new ElfFormatException("section " + sectionName(i) + ": sh_entsize is " + shEntsize[i] + ", expected "
                    + entsize);
        }
        if (shSize[i] % entsize != 0) {
            throw new ElfFormatException("section " + sectionName(i) + ": size " + shSize[i]
                    + " is not a multiple of its entry size " + entsize);
        }
        return (int) (shSize[i] / entsize);
    }
}
