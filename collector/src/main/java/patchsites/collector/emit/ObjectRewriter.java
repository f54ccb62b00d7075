package patchsites.collector.emit;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.TreeSet;
import patchsites.collector.elf.ElfFile;
import patchsites.collector.elf.ElfFormatException;
import patchsites.collector.elf.ElfLayout;
import patchsites.collector.elf.Source;
import patchsites.collector.elf.SymbolTable;

/**
 * Writes a relocatable object again with sections added or replaced and section symbols added.
 *
 * <p>Section indices of the original never change: new sections are appended, and a section
 * that is replaced keeps its index (so running emit twice gives the same bytes). New STT_SECTION
 * symbols go at the end of the locals, as ELF requires locals before globals; every global's
 * index therefore moves up, and every relocation and group that names a symbol is renumbered.
 * The file is laid out again in section-index order, each section at its alignment, the section
 * header table last. Extended numbering (SHN_XINDEX) is used in the output whenever the counts
 * need it.
 */
public final class ObjectRewriter {
    private static final int SHT_LLVM_ADDRSIG = 0x6fff4c03;
    /**
     * File offsets are aligned to a section's sh_addralign up to this much. Nothing maps a
     * relocatable object, so larger alignments (which only the final link must honour) would
     * only pad the file: a header claiming 2^40 would otherwise make a terabyte.
     */
    static final long MAX_FILE_ALIGN = 4096;

    private final ElfFile elf;
    private final int symtab;
    private final int firstGlobal;
    private final ElfLayout layout;

    /** Sections (by index) that need a new section symbol, in index order. */
    private final TreeSet<Integer> newSectionSymbols = new TreeSet<>();
    private int[] sectionSymbol; // section index -> final symbol index; null until the symbols are frozen

    private final List<Section> sections = new ArrayList<>();

    /** A section of the output: original fields, possibly new contents. */
    private static final class Section {
        final int original; // its index in the input; -1: new, or replaced by putSection
        String newName; // null: keep the original name
        int name; // offset in the output's section name table
        int type, link, info;
        long flags, addr, align, entsize, size;
        ByteBuffer data; // null: the original contents (or none for NOBITS)

        Section(int original, int type, long flags, long addr, long size, int link, int info, long align, long entsize) {
            this.original = original;
            this.type = type;
            this.flags = flags;
            this.addr = addr;
            this.size = size;
            this.link = link;
            this.info = info;
            this.align = align;
            this.entsize = entsize;
        }

        void setContents(ByteBuffer contents) {
            data = contents;
            size = contents.limit();
        }
    }

    public ObjectRewriter(ElfFile elf) {
        this.elf = elf;
        this.layout = elf.layout();
        checkRewritable(elf);
        symtab = onlySymbolTable(elf);
        firstGlobal = elf.sectionInfo(symtab);
        checkSymbolsCopyable(elf.symbolTable(symtab));
        for (int i = 0; i < elf.sectionCount(); i++) {
            sections.add(new Section(i, elf.sectionType(i), elf.sectionFlags(i), elf.sectionAddress(i), elf.sectionSize(i),
                    elf.sectionLink(i), elf.sectionInfo(i), elf.sectionAlign(i), elf.sectionEntrySize(i)));
        }
    }

    /** A relocatable object without program headers, whose alignments are powers of two. */
    private static void checkRewritable(ElfFile elf) {
        if (elf.type() != ElfFile.ET_REL) {
            throw new ElfFormatException("not a relocatable object (ET_REL); tables are written into objects before the final link");
        }
        if (elf.programHeaderCount() != 0) {
            // The file is laid out anew; program headers would keep pointing at the old offsets.
            throw new ElfFormatException("relocatable object with program headers (e_phnum " + elf.programHeaderCount()
                    + ")");
        }
        for (int i = 1; i < elf.sectionCount(); i++) {
            long a = elf.sectionAlign(i);
            if (a != 0 && (a & (a - 1)) != 0) {
                throw new ElfFormatException("section " + i + " (" + elf.sectionName(i) + "): sh_addralign "
                        + Long.toUnsignedString(a) + " is not a power of two");
            }
        }
    }

    /** The one SHT_SYMTAB: new symbols go into it, and with two a reader and the rewriter could each take another. */
    private static int onlySymbolTable(ElfFile elf) {
        int st = elf.symbolTableSection();
        if (st < 0) {
            throw new ElfFormatException("no symbol table (stripped object?)");
        }
        for (int i = st + 1; i < elf.sectionCount(); i++) {
            if (elf.sectionType(i) == ElfFile.SHT_SYMTAB) {
                throw new ElfFormatException("more than one SHT_SYMTAB section");
            }
        }
        return st;
    }

