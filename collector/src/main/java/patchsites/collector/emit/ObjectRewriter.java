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
    private final boolean rela64;
    private final int shdrSize;

    /** Sections (by index) that need a new section symbol, in index order. */
    private final TreeSet<Integer> newSectionSymbols = new TreeSet<>();
    private boolean symbolsFrozen;
    private int[] sectionSymbol; // section index -> final symbol index, once frozen

    private final List<Section> sections = new ArrayList<>();

    /** A section of the output: original fields, possibly new contents. */
    private static final class Section {
        int name = -1; // offset in the output's section name table; -1 = keep the original
        String newName;
        int type, link, info;
        long flags, addr, align, entsize, size;
        ByteBuffer data; // null: the original contents (or none for NOBITS)
        int original = -1;
    }

    public ObjectRewriter(ElfFile elf) {
        this.elf = elf;
        if (elf.type() != ElfFile.ET_REL) {
            throw new ElfFormatException("not a relocatable object (ET_REL); tables are written into objects before the final link");
        }
        ByteBuffer h = elf.header();
        int phnum = h.getShort(elf.is64() ? 56 : 44) & 0xffff;
        if (phnum != 0) {
            // The file is laid out anew; program headers would keep pointing at the old offsets.
            throw new ElfFormatException("relocatable object with program headers (e_phnum " + phnum + ")");
        }
        for (int i = 1; i < elf.sectionCount(); i++) {
            long a = elf.sectionAlign(i);
            if (a != 0 && (a & (a - 1)) != 0) {
                throw new ElfFormatException("section " + i + " (" + elf.sectionName(i) + "): sh_addralign "
                        + Long.toUnsignedString(a) + " is not a power of two");
            }
        }
        int st = -1;
        for (int i = 1; i < elf.sectionCount(); i++) {
            if (elf.sectionType(i) == ElfFile.SHT_SYMTAB) {
                if (st >= 0) {
                    throw new ElfFormatException("more than one SHT_SYMTAB section");
                }
                st = i;
            }
        }
        if (st < 0) {
            throw new ElfFormatException("no symbol table (stripped object?)");
        }
        symtab = st;
        firstGlobal = elf.sectionInfo(st);
        SymbolTable syms = elf.symbolTable(st);
        if (firstGlobal < 1 || firstGlobal > syms.count()) {
            throw new ElfFormatException(".symtab: sh_info (first non-local symbol) " + firstGlobal + " is out of range");
        }
        // Every symbol is copied into the output (renumbered when section symbols are added): each
        // must have a name in the string table and a section that exists, or the output would carry
        // a broken symbol that every later reader trips over. One pass, no allocation.
        for (int i = 1; i < syms.count(); i++) {
            int name = syms.nameOffset(i);
            if (name != 0) {
                syms.names().length(name);
            }
            syms.definingSection(i);
        }
        rela64 = elf.is64();
        shdrSize = elf.is64() ? 64 : 40;
        for (int i = 0; i < elf.sectionCount(); i++) {
            Section s = new Section();
            s.original = i;
            s.type = elf.sectionType(i);
            s.flags = elf.sectionFlags(i);
            s.addr = elf.sectionAddress(i);
            s.size = elf.sectionSize(i);
            s.link = elf.sectionLink(i);
            s.info = elf.sectionInfo(i);
            s.align = elf.sectionAlign(i);
            s.entsize = elf.sectionEntrySize(i);
            sections.add(s);
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
        if (symbolsFrozen) {
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
        symbolsFrozen = true;
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
        Section s;
        if (index >= 0) {
            s = sections.get(index);
        } else {
            s = new Section();
            sections.add(s);
            index = sections.size() - 1;
        }
        s.newName = name;
        s.type = type;
        s.flags = flags;
        s.addr = 0;
        s.align = align;
        s.entsize = entsize;
        s.link = link;
        s.info = info;
        s.data = data;
        s.size = data.limit();
        s.original = -1;
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
        s.data = data;
        s.size = data.limit();
    }

    /** Writes the object to {@code out} (positioned at 0, empty). */
    public void write(FileChannel out) throws IOException {
        if (!symbolsFrozen) {
            freezeSymbols();
        }
        ByteOrder order = elf.order();
        int added = newSectionSymbols.size();
        renumberSymbolUsers(); // with nothing added, still checks every index it copies
        if (added > 0) {
            rebuildSymbolTable();
        }
        int count = sections.size();
        int shstrndx = elf.sectionCount() > 0 ? findShstrndx() : 0;
        rebuildSectionNames(shstrndx);

        // Layout: header, sections in index order, section header table.
        long ehsize = elf.is64() ? 64 : 52;
        long pos = ehsize;
        long[] offsets = new long[count];
        for (int i = 1; i < count; i++) {
            Section s = sections.get(i);
            long align = Long.compareUnsigned(s.align, MAX_FILE_ALIGN) > 0 ? MAX_FILE_ALIGN : Math.max(1, s.align);
            if (s.type == ElfFile.SHT_NOBITS || s.type == ElfFile.SHT_NULL) {
                offsets[i] = (pos + align - 1) / align * align;
                continue;
            }
            pos = (pos + align - 1) / align * align;
            offsets[i] = pos;
            pos += s.size;
        }
        long shoff = (pos + 7) & ~7L;
        if (!elf.is64() && shoff + (long) count * shdrSize > 0xffffffffL) {
            throw new ElfFormatException("the rewritten object would be larger than 4 GiB, more than ELF32 can address");
        }

        ByteBuffer header = ByteBuffer.allocate((int) ehsize).order(order);
        ByteBuffer orig = elf.header();
        header.put(0, orig, 0, (int) ehsize);
        boolean extended = count >= ElfFile.SHN_LORESERVE;
        boolean extStr = shstrndx >= ElfFile.SHN_LORESERVE;
        if (elf.is64()) {
            header.putLong(40, shoff);
            header.putShort(58, (short) shdrSize);
            header.putShort(60, (short) (extended ? 0 : count));
            header.putShort(62, (short) (extStr ? ElfFile.SHN_XINDEX : shstrndx));
        } else {
            header.putInt(32, (int) shoff);
            header.putShort(46, (short) shdrSize);
            header.putShort(48, (short) (extended ? 0 : count));
            header.putShort(50, (short) (extStr ? ElfFile.SHN_XINDEX : shstrndx));
        }
        writeFully(out, header, 0);
        for (int i = 1; i < count; i++) {
            Section s = sections.get(i);
            if (s.type == ElfFile.SHT_NOBITS || s.type == ElfFile.SHT_NULL || s.size == 0) {
                continue;
            }
            if (s.data == null) {
                elf.copySection(s.original, out, offsets[i]); // unchanged: copied by the kernel
                continue;
            }
            ByteBuffer d = s.data.duplicate();
            d.position(0).limit((int) s.size);
            writeFully(out, d, offsets[i]);
        }
        ByteBuffer shdrs = ByteBuffer.allocate(count * shdrSize).order(order);
        for (int i = 0; i < count; i++) {
            Section s = sections.get(i);
            int b = i * shdrSize;
            long size = s.size, offset = offsets[i];
            int link = s.link, name = s.name >= 0 ? s.name : 0;
            if (i == 0) {
                size = extended ? count : 0;
                link = extStr ? shstrndx : 0;
                offset = 0;
            }
            if (elf.is64()) {
                shdrs.putInt(b, name);
                shdrs.putInt(b + 4, s.type);
                shdrs.putLong(b + 8, s.flags);
                shdrs.putLong(b + 16, s.addr);
                shdrs.putLong(b + 24, offset);
                shdrs.putLong(b + 32, size);
                shdrs.putInt(b + 40, link);
                shdrs.putInt(b + 44, s.info);
                shdrs.putLong(b + 48, s.align);
                shdrs.putLong(b + 56, s.entsize);
            } else {
                shdrs.putInt(b, name);
                shdrs.putInt(b + 4, s.type);
                shdrs.putInt(b + 8, (int) s.flags);
                shdrs.putInt(b + 12, (int) s.addr);
                shdrs.putInt(b + 16, (int) offset);
                shdrs.putInt(b + 20, (int) size);
                shdrs.putInt(b + 24, link);
                shdrs.putInt(b + 28, s.info);
                shdrs.putInt(b + 32, (int) s.align);
                shdrs.putInt(b + 36, (int) s.entsize);
            }
        }
        writeFully(out, shdrs, shoff);
    }

    private int findShstrndx() {
        ByteBuffer h = elf.header();
        int raw = h.getShort(elf.is64() ? 62 : 50) & 0xffff;
        if (raw == ElfFile.SHN_XINDEX) {
            raw = elf.sectionLink(0);
        }
        return raw;
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
                boolean rela = s.type == ElfFile.SHT_RELA;
                int ent = (rela64 ? 8 : 4) * (rela ? 3 : 2);
                ByteBuffer src = s.data != null ? s.data : elf.data(i); // replaceContents: original numbering still
                if (elf.sectionEntrySize(i) != ent || src.limit() % ent != 0) {
                    throw new ElfFormatException("section " + i + " (" + elf.sectionName(i) + "): sh_entsize "
                            + elf.sectionEntrySize(i) + " and size " + src.limit() + " do not fit entries of " + ent);
                }
                long symbols = symbolCount();
                if (added == 0) {
                    ByteBuffer r = src.duplicate().order(elf.order());
                    for (int off = 0, k = 0; off + ent <= r.limit(); off += ent, k++) {
                        checkSymbol(i, k, rela64 ? r.getLong(off + 8) >>> 32 : r.getInt(off + 4) >>> 8, symbols);
                    }
                    continue; // nothing to renumber: the section is copied as it is
                }
                ByteBuffer d = ByteBuffer.allocate(src.limit()).order(elf.order());
                d.put(0, src, 0, src.limit());
                for (int off = 0, k = 0; off + ent <= d.limit(); off += ent, k++) {
                    long sym = rela64 ? d.getLong(off + 8) >>> 32 : d.getInt(off + 4) >>> 8;
                    checkSymbol(i, k, sym, symbols);
                    if (sym < firstGlobal) {
                        continue;
                    }
                    if (rela64) {
                        long info = d.getLong(off + 8);
                        d.putLong(off + 8, ((sym + added) << 32) | (info & 0xffffffffL));
                    } else {
                        if (sym + added >= 1 << 24) {
                            throw new ElfFormatException("too many symbols for ELF32 relocations once " + added
                                    + " section symbols are added");
                        }
                        int info = d.getInt(off + 4);
                        d.putInt(off + 4, (int) ((sym + added) << 8) | (info & 0xff));
                    }
                }
                s.data = d;
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

    private void checkSymbol(int relSection, int entry, long sym, long symbols) {
        if (sym >= symbols) {
            throw new ElfFormatException(elf.sectionName(relSection) + " entry " + entry + ": symbol index " + sym
                    + " out of range (" + elf.sectionName(symtab) + " has " + symbols + " symbols)");
        }
    }

    private long symbolCount() {
        return elf.symbolTable(symtab).count();
    }

    /** Inserts the new STT_SECTION symbols after the last local and extends SHT_SYMTAB_SHNDX. */
    private void rebuildSymbolTable() {
        int added = newSectionSymbols.size();
        int ent = elf.is64() ? 24 : 16;
        ByteBuffer src = elf.data(symtab);
        int oldCount = src.limit() / ent;
        ByteBuffer d = ByteBuffer.allocate((oldCount + added) * ent).order(elf.order());
        d.put(0, src, 0, firstGlobal * ent);
        d.put((firstGlobal + added) * ent, src, firstGlobal * ent, (oldCount - firstGlobal) * ent);
        int shndxSection = -1;
        for (int i = 1; i < elf.sectionCount(); i++) {
            if (elf.sectionType(i) == ElfFile.SHT_SYMTAB_SHNDX && elf.sectionLink(i) == symtab) {
                shndxSection = i;
            }
        }
        boolean needXindex = newSectionSymbols.last() >= ElfFile.SHN_LORESERVE;
        ByteBuffer x = null;
        if (shndxSection >= 0 || needXindex) {
            x = ByteBuffer.allocate((oldCount + added) * 4).order(elf.order());
            if (shndxSection >= 0) {
                ByteBuffer xs = elf.data(shndxSection);
                x.put(0, xs, 0, firstGlobal * 4);
                x.put((firstGlobal + added) * 4, xs, firstGlobal * 4, (oldCount - firstGlobal) * 4);
            }
        }
        int k = firstGlobal;
        for (int sec : newSectionSymbols) {
            int b = k * ent;
            int info = (SymbolTable.STB_LOCAL << 4) | SymbolTable.STT_SECTION;
            int shndx = sec >= ElfFile.SHN_LORESERVE ? ElfFile.SHN_XINDEX : sec;
            if (elf.is64()) {
                d.put(b + 4, (byte) info);
                d.putShort(b + 6, (short) shndx);
            } else {
                d.put(b + 12, (byte) info);
                d.putShort(b + 14, (short) shndx);
            }
            if (x != null && shndx == ElfFile.SHN_XINDEX) {
                x.putInt(k * 4, sec);
            }
            k++;
        }
        Section st = sections.get(symtab);
        st.data = d;
        st.size = d.limit();
        st.info = firstGlobal + added;
        if (x != null) {
            if (shndxSection >= 0) {
                Section xs = sections.get(shndxSection);
                xs.data = x;
                xs.size = x.limit();
            } else {
                putSection(-1, ".symtab_shndx", ElfFile.SHT_SYMTAB_SHNDX, 0, 4, 4, symtab, 0, x);
            }
        }
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
            Section ss = sections.get(shstrndx);
            ss.data = d;
            ss.size = d.limit();
        }
    }

    private static void writeFully(FileChannel out, ByteBuffer b, long at) throws IOException {
        long p = at;
        while (b.hasRemaining()) {
            p += out.write(b, p);
        }
    }
}