    /**
     * Every symbol is copied into the output (renumbered when section symbols are added): each
     * must have a name in the string table and a section that exists, or the output would carry
     * a broken symbol that every later reader trips over. One pass, no allocation.
     */
    private void checkSymbolsCopyable(SymbolTable syms) {
        if (firstGlobal < 1 || firstGlobal > syms.count()) {
            throw new ElfFormatException(".symtab: sh_info (first non-local symbol) " + firstGlobal + " is out of range");
        }
        for (int i = 1; i < syms.count(); i++) {
            int name = syms.nameOffset(i);
            if (name != 0) {
                syms.names().length(name);
            }
            syms.definingSection(i);
        }
    }

    public ElfFile source() {
        return elf;
    }

    public int symbolTableIndex() {
        return symtab;
    }

    /** Asks for an STT_SECTION symbol of section {@code sec}; call {@link #freezeSymbols} after the last. */
    public void needSectionSymbol(int sec) {
        if (sectionSymbol != null) {
            throw new IllegalStateException("symbols are frozen");
        }
        newSectionSymbols.add(sec);
    }

    /**
     * Fixes the symbol numbering: existing section symbols are reused, missing ones are added.
     * Afterwards {@link #sectionSymbol} and {@link #symbolIndex} give final indices.
     */
    public void freezeSymbols() {
        SymbolTable syms = elf.symbolTable(symtab);
        sectionSymbol = new int[elf.sectionCount()];
        Arrays.fill(sectionSymbol, -1);
        for (int i = 1; i < firstGlobal; i++) {
            if (syms.type(i) == SymbolTable.STT_SECTION) {
                int sec = syms.definingSection(i);
                if (sec > 0 && sectionSymbol[sec] < 0) {
                    sectionSymbol[sec] = i;
                }
            }
        }
        newSectionSymbols.removeIf(sec -> sectionSymbol[sec] >= 0);
        int next = firstGlobal;
        for (int sec : newSectionSymbols) {
            sectionSymbol[sec] = next++;
        }
    }

    public int addedSymbols() {
        return newSectionSymbols.size();
    }

    public int sectionSymbol(int sec) {
        int s = sectionSymbol[sec];
        if (s < 0) {
            throw new IllegalStateException("no section symbol requested for section " + sec);
        }
        return s;
    }

    /**
     * The value of section {@code sec}'s section symbol: 0 for one this rewriter adds, and for
     * every one an assembler writes; a relocation against it that must reach offset X of the
     * section has addend X minus this.
     */
    public long sectionSymbolValue(int sec) {
        int s = sectionSymbol(sec);
        return s < firstGlobal ? elf.symbolTable(symtab).value(s) : 0;
    }

    /** Final index of an existing symbol. */
    public int symbolIndex(int original) {
        return original < firstGlobal ? original : original + newSectionSymbols.size();
    }

    /**
     * Puts a section: replaces section {@code index} when it is ≥ 0 (keeping its index), else
     * appends one. Returns its index in the output.
     */
    public int putSection(int index, String name, int type, long flags, long align, long entsize, int link, int info,
            ByteBuffer data) {
        Section s = new Section(-1, type, flags, 0, data.limit(), link, info, align, entsize);
        s.newName = name;
        s.data = data;
        if (index < 0) {
            sections.add(s);
            return sections.size() - 1;
        }
        sections.set(index, s);
        return index;
    }

    /**
     * New contents for the existing section {@code index}, its header otherwise kept: code that
     * was rewritten, or a relocation section with entries changed. Symbol indices in relocation
     * contents given here are in the original numbering; they are renumbered like the others.
     */
    public void replaceContents(int index, ByteBuffer data) {
        Section s = sections.get(index);
        if (s.original < 0 || s.type == ElfFile.SHT_NOBITS) {
            throw new IllegalStateException("section " + index + " is new or has no contents");
        }
        s.setContents(data);
    }

    /** Writes the object to {@code out} (positioned at 0, empty). */
    public void write(FileChannel out) throws IOException {
        if (sectionSymbol == null) {
            freezeSymbols();
        }
        renumberSymbolUsers(); // with nothing added, still checks every index it copies
        if (!newSectionSymbols.isEmpty()) {
            rebuildSymbolTable();
        }
        int shstrndx = elf.sectionNameTable(); // the object has sections: it has a symbol table
        rebuildSectionNames(shstrndx);
        long[] offsets = new long[sections.size()];
        long shoff = layOut(offsets);
        Source.writeFully(out, header(shoff, shstrndx), 0);
        writeContents(out, offsets);
        Source.writeFully(out, sectionHeaders(offsets, shstrndx), shoff);
    }

    /**
     * File offsets: the ELF header, the sections in index order each at its alignment, the section
     * header table last. Returns the table's offset.
     */
    private long layOut(long[] offsets) {
        long pos = layout.ehsize;
        for (int i = 1; i < sections.size(); i++) {
            Section s = sections.get(i);
            long align = Long.compareUnsigned(s.align, MAX_FILE_ALIGN) > 0 ? MAX_FILE_ALIGN : Math.max(1, s.align);
            offsets[i] = (pos + align - 1) / align * align;
            if (s.type != ElfFile.SHT_NOBITS && s.type != ElfFile.SHT_NULL) {
                pos = offsets[i] + s.size;
            }
        }
        long shoff = (pos + 7) & ~7L;
        if (!layout.is64 && shoff + (long) sections.size() * layout.shentsize > 0xffffffffL) {
            throw new ElfFormatException("the rewritten object would be larger than 4 GiB, more than ELF32 can address");
        }
        return shoff;
    }

    /** The original ELF header pointing at the new section header table (extended numbering where needed). */
    private ByteBuffer header(long shoff, int shstrndx) {
        ByteBuffer header = ByteBuffer.allocate(layout.ehsize).order(elf.order());
        header.put(0, elf.header(), 0, layout.ehsize);
        int count = sections.size();
        layout.putSectionTable(header, shoff, count >= ElfFile.SHN_LORESERVE ? 0 : count,
                shstrndx >= ElfFile.SHN_LORESERVE ? ElfFile.SHN_XINDEX : shstrndx);
        return header;
    }

    private void writeContents(FileChannel out, long[] offsets) throws IOException {
        for (int i = 1; i < sections.size(); i++) {
            Section s = sections.get(i);
            if (s.type == ElfFile.SHT_NOBITS || s.type == ElfFile.SHT_NULL || s.size == 0) {
                continue;
            }
            if (s.data == null) {
                elf.copySection(s.original, out, offsets[i]); // unchanged: copied by the kernel
                continue;
            }
            Source.writeFully(out, s.data.duplicate().position(0), offsets[i]); // its limit is s.size
        }
    }

    /** The section header table; header 0 holds the counts that extended numbering moves out of the ELF header. */
    private ByteBuffer sectionHeaders(long[] offsets, int shstrndx) {
        int count = sections.size();
        ByteBuffer shdrs = ByteBuffer.allocate(count * layout.shentsize).order(elf.order());
        for (int i = 0; i < count; i++) {
            Section s = sections.get(i);
            long size = s.size;
            int link = s.link;
            if (i == 0) {
                size = count >= ElfFile.SHN_LORESERVE ? count : 0;
                link = shstrndx >= ElfFile.SHN_LORESERVE ? shstrndx : 0;
            }
            layout.putSectionHeader(shdrs, i, s.name, s.type, s.flags, s.addr, offsets[i], size, link, s.info,
                    s.align, s.entsize); // offsets[0] is 0
        }
        return shdrs;
    }

    /**
     * Relocations and groups that name symbols of .symtab get the shifted global indices. Every
     * index is checked, also where nothing shifts: the scan reads only the relocations of code, and
     * a bad index copied into the output would reach the linker (docs/robustness.md).
     */
    private void renumberSymbolUsers() {
        int added = newSectionSymbols.size();
        for (int i = 1; i < elf.sectionCount(); i++) {
            Section s = sections.get(i);
            if (s.original < 0 || s.link != symtab) {
                continue;
            }
            if (s.type == ElfFile.SHT_REL || s.type == ElfFile.SHT_RELA) {
                // Contents given by replaceContents are in the original numbering still.
                ByteBuffer renumbered = renumberedRelocations(i, added, s.data != null ? s.data : elf.data(i));
                if (renumbered != null) {
                    s.data = renumbered;
                }
            } else if (s.type == ElfFile.SHT_GROUP) {
                if (Integer.toUnsignedLong(s.info) >= symbolCount()) {
                    throw new ElfFormatException("section " + i + " (" + elf.sectionName(i) + "): group signature symbol "
                            + Integer.toUnsignedString(s.info) + " out of range");
                }
                if (s.info >= firstGlobal) {
                    s.info += added;
                }
            } else if (s.type == SHT_LLVM_ADDRSIG && added > 0) {
                throw new ElfFormatException("cannot renumber the symbol indices in " + elf.sectionName(i)
                        + " (SHT_LLVM_ADDRSIG); remove it with objcopy first");
            }
        }
    }

    /**
     * A copy of relocation section {@code i} whose global symbols are {@code added} further on;
     * null when none are added (the section is copied as it is, once its indices are checked).
     */
    private ByteBuffer renumberedRelocations(int i, int added, ByteBuffer contents) {
        boolean rela = elf.sectionType(i) == ElfFile.SHT_RELA;
        int ent = layout.relocationSize(rela);
        ByteBuffer src = contents.duplicate().order(elf.order());
        if (elf.sectionEntrySize(i) != ent || src.limit() % ent != 0) {
            throw new ElfFormatException("section " + i + " (" + elf.sectionName(i) + "): sh_entsize "
                    + elf.sectionEntrySize(i) + " and size " + src.limit() + " do not fit entries of " + ent);
        }
        ByteBuffer d = added > 0 ? copy(src, elf.order()) : null;
        long symbols = symbolCount();
        for (int k = 0; k < src.limit() / ent; k++) {
            long sym = layout.relocationSymbol(layout.word(src, k * ent + layout.word)) & 0xffffffffL;
            if (sym >= symbols) {
                throw new ElfFormatException(elf.sectionName(i) + " entry " + k + ": symbol index " + sym
                        + " out of range (" + elf.sectionName(symtab) + " has " + symbols + " symbols)");
            }
            if (sym < firstGlobal || added == 0) {
                continue;
            }
            if (sym + added > layout.maxRelocationSymbol()) {
                throw new ElfFormatException("too many symbols for ELF32 relocations once " + added
                        + " section symbols are added");
            }
            layout.putRelocationSymbol(d, k, rela, (int) (sym + added));
        }
        return d;
    }

    private long symbolCount() {
        return elf.symbolTable(symtab).count();
    }

    /** Inserts the new STT_SECTION symbols after the last local and extends SHT_SYMTAB_SHNDX. */
    private void rebuildSymbolTable() {
        int added = newSectionSymbols.size();
        int ent = layout.symentsize;
        int oldCount = (int) symbolCount();
        ByteBuffer d = copy(elf.data(symtab), elf.order(), firstGlobal * ent, added * ent);
        int shndxSection = elf.extendedIndexSection(symtab);
        ByteBuffer x = null;
        if (shndxSection >= 0) { // it may be longer than the symbol table: the rest is not copied
            x = copy(elf.data(shndxSection).limit(oldCount * 4), elf.order(), firstGlobal * 4, added * 4);
        } else if (newSectionSymbols.last() >= ElfFile.SHN_LORESERVE) {
            x = ByteBuffer.allocate((oldCount + added) * 4).order(elf.order());
        }
        int k = firstGlobal;
        for (int sec : newSectionSymbols) {
            int shndx = sec >= ElfFile.SHN_LORESERVE ? ElfFile.SHN_XINDEX : sec;
            layout.putSymbol(d, k, 0, 0, 0, ElfLayout.symbolInfo(SymbolTable.STB_LOCAL, SymbolTable.STT_SECTION), 0, shndx);
            if (x != null && shndx == ElfFile.SHN_XINDEX) {
                x.putInt(k * 4, sec);
            }
            k++;
        }
        Section st = sections.get(symtab);
        st.setContents(d);
        st.info = firstGlobal + added;
        if (shndxSection >= 0) {
            sections.get(shndxSection).setContents(x);
        } else if (x != null) {
            putSection(-1, ".symtab_shndx", ElfFile.SHT_SYMTAB_SHNDX, 0, 4, 4, symtab, 0, x);
        }
    }

    /** A writable copy of {@code src} in byte order {@code order}. */
    static ByteBuffer copy(ByteBuffer src, ByteOrder order) {
        return copy(src, order, 0, 0);
    }

    /** A copy of {@code src} with {@code gap} zero bytes inserted at {@code at}. */
    static ByteBuffer copy(ByteBuffer src, ByteOrder order, int at, int gap) {
        ByteBuffer d = ByteBuffer.allocate(src.limit() + gap).order(order);
        d.put(0, src, 0, at);
        d.put(at + gap, src, at, src.limit() - at);
        return d;
    }

    /** Names of new or renamed sections are appended to the section name table once. */
    private void rebuildSectionNames(int shstrndx) {
        if (shstrndx == 0) {
            throw new ElfFormatException("no section name table");
        }
        ByteBuffer old = elf.data(shstrndx);
        java.io.ByteArrayOutputStream extra = new java.io.ByteArrayOutputStream();
        java.util.Map<String, Integer> appended = new java.util.HashMap<>();
        for (int i = 0; i < sections.size(); i++) {
            Section s = sections.get(i);
            if (s.newName == null) {
                s.name = i < elf.sectionCount() ? elf.nameOffset(i) : 0;
                continue;
            }
            if (i < elf.sectionCount() && elf.sectionName(i).equals(s.newName)) {
                s.name = elf.nameOffset(i);
                continue;
            }
            Integer at = appended.get(s.newName);
            if (at == null) {
                at = old.limit() + extra.size();
                byte[] b = s.newName.getBytes(StandardCharsets.UTF_8);
                extra.write(b, 0, b.length);
                extra.write(0);
                appended.put(s.newName, at);
            }
            s.name = at;
        }
        if (extra.size() > 0) {
            ByteBuffer d = ByteBuffer.allocate(old.limit() + extra.size());
            d.put(0, old, 0, old.limit());
            d.put(old.limit(), extra.toByteArray());
            sections.get(shstrndx).setContents(d);
        }
    }
}
